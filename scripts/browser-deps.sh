#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (Playwright drives it through
# executablePath=/usr/bin/chromium; `npx playwright install` cannot download browsers here) and
# the fonts it renders with. Idempotent; prints nothing on stdout.
set -euo pipefail

readonly PACKAGES=(chromium fonts-dejavu-core)

log() { echo "browser-deps: $*" >&2; }
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

command -v node >/dev/null && command -v npm >/dev/null \
    || die "node and npm are needed (Node 20): apt-get install -y nodejs npm, or https://nodejs.org"

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
