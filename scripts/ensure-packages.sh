#!/usr/bin/env bash
# Installs the Debian packages named after LABEL when any is missing (as root, or through
# sudo). The per-purpose scripts (x11-deps.sh, browser-deps.sh, postgres-test.sh) call it
# with their lists.
# Usage: ensure-packages.sh LABEL PACKAGE... ; idempotent; prints nothing on stdout.
set -euo pipefail

label=$1
shift

log() { echo "$label: $*" >&2; }
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
for pkg in "$@"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing packages: ${missing[*]} (no apt-get here)"
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
fi
