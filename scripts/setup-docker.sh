#!/usr/bin/env bash
# The Docker engine and the task image for the docker backend's tests (tests/core/runtime/test_docker_*.py).
# Idempotent, each step only when needed:
#   1. docker.io and debootstrap from Debian's packages (the machines have the docker CLI, no engine);
#   2. dockerd in the background when no daemon answers (log: /var/log/mlgym-dockerd.log);
#   3. `mlgym-tui image bootstrap --tasks …`: a local Debian base (no registry is reachable here), then
#      the task image with the requirements of the tasks the tests run (a no-op when up to date).
# Not root and no daemon: says so and leaves the Docker tests to skip (CI sets MLGYM_REQUIRE_DOCKER=1,
# which turns a missing daemon into a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${MLGYM_DOCKER_TASKS:-prisonersDilemma}
started=$(date +%s)
SUDO=""
[ "$(id -u)" = "0" ] || SUDO=sudo
if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  echo "setup-docker: not root and no Docker daemon answers; the Docker tests will be skipped" >&2
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd"
  # A daemon killed with its session leaves pid files behind, and dockerd refuses to start over them.
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
      $SUDO rm -f "$pidfile"
    fi
  done
  $SUDO setsid nohup dockerd >/var/log/mlgym-dockerd.log 2>&1 </dev/null &
  daemon=$!
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup-docker: dockerd did not come up; last lines of /var/log/mlgym-dockerd.log:" >&2
    tail -n 20 /var/log/mlgym-dockerd.log >&2 || true
    exit 1
  fi
fi

# shellcheck disable=SC2086
.venv/bin/mlgym-tui image bootstrap --tasks $TASKS
echo "setup-docker: ready in $(( $(date +%s) - started )) s"
