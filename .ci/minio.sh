#!/usr/bin/env bash
# Sourced by .ci/run: starts a throw-away MinIO server on a loopback port for
# the S3 state backend tests, exports ATHANOR_TEST_S3_ENDPOINT and the fixed
# test credentials ATHANOR_TEST_S3_ACCESS_KEY / ATHANOR_TEST_S3_SECRET_KEY,
# and stops the server when the calling shell exits.
#
# MinIO has no tagged versions on the Go module proxy, so a pseudo-version is
# pinned. Building it takes minutes and makes a 150 MB binary, so the binary
# is cached by version outside the repository, in
# ${ATHANOR_CACHE:-$HOME/.cache/athanor}/minio/<version>/minio, and built only
# when missing.

ATHANOR_MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

# shellcheck source=exit.sh
source "$(dirname "${BASH_SOURCE[0]}")/exit.sh"

# athanor_minio_binary prints the cached binary's path, building it first
# if it is missing.
athanor_minio_binary() {
  local dir="${ATHANOR_CACHE:-$HOME/.cache/athanor}/minio/$ATHANOR_MINIO_VERSION"
  if [ ! -x "$dir/minio" ]; then
    echo "building MinIO $ATHANOR_MINIO_VERSION into $dir (once per version; a few minutes)" >&2
    mkdir -p "$dir"
    local tmp
    tmp=$(mktemp -d "$dir/build.XXXXXX")
    # GOFLAGS of the repository (-mod=mod) do not apply to go install pkg@version.
    if ! GOFLAGS= GOBIN="$tmp" go install "github.com/minio/minio@$ATHANOR_MINIO_VERSION" >&2; then
      rm -rf "$tmp"
      return 1
    fi
    mv "$tmp/minio" "$dir/minio" # atomic: a concurrent run sees all of it or nothing
    rm -rf "$tmp"
  fi
  echo "$dir/minio"
}

athanor_start_minio() {
  if [ -n "${ATHANOR_TEST_S3_ENDPOINT:-}" ]; then
    echo "using ATHANOR_TEST_S3_ENDPOINT from the environment"
    return 0
  fi
  local bin
  bin=$(athanor_minio_binary) || return 1
  MINIOTMP=$(mktemp -d /tmp/athanor-minio.XXXXXX)
  local port console
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
  console=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((40000 + RANDOM % 20000)))
  export ATHANOR_TEST_S3_ACCESS_KEY=athanor-test
  export ATHANOR_TEST_S3_SECRET_KEY=athanor-test-secret
  MINIO_ROOT_USER=$ATHANOR_TEST_S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$ATHANOR_TEST_S3_SECRET_KEY \
    MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=1 \
    "$bin" server --quiet --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" "$MINIOTMP/data" \
    >"$MINIOTMP/server.log" 2>&1 &
  MINIOPID=$!
  athanor_on_exit athanor_stop_minio
  local i
  for i in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/minio/health/ready" >/dev/null 2>&1; then
      export ATHANOR_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      echo "MinIO $ATHANOR_MINIO_VERSION on 127.0.0.1:$port"
      return 0
    fi
    if ! kill -0 "$MINIOPID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "MinIO did not become ready:"; cat "$MINIOTMP/server.log"
  return 1
}

athanor_stop_minio() {
  if [ -n "${MINIOPID:-}" ]; then
    kill "$MINIOPID" 2>/dev/null || true
    wait "$MINIOPID" 2>/dev/null || true
    MINIOPID=
  fi
  if [ -n "${MINIOTMP:-}" ]; then
    rm -rf "$MINIOTMP"
    MINIOTMP=
  fi
}
