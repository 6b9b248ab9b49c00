#!/usr/bin/env bash
# Starts a local PostgreSQL for the integration tests and prints its connection URL.
#
# Installs Debian's `postgresql` package if missing, creates and starts the `main` cluster of the
# newest installed major version, waits until it accepts connections, and (idempotently) creates
# the role gc_test/gc_test with LOGIN and CREATEDB. Safe to run repeatedly.
#
# stdout: exactly one line, the URL (postgres://gc_test:gc_test@127.0.0.1:PORT/postgres).
# stderr: everything else.
set -euo pipefail

readonly CLUSTER=main
readonly ROLE=gc_test
readonly PASSWORD=gc_test
readonly WAIT_SECONDS=30

log() { echo "postgres-test: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command as root: directly when we are root, otherwise through sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Runs a command as the postgres OS user (peer authentication over the Unix socket).
as_postgres() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && sudo -u postgres -- "$@")
    fi
}

is_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

install_postgres() {
    if is_installed postgresql && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null || die "postgresql is not installed and apt-get is unavailable"
    log "installing the postgresql package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        postgresql >&2
}

# Newest major version installed under /usr/lib/postgresql.
major_version() {
    local version
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' \
        | sort -V | tail -n 1)
    [[ -n $version ]] || die "no PostgreSQL server found under /usr/lib/postgresql"
    echo "$version"
}

# One field of the cluster's pg_lsclusters line: 3 = port, 4 = status. Empty if no cluster.
cluster_field() {
    local version=$1 field=$2
    pg_lsclusters -h | awk -v v="$version" -v c="$CLUSTER" -v f="$field" \
        '$1 == v && $2 == c { print $f }'
}

ensure_cluster() {
    local version=$1
    if [[ -z $(cluster_field "$version" 2) ]]; then
        log "creating cluster $version/$CLUSTER"
        as_root pg_createcluster "$version" "$CLUSTER" >&2
    fi
}

start_cluster() {
    local version=$1
    if [[ $(cluster_field "$version" 4) == online* ]]; then
        log "cluster $version/$CLUSTER already running"
        return
    fi
    log "starting cluster $version/$CLUSTER"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$CLUSTER" start >&2
}

wait_ready() {
    local port=$1 i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        if pg_isready -q -h 127.0.0.1 -p "$port"; then
            return
        fi
        sleep 1
    done
    die "PostgreSQL on 127.0.0.1:$port not ready after ${WAIT_SECONDS}s"
}

ensure_role() {
    local port=$1
    as_postgres psql --no-psqlrc -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2 <<SQL
DO \$\$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        ALTER ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
    ELSE
        CREATE ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
SQL
}

main() {
    local version port
    install_postgres
    version=$(major_version)
    ensure_cluster "$version"
    start_cluster "$version"
    port=$(cluster_field "$version" 3)
    [[ -n $port ]] || die "cannot determine the port of cluster $version/$CLUSTER"
    wait_ready "$port"
    ensure_role "$port"
    log "PostgreSQL $version ready on 127.0.0.1:$port"
    echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/postgres"
}

main "$@"
