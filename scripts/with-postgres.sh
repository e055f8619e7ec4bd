#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster made with the machine's own binaries:
# a socket in a temp folder, 127.0.0.1 on a free port, removed afterwards even on failure.
# The command sees EVENTAPP_TEST_DATABASE_URI pointing at the new database.
# fsync is off for the tests (a throwaway cluster); PG_FSYNC=on keeps it, for benchmarks.
set -euo pipefail
PGVERSION=${PGVERSION:-15}
PGBIN=/usr/lib/postgresql/$PGVERSION/bin
if [ ! -x "$PGBIN/initdb" ]; then
  echo "with-postgres: installing postgresql-$PGVERSION"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PGVERSION" >/dev/null
fi

as_postgres=()
if [ "$(id -u)" = 0 ]; then as_postgres=(runuser -u postgres --); fi

workdir=$(mktemp -d /tmp/eventapp-pg.XXXXXX)
chmod 755 "$workdir"
[ "$(id -u)" = 0 ] && chown postgres "$workdir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${as_postgres[@]}" "$PGBIN/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap stop EXIT

"${as_postgres[@]}" "$PGBIN/initdb" -D "$workdir/data" -U eventapp --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_postgres[@]}" "$PGBIN/pg_ctl" -D "$workdir/data" -l "$workdir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c max_connections=300 -c fsync=${PG_FSYNC:-off}" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U eventapp eventapp_test

export EVENTAPP_TEST_DATABASE_URI="postgresql+psycopg://eventapp@127.0.0.1:$port/eventapp_test"
echo "with-postgres: PostgreSQL $PGVERSION on 127.0.0.1:$port"
"$@"
