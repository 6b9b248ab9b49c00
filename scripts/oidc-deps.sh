#!/usr/bin/env bash
# Installs the test identity provider (kit/oidc-provider: npm's oidc-provider, locked) that the
# single sign-on suites of both servers start; only when its lockfile changed.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/kit/oidc-provider"
command -v node >/dev/null && command -v npm >/dev/null || {
    echo "oidc-deps: error: node and npm are needed (Node 20): apt-get install -y nodejs npm" >&2
    exit 1
}
cd "$dir"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
