#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (Playwright drives it through
# executablePath=/usr/bin/chromium; `npx playwright install` cannot download browsers here), the
# fonts it renders with, and openssl (the system suite's journeys make a private CA with it).
# Idempotent; prints nothing on stdout.
set -euo pipefail

command -v node >/dev/null && command -v npm >/dev/null || {
    echo "browser-deps: error: node and npm are needed (Node 20): apt-get install -y nodejs npm" >&2
    exit 1
}
exec "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh" browser-deps chromium fonts-dejavu-core openssl
