#!/usr/bin/env bash
# Runs a command with TMPDIR inside the clone (.test-tmp/run-<pid>), removed afterwards: tools the
# test command runs (tsx's IPC folder, esbuild, the rehearsal's scratch) would otherwise leave
# folders in the system temp folder. The embedded server, which must be reachable by the
# `postgres` user, still places its own home in the system temp folder and removes it on stop.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.test-tmp/run-$$"
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
TMPDIR="$dir" "$@"
