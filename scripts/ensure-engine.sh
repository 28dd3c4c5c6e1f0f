#!/usr/bin/env bash
# Make sure a Docker engine answers. If one already does (Docker Desktop, a CI service, a remote
# DOCKER_HOST) touch nothing. Otherwise, on Debian/Ubuntu as root, install Debian's docker.io and
# start dockerd in the background. Everything else talks to the engine through the Engine API.
set -euo pipefail

log=${DOCKERD_LOG:-/var/log/smallest-go-dockerd.log}
wait_s=${ENGINE_WAIT_SECONDS:-60}

answers() { timeout 10 docker info >/dev/null 2>&1; }
have_client() { command -v docker >/dev/null 2>&1; }

if have_client && answers; then
  echo "engine: already answering at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
  echo "engine: DOCKER_HOST=$DOCKER_HOST does not answer. Start the engine there, or unset DOCKER_HOST to use a local one." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "engine: no Docker engine answers and this is not Debian/Ubuntu as root, so it cannot be installed here." >&2
  echo "        --> Start Docker (Docker Desktop, or 'sudo systemctl start docker') and run this again." >&2
  exit 1
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "engine: installing ${need[*]} from Debian's packages"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "engine: starting dockerd in the background (log: $log)"
  mkdir -p "$(dirname "$log")"
  nohup dockerd >"$log" 2>&1 &
fi
start=$(date +%s)
until answers; do
  if [ $(( $(date +%s) - start )) -ge "$wait_s" ]; then
    echo "engine: dockerd did not answer within ${wait_s}s. Last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "engine: answering after $(( $(date +%s) - start ))s (log: $log)"
