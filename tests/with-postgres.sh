#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server; TEST_DATABASE_URL points the tests at it.
# Installs PostgreSQL when the machine lacks it; the server and its files are gone afterwards.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chown postgres: "$PGDATA"
chmod 700 "$PGDATA"
as_postgres() { runuser -u postgres -- "$@"; }
# C collation: names sort by code point, as on SQLite. fsync is off: the server is thrown away.
as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/log" -w \
  -o "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
trap 'as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; rm -rf "$PGDATA"' EXIT
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" webui_test
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/webui_test" "$@"
