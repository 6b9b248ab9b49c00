#!/usr/bin/env bash
# Linker for x86_64-pc-windows-gnu builds made with Debian's rustc (scripts/windows-check.sh).
# rustc links the startup objects rsbegin.o/rsend.o from its Windows sysroot, which Debian's
# toolchain does not ship; windows-check.sh compiles them from the Rust sources into
# $RTSTARTUP_DIR and this wrapper substitutes them, then runs MinGW's gcc.
set -euo pipefail
: "${RTSTARTUP_DIR:?set by scripts/windows-check.sh}"
args=()
for arg in "$@"; do
    case $arg in
        rsbegin.o | */rsbegin.o | rsend.o | */rsend.o)
            if [[ -e $arg ]]; then args+=("$arg"); else args+=("$RTSTARTUP_DIR/${arg##*/}"); fi
            ;;
        *) args+=("$arg") ;;
    esac
done
exec x86_64-w64-mingw32-gcc "${args[@]}"
