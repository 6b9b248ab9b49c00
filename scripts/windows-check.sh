#!/usr/bin/env bash
# Compiles crates' cfg(windows) code for x86_64-pc-windows-gnu with Debian's Rust, whose
# standard library sources include Windows (rustup's toolchain here has none). Usage:
#   scripts/windows-check.sh [--release] CRATE...
# Without --release: `cargo check`. With --release: a real release build (.exe files in
# target/windows/x86_64-pc-windows-gnu/release).
#
# Debian's rustc is older than the rustup toolchain, so the build runs on a copy of the working
# tree (tracked and untracked, not ignored, files) whose lockfile is re-resolved to versions
# that rustc supports; the real Cargo.lock is not touched. Installs the Debian packages when
# missing (needs root or sudo).
set -euo pipefail

MODE=check
if [[ ${1:-} == --release ]]; then
    MODE=release
    shift
fi
(($#)) || { echo "usage: scripts/windows-check.sh [--release] CRATE..." >&2; exit 2; }
readonly MODE
CRATES=()
for crate in "$@"; do CRATES+=(-p "$crate"); done
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
# Files deleted from the working tree but still tracked are skipped (--ignore-failed-read).
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - -c --ignore-failed-read 2>/dev/null) | tar -x -C "$copy"
cd "$copy"
log "re-resolving the lockfile for $(/usr/bin/rustc --version)"
export CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback
/usr/bin/cargo update -q
# simple_asn1 0.6.4 demands time >= 0.3.47, which needs Rust 1.88: step it back so `time` can
# fall back to a release this rustc builds.
/usr/bin/cargo update -q -p simple_asn1 --precise 0.6.3
/usr/bin/cargo update -q -p time
if [[ $MODE == release ]]; then
    build=(build --release)
    # Linking needs rustc's startup objects for the target; build them from the sources.
    export RTSTARTUP_DIR=$ROOT/target/windows/rtstartup
    mkdir -p "$RTSTARTUP_DIR"
    for obj in rsbegin rsend; do
        RUSTC_BOOTSTRAP=1 /usr/bin/rustc --crate-type=lib --emit=obj -C panic=abort -O \
            --target x86_64-pc-windows-gnu -o "$RTSTARTUP_DIR/$obj.o" \
            /usr/lib/rustlib/src/rust/library/rtstartup/$obj.rs
    done
    export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=$ROOT/scripts/mingw-link.sh
else
    build=(check)
fi
RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo "${build[@]}" --ignore-rust-version \
    -Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu \
    --target-dir "$ROOT/target/windows" "${CRATES[@]}"
log "$* compile for x86_64-pc-windows-gnu ($MODE)"
