# shellcheck shell=bash
# Throwaway (or kept) PostgreSQL cluster for scripts/test and scripts/demo.
# Source this file; it defines functions only and changes no shell option.
#
#   pg_start DATA_DIR SOCKET_DIR [fast]
#       Creates the cluster in DATA_DIR if it has none yet (superuser role
#       "odoo", trust authentication, UTF8), then starts it listening ONLY on
#       a unix socket in SOCKET_DIR (listen_addresses=''), and waits until it
#       accepts connections. "fast" turns off fsync & co (throwaway clusters).
#       Sets PG_DATA_DIR, PG_SOCKET_DIR, PG_PORT, PG_DB_USER.
#   pg_stop
#       Stops the cluster started by pg_start (idempotent, safe in traps).
#   pg_owned_mkdir DIR
#       mkdir -p DIR and give it to the user the server runs as.
#   pg_can_reach DIR
#       Whether the user the server runs as can reach the existing folder DIR
#       (as root, a parent folder of mode 0700, such as a home folder, closes
#       it to that user).
#
# Knobs: PG_BIN (folder holding initdb/pg_ctl; default: the one on PATH, else
# the newest /usr/lib/postgresql/*/bin), PG_OS_USER (system user running the
# server when we are root, since initdb refuses root; default postgres).

PG_DB_USER=odoo
PG_PORT=5432   # only names the socket file: nothing listens on TCP
PG_DATA_DIR=
PG_SOCKET_DIR=
PG_STARTED=

pg__die() { echo "pg: $*" >&2; return 1; }

pg__find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] ||
            pg__die "PG_BIN=$PG_BIN has no initdb/pg_ctl" || return 1
        return 0
    fi
    local initdb d
    if initdb="$(command -v initdb)" && command -v pg_ctl >/dev/null; then
        PG_BIN="$(dirname "$(readlink -f "$initdb")")"
        [[ -x "$PG_BIN/pg_ctl" ]] && return 0
    fi
    PG_BIN=
    while IFS= read -r d; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            PG_BIN="$d"
            return 0
        fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    pg__die "no PostgreSQL server binaries found (initdb, pg_ctl); install" \
        "postgresql or set PG_BIN"
}

# Run a command as the user owning the cluster (as root, from /: the working
# directory may be closed to that user, and pg_ctl would complain of it).
pg__as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd / && runuser -u "${PG_OS_USER:-postgres}" -- "$@")
    else
        "$@"
    fi
}

pg_owned_mkdir() {
    mkdir -p "$1" || return 1
    if [[ "$(id -u)" -eq 0 ]]; then
        id "${PG_OS_USER:-postgres}" >/dev/null 2>&1 ||
            pg__die "running as root needs a system user '${PG_OS_USER:-postgres}'" \
                "to run PostgreSQL (initdb refuses root); set PG_OS_USER" || return 1
        chown "${PG_OS_USER:-postgres}:" "$1" || return 1
        chmod 700 "$1" || return 1
        pg__as_owner test -w "$1" ||
            pg__die "user '${PG_OS_USER:-postgres}' cannot reach $1 (a parent" \
                "folder is closed to it); use a folder it can traverse" || return 1
    fi
}

pg_can_reach() {
    [[ "$(id -u)" -eq 0 ]] || return 0
    id "${PG_OS_USER:-postgres}" >/dev/null 2>&1 || return 1
    pg__as_owner test -x "$1" 2>/dev/null
}

pg_start() {
    local data_dir="$1" socket_dir="$2" mode="${3:-}"
    pg__find_bin || return 1
    # The socket path must fit in sun_path (107 bytes) and survive the
    # quoting of pg_ctl -o.
    if [[ "$socket_dir" =~ [[:space:]\'\"\\] ]] ||
        (( ${#socket_dir} + 20 > 107 )); then
        pg__die "unusable socket folder (spaces/quotes or too long): $socket_dir"
        return 1
    fi
    pg_owned_mkdir "$data_dir" || return 1
    pg_owned_mkdir "$socket_dir" || return 1
    if [[ ! -f "$data_dir/PG_VERSION" ]]; then
        pg__as_owner "$PG_BIN/initdb" -D "$data_dir" -U "$PG_DB_USER" \
            --auth=trust -E UTF8 --locale=C >"$data_dir.initdb.log" 2>&1 || {
            cat "$data_dir.initdb.log" >&2
            pg__die "initdb failed in $data_dir"
            return 1
        }
    fi
    local opts="-c listen_addresses='' -c unix_socket_directories='$socket_dir' -p $PG_PORT"
    if [[ "$mode" == fast ]]; then
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    PG_DATA_DIR="$data_dir"
    PG_SOCKET_DIR="$socket_dir"
    # pg_ctl -w already waits for readiness; the server runs in its own
    # session, so a Ctrl-C in the terminal does not reach it.
    if ! pg__as_owner "$PG_BIN/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" \
        -o "$opts" -w -t 120 start >/dev/null; then
        tail -n 30 "$data_dir/server.log" >&2 || true
        pg__die "could not start PostgreSQL in $data_dir (log: $data_dir/server.log)"
        return 1
    fi
    PG_STARTED=1
    local i
    for ((i = 0; i < 120; i++)); do
        if pg__ready; then
            return 0
        fi
        sleep 0.5
    done
    pg__die "PostgreSQL started but does not accept connections on $socket_dir"
}

pg__ready() {
    if [[ -x "$PG_BIN/pg_isready" ]]; then
        "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_DB_USER" -d postgres
    else
        [[ -S "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT" ]]
    fi
}

pg_stop() {
    [[ -n "$PG_STARTED" && -n "$PG_DATA_DIR" ]] || return 0
    PG_STARTED=
    pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA_DIR" -m immediate -w stop >/dev/null 2>&1 ||
        echo "pg: could not stop the cluster in $PG_DATA_DIR" >&2
    return 0
}
