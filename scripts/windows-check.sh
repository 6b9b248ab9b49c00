#!/usr/bin/env bash
# Type-checks a crate's cfg(windows) code for x86_64-pc-windows-gnu with Debian's Rust, whose
# standard library sources include Windows (rustup's toolchain here has none). Usage:
#   scripts/windows-check.sh gururmm-agent
#
# Debian's rustc is older than the rustup toolchain, so the check runs on a copy of the
# committed tree whose lockfile is re-resolved to versions that rustc supports (the real
# Cargo.lock is not touched). Installs the Debian packages when missing (needs root or sudo).
set -euo pipefail

readonly CRATE=${1:?usage: scripts/windows-check.sh CRATE}
readonly PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT

log() { echo "windows-check: $*" >&2; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git -C "$ROOT" archive HEAD | tar -x -C "$copy"
cd "$copy"
log "re-resolving the lockfile for $(/usr/bin/rustc --version)"
CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback /usr/bin/cargo update -q
RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo check --ignore-rust-version \
    -Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu \
    --target-dir "$ROOT/target/windows" -p "$CRATE"
log "$CRATE type-checks for x86_64-pc-windows-gnu"
