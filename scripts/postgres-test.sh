#!/usr/bin/env bash
# Starts a private, throwaway PostgreSQL cluster for the integration tests and prints its URL.
#
# Why private: the system cluster carries whatever state the machine left behind (a crash, a
# bloated data directory, a stale pid file) and its startup recovery can outlast any timeout. A
# cluster made fresh for each run starts in about two seconds from a known state, holds only this
# run's databases, and is deleted by the next run (or by `stop`).
#
# Installs Debian's `postgresql` package if missing (through scripts/ensure-packages.sh). The cluster lives in
# $GURU_PG_DIR (default /tmp/guru-pg-<checkout>, one per checkout, so two clones on one machine do not
# stop each other's cluster), listens on 127.0.0.1 only at a free port, and has one
# superuser gc_test/gc_test with password (SCRAM) authentication. Durability is switched off
# (fsync, full_page_writes): the data is disposable and the tests write a lot of it.
#
# Usage: postgres-test.sh [start|stop|report]
#   start (default)  stop any previous cluster, make a new one, start it, print
#                    postgres://gc_test:gc_test@127.0.0.1:PORT/postgres on stdout (nothing else).
#   stop             stop the cluster and delete its directory.
#   report           on stderr: the free disk space, the cluster's size and the end of its server
#                    log (for a failed suite: a crashed or full server says why only there).
set -euo pipefail

CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly STATE_DIR=${GURU_PG_DIR:-/tmp/guru-pg-$(printf '%s' "$CHECKOUT" | sha256sum | cut -c1-12)}
readonly DATA_DIR=$STATE_DIR/data
readonly ROLE=gc_test
readonly PASSWORD=gc_test
readonly FIRST_PORT=55432
readonly START_TIMEOUT_SECONDS=120

log() { echo "postgres-test: $*" >&2; }
die() { log "error: $*"; exit 1; }

# PostgreSQL refuses to run as root; as root we run its tools as the `postgres` OS user.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Debian's server package, through the project's one package installer.
install_postgres() {
    "$(dirname "${BASH_SOURCE[0]}")/ensure-packages.sh" postgres-test postgresql
}

# The bin directory of the newest major version installed under /usr/lib/postgresql.
bin_dir() {
    local version
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' \
        | sort -V | tail -n 1)
    [[ -n $version && -x /usr/lib/postgresql/$version/bin/initdb ]] \
        || die "no PostgreSQL server found under /usr/lib/postgresql"
    echo "/usr/lib/postgresql/$version/bin"
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first free port at or after $1.
free_port() {
    local port
    for ((port = $1; port < FIRST_PORT + 100; port++)); do
        if port_is_free "$port"; then
            echo "$port"
            return
        fi
    done
    die "no free port in $FIRST_PORT..$((FIRST_PORT + 99))"
}

stop_cluster() {
    local bin=$1
    if [[ -f $DATA_DIR/postmaster.pid ]]; then
        log "stopping the previous cluster in $DATA_DIR"
        as_owner "$bin/pg_ctl" -D "$DATA_DIR" -m immediate -w stop >&2 || true
    fi
    rm -rf "$STATE_DIR"
}

create_cluster() {
    local bin=$1
    mkdir -p "$STATE_DIR"
    chmod 700 "$STATE_DIR"
    printf '%s\n' "$PASSWORD" >"$STATE_DIR/pwfile"
    [[ $EUID -eq 0 ]] && chown -R postgres: "$STATE_DIR"
    as_owner "$bin/initdb" -D "$DATA_DIR" -U "$ROLE" --pwfile="$STATE_DIR/pwfile" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --no-sync \
        >"$STATE_DIR/initdb.log" 2>&1 \
        || { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$STATE_DIR/pwfile"
}

start_on() {
    local bin=$1 port=$2
    local options="-c listen_addresses=127.0.0.1 -p $port -k $STATE_DIR"
    options+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    options+=" -c max_connections=200 -c log_checkpoints=off"
    as_owner "$bin/pg_ctl" -D "$DATA_DIR" -l "$STATE_DIR/server.log" -o "$options" \
        -w -t "$START_TIMEOUT_SECONDS" start >/dev/null
}

# Starts the cluster on a free port and prints the port. A port can be taken between the check
# and the start (another process on this machine), so a failed start tries the next free one.
start_cluster() {
    local bin=$1 port=$FIRST_PORT attempt
    for attempt in 1 2 3; do
        port=$(free_port "$port")
        if start_on "$bin" "$port"; then
            echo "$port"
            return
        fi
        log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$STATE_DIR/server.log" >&2 || true
        port=$((port + 1))
    done
    tail -n 30 "$STATE_DIR/server.log" >&2 || true
    die "the cluster did not start"
}

report_cluster() {
    log "disk: $(df -h --output=avail,pcent "$STATE_DIR" 2>/dev/null | tail -n 1) free/used"
    log "cluster size: $(du -sh "$DATA_DIR" 2>/dev/null | cut -f1)"
    log "last lines of $STATE_DIR/server.log:"
    tail -n 40 "$STATE_DIR/server.log" >&2 2>/dev/null || log "(no server log)"
}

main() {
    local command=${1:-start} bin port
    install_postgres
    bin=$(bin_dir)
    case $command in
        stop)
            stop_cluster "$bin"
            ;;
        start)
            stop_cluster "$bin"
            create_cluster "$bin"
            port=$(start_cluster "$bin")
            log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port ($DATA_DIR)"
            echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/postgres"
            ;;
        report)
            report_cluster
            ;;
        *)
            die "unknown command '$command' (use start, stop or report)"
            ;;
    esac
}

main "$@"
