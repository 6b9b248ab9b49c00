#!/usr/bin/env bash
# Installs Wine 8 (Debian's wine64) for running the Windows build of the GuruConnect agent
# under Xvfb: the only place its Windows code (GDI capture, SendInput, the inventory's Win32
# calls, the session loop) actually runs on this Linux machine. Idempotent; prints nothing on
# stdout. The wine64 loader lives at /usr/lib/wine/wine64.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh" wine-deps wine64
