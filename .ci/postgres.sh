#!/usr/bin/env bash
# Sourced by .ci/run: starts a throw-away PostgreSQL cluster on a loopback
# port for the state backend tests, exports ATHANOR_TEST_POSTGRES_URL, and
# stops the cluster when the calling shell exits. TCP connections need the
# password (scram-sha-256), so that the tests of a wrong password mean
# something; the password is a fixed test value in the exported URL. PostgreSQL comes from
# Debian's packages and is installed when missing. Postgres refuses to run
# as root, so the cluster belongs to the postgres user when CI runs as root.

# shellcheck source=exit.sh
source "$(dirname "${BASH_SOURCE[0]}")/exit.sh"

athanor_start_postgres() {
  if [ -n "${ATHANOR_TEST_POSTGRES_URL:-}" ]; then
    echo "using ATHANOR_TEST_POSTGRES_URL from the environment"
    return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  local run=()
  if [ "$(id -u)" = 0 ]; then
    run=(runuser -u postgres --)
  fi
  PGTMP=$(mktemp -d /tmp/athanor-pg.XXXXXX)
  chmod 755 "$PGTMP"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGTMP"
  # A free loopback port: ask the kernel for one.
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
  echo athanor-test >"$PGTMP/pw"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGTMP/pw"
  "${run[@]}" "$bin/initdb" -D "$PGTMP/data" -U athanor --pwfile="$PGTMP/pw" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --no-locale >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log"; return 1; }
  "${run[@]}" "$bin/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PGTMP -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$PGTMP/server.log"; return 1; }
  ATHANOR_PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PGTMP/data" -m immediate stop)
  athanor_on_exit athanor_stop_postgres
  "${run[@]}" "$bin/createdb" -h "$PGTMP" -p "$port" -U athanor athanor_test
  export ATHANOR_TEST_POSTGRES_URL="postgres://athanor:athanor-test@127.0.0.1:$port/athanor_test?sslmode=disable"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

athanor_stop_postgres() {
  if [ -n "${PGTMP:-}" ]; then
    "${ATHANOR_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PGTMP"
    PGTMP=
  fi
}
