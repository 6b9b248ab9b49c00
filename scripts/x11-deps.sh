#!/usr/bin/env bash
# Installs what the agent's X11 tests need: Xvfb (each test starts its own server), xdotool,
# xterm, xwd and friends, xrandr (two logical monitors on one screen), and the XCB libraries.
# Idempotent; prints nothing on stdout.
set -euo pipefail

readonly PACKAGES=(xvfb xdotool xterm x11-utils x11-apps x11-xserver-utils xauth)

log() { echo "x11-deps: $*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing packages: ${missing[*]} (no apt-get here)"
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
fi
