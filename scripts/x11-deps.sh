#!/usr/bin/env bash
# Installs what the agent's X11 tests need: Xvfb (each test starts its own server), xdotool,
# xterm, xwd and friends, xrandr (two logical monitors on one screen), and the XCB libraries.
# Idempotent; prints nothing on stdout.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh" x11-deps \
    xvfb xdotool xterm x11-utils x11-apps x11-xserver-utils xauth
