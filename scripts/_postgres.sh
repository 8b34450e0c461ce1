# Sourced by scripts/test: a throwaway PostgreSQL server on 127.0.0.1 for the PostgreSQL
# variants, exported as MVPGEN_POSTGRES_URL (an admin URL; each variant makes its own database).
# A URL already in MVPGEN_POSTGRES_URL is used as it is. Otherwise the server comes from
# Debian's packages (installed here when missing), runs from a temporary folder with fsync,
# synchronous_commit and full_page_writes off (tests need no durability; a benchmark sets
# MVPGEN_POSTGRES_DURABLE=1 to keep them on), and is stopped when the calling script exits.

postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
    if [ -n "${MVPGEN_POSTGRES_URL:-}" ]; then
        echo "==> using PostgreSQL at $MVPGEN_POSTGRES_URL" >&2
        return 0
    fi
    local bin
    bin="$(postgres_bin)"
    if [ -z "$bin" ]; then
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
            echo "==> no PostgreSQL server here and no way to install it: its variants will be skipped (failed in CI)" >&2
            return 0
        fi
        echo "==> installing PostgreSQL from Debian's packages" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin="$(postgres_bin)"
    fi
    # initdb refuses to run as root: the server runs as the `postgres` user the package made.
    local run_as=()
    if [ "$(id -u)" = 0 ]; then
        run_as=(runuser -u postgres --)
    fi
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    pg_dir="$(mktemp -d /tmp/mvpgen-postgres.XXXXXX)"
    chmod 755 "$pg_dir"
    [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
    "${run_as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 ||
        { cat "$pg_dir/initdb.log" >&2; return 1; }
    local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ -n "${MVPGEN_POSTGRES_DURABLE:-}" ] && fast=""
    "${run_as[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $pg_dir $fast -c max_connections=300" \
        start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }
    export MVPGEN_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "==> PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
    trap 'stop_postgres' EXIT
}

stop_postgres() {
    if [ -n "${pg_dir:-}" ] && [ -d "$pg_dir/data" ]; then
        local run_as=()
        [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
        "${run_as[@]}" "$(postgres_bin)/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
}
