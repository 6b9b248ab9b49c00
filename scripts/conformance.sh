#!/usr/bin/env bash
# Holds both servers to their OpenAPI documents from outside. Schemathesis makes requests from
# each document (its examples, edge cases, random bodies and parameters, with and without the
# credential) and fails on any 5xx, any status the operation does not document, and any body
# outside its schema. It runs the binaries in DIR (default target/release: the shipped ones) on
# loopback with fresh data directories, signed in as their first admin.
#
# Bounded: CONFORMANCE_EXAMPLES requests per operation and phase (default 15) from a fixed
# CONFORMANCE_SEED (default 1), so a failure reproduces; each server's run has ten minutes.
# scripts/conformance.toml allows the 5xx a route gives by design. Sign-out and renewal are
# left out: either would end the run's own credential (a GuruRMM
# token exchanged twice ends its sign-in, by design). GuruConnect's integration routes run a
# second time with the integration key, the credential they take.
# Usage: scripts/conformance.sh [DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$ROOT/target/release}
EXAMPLES=${CONFORMANCE_EXAMPLES:-15}
SEED=${CONFORMANCE_SEED:-1}
SCHEMATHESIS=4.32.5
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/guru-conformance/schemathesis-$SCHEMATHESIS

# The routes that would end the run's own credential.
OWN_CREDENTIAL='^/api/auth/(logout|refresh)$'

log() { echo "conformance: $*" >&2; }
die() { log "error: $*"; exit 1; }

"$ROOT/scripts/ensure-packages.sh" conformance python3-venv
if [[ ! -x $VENV/bin/st ]]; then
    log "installing Schemathesis $SCHEMATHESIS into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Starts server NAME (its binary, with ENV... set) on a free port and sets URL to its base
# URL once it listens (at most a minute). Not in a subshell: cleanup must know its pid.
start() {
    local name=$1 log=$WORK/$1.log tries
    shift
    env "$@" "$DIR/$name" serve > "$log" 2>&1 &
    PIDS+=($!)
    for ((tries = 0; tries < 120; tries++)); do
        URL=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | cut -d' ' -f3) || true
        [[ -n $URL ]] && return
        sleep 0.5
    done
    cat "$log" >&2
    die "$name did not start"
}

# The value after LABEL: in a server's first-admin lines.
printed() { grep -m1 "^ *$2:" "$WORK/$1.log" | awk '{print $2}'; }

# A token from POST /api/auth/login with BODY; FIELD names it in the answer.
token() {
    curl -sf -X POST "$1/api/auth/login" -H 'content-type: application/json' -d "$2" |
        python3 -c "import json, sys; print(json.load(sys.stdin)['$3'])"
}

# Runs Schemathesis against server NAME at URL with TOKEN on the paths matching INCLUDE (a
# regex) and not EXCLUDE (the one option of each kind Schemathesis keeps).
check() {
    local name=$1 url=$2 token=$3 include=$4 exclude=$5
    log "$name: $url/api/openapi.json, $EXAMPLES examples per operation, seed $SEED"
    # From the scratch directory: Schemathesis keeps its example database where it runs.
    (cd "$WORK" && timeout 600 "$VENV/bin/st" --config-file "$ROOT/scripts/conformance.toml" run "$url/api/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance \
        --max-examples "$EXAMPLES" --seed "$SEED" --request-timeout 3 \
        --include-path-regex "$include" --exclude-path-regex "$exclude" \
        --no-color) ||
        die "$name answered outside its OpenAPI document (above: the request, the answer and how to replay it)"
}

[[ -x $DIR/guruconnect-server && -x $DIR/gururmm-server ]] || die "no servers in $DIR (./dev shipped builds them)"

integration_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
start guruconnect-server GURUCONNECT_BIND=127.0.0.1:0 GURUCONNECT_DATA_DIR="$WORK/gc" \
    GURUCONNECT_INTEGRATION_KEY="$integration_key"
gc=$URL
gc_token=$(token "$gc" "{\"username\":\"$(printed guruconnect-server username)\",\"password\":\"$(printed guruconnect-server password)\"}" access_token)
check GuruConnect "$gc" "$gc_token" '^/' "$OWN_CREDENTIAL|^/api/integration/"
check "GuruConnect integration" "$gc" "$integration_key" '^/api/integration/' "$OWN_CREDENTIAL"

start gururmm-server GURURMM_BIND=127.0.0.1:0 GURURMM_DATA_DIR="$WORK/rmm" GURURMM_DASHBOARD_DIR="$WORK/none"
rmm=$URL
rmm_token=$(token "$rmm" "{\"email\":\"$(printed gururmm-server email)\",\"password\":\"$(printed gururmm-server password)\"}" token)
check GuruRMM "$rmm" "$rmm_token" '^/' "$OWN_CREDENTIAL"
log "both servers answered within their documents"
