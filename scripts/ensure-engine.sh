#!/usr/bin/env bash
# Make sure a Docker engine answers. If DOCKER_HOST names one (Docker Desktop, a CI service, a
# remote engine), only check that it answers. Otherwise ask the system engine's socket, not the
# process list: another dockerd (a second engine on its own socket, a rootless one of another
# user) says nothing about this socket. When the socket does not answer, on Debian/Ubuntu as root,
# install Debian's docker.io if needed and start dockerd in the background; an engine that still
# holds the pid file (starting, or shutting down) is waited for first. Everything else talks to
# the engine through the Engine API.
#
# ENGINE_SOCKET, ENGINE_PIDFILE and ENGINE_DOCKERD_ARGS name another engine to ensure (the tests
# start one beside the system engine); by default it is the system engine.
set -euo pipefail

log=${DOCKERD_LOG:-/var/log/smallest-go-dockerd.log}
wait_s=${ENGINE_WAIT_SECONDS:-60}
socket=${ENGINE_SOCKET:-/var/run/docker.sock}
pidfile=${ENGINE_PIDFILE:-/var/run/docker.pid}
read -r -a extra <<< "${ENGINE_DOCKERD_ARGS:-}"

have_client() { command -v docker >/dev/null 2>&1; }
if [ -n "${DOCKER_HOST:-}" ]; then
  if have_client && timeout 10 docker info >/dev/null 2>&1; then
    echo "engine: already answering at $DOCKER_HOST"
    exit 0
  fi
  echo "engine: DOCKER_HOST=$DOCKER_HOST does not answer. Start the engine there, or unset DOCKER_HOST to use a local one." >&2
  exit 1
fi

answers() { have_client && timeout 10 docker -H "unix://$socket" info >/dev/null 2>&1; }
holder() {  # the pid of a live dockerd that holds the pid file, if any
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
waited() { echo $(( $(date +%s) - start )); }

if answers; then
  echo "engine: already answering at unix://$socket"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "engine: no Docker engine answers at unix://$socket and this is not Debian/Ubuntu as root, so it cannot be installed here." >&2
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

start=$(date +%s)
if pid=$(holder); then
  echo "engine: dockerd $pid holds $pidfile but does not answer at unix://$socket; waiting for it to answer or to end"
  while pid=$(holder) && ! answers; do
    if [ "$(waited)" -ge "$wait_s" ]; then
      echo "engine: dockerd $pid neither answered nor ended within ${wait_s}s. Stop it (kill $pid) and run this again." >&2
      exit 1
    fi
    sleep 1
  done
  if answers; then
    echo "engine: answering after $(waited)s"
    exit 0
  fi
fi

echo "engine: starting dockerd for unix://$socket in the background (log: $log)"
mkdir -p "$(dirname "$log")"
nohup dockerd --host "unix://$socket" --pidfile "$pidfile" "${extra[@]}" >"$log" 2>&1 &
until answers; do
  if [ "$(waited)" -ge "$wait_s" ]; then
    echo "engine: dockerd did not answer within ${wait_s}s. Last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "engine: answering after $(waited)s (log: $log)"
