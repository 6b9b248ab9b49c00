#!/usr/bin/env bash
# Installs what the side-by-side display benchmark (guruconnect/web/e2e/bench/peer.bench.ts)
# runs besides our own stack: the peer (x11vnc behind websockify; noVNC comes from npm) and a
# window manager for the desktop. Not needed by the tests. Idempotent; prints nothing on stdout.
set -euo pipefail

"$(dirname "${BASH_SOURCE[0]}")/x11-deps.sh"
exec "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh" bench-deps x11vnc websockify openbox
