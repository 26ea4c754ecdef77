#!/usr/bin/env bash
# A throwaway PostgreSQL server for offsync's multi-process tests and for trying the PostgreSQL journal.
#   bin/postgres-dev.sh start|stop|url   (data under target/postgres, 127.0.0.1:${OFFSYNC_PG_PORT:-55432}, trust auth)
# Installs Debian's postgresql package when no server binaries are found (needs root, as on CI).
set -euo pipefail
home="$(cd "$(dirname "$0")/.." && pwd)"
port="${OFFSYNC_PG_PORT:-55432}"
data="$home/target/postgres/data"
log="$home/target/postgres/server.log"

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

as_pg() { # PostgreSQL refuses to run as root: run as the postgres user then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if ! bin="$(pg_bin)"; then
      echo "PostgreSQL server not found; installing Debian's postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
      bin="$(pg_bin)"
    fi
    mkdir -p "$home/target/postgres"
    [ "$(id -u)" = 0 ] && chown -R postgres "$home/target/postgres"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$data" -U offsync --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U offsync -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='offsync'" | grep -q 1 \
      || as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U offsync offsync
    echo "jdbc:postgresql://127.0.0.1:$port/offsync"
    ;;
  stop)
    if bin="$(pg_bin)" && [ -f "$data/PG_VERSION" ]; then
      as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    echo "jdbc:postgresql://127.0.0.1:$port/offsync"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
