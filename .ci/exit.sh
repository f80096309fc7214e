#!/usr/bin/env bash
# Sourced by the scripts that start test servers: athanor_on_exit adds a
# command to run when the calling shell exits, so that PostgreSQL and MinIO
# can both be stopped (a second `trap ... EXIT` would replace the first).

if ! declare -F athanor_on_exit >/dev/null; then
  ATHANOR_EXIT_HOOKS=()
  athanor_run_exit_hooks() {
    local h
    for h in "${ATHANOR_EXIT_HOOKS[@]}"; do "$h" || true; done
  }
  athanor_on_exit() {
    ATHANOR_EXIT_HOOKS+=("$1")
    trap athanor_run_exit_hooks EXIT
  }
fi
