#!/usr/bin/env bash
# Make sure a Docker engine answers and builds with BuildKit (through the docker CLI's buildx
# plugin, the one client BuildKit has for us). If DOCKER_HOST names an engine (a CI service, a
# remote engine), or the CLI's context does (DOCKER_CONTEXT or `docker context use`: Docker
# Desktop, Colima, rootless Docker), only check that it answers and that buildx reaches its own
# builder (named after the context: a builder selected with `docker buildx use` is passed over, as
# the build passes it over). Otherwise ask the system engine's socket, not the process list: another dockerd (a second engine
# on its own socket, a rootless one of another user) says nothing about this socket. When the
# socket does not answer, on Debian/Ubuntu as root, install Debian 13's Docker (docker.io,
# docker-cli, docker-buildx: on Debian 12 from the trixie suite, pinned to those three packages
# and nothing else, since Debian 12's own docker.io has no buildx) if dockerd or buildx is
# missing, and start dockerd in the background; an engine that still holds the pid file
# (starting, or shutting down) is waited for first. Everything but the build talks to the engine
# through the Engine API.
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
have_buildx() { have_client && docker buildx version >/dev/null 2>&1; }
builds() {  # buildx reaches the engine's own builder (the docker driver), named after its context
  # Read whole, then matched: `| grep -q` would stop reading at the match, and under pipefail the
  # CLI's write into the closed pipe after it fails the check now and then.
  local said
  said=$(BUILDX_BUILDER=${builder:-default} timeout 30 docker "$@" buildx inspect 2>/dev/null) &&
    grep -q '^Status: *running' <<< "$said"
}
no_buildkit() {
  echo "engine: the engine at $1 answers, but the docker CLI cannot build on it with BuildKit (no buildx plugin, or its builder does not run)." >&2
  echo "        --> Install the CLI's buildx plugin (Debian/Ubuntu: docker-buildx; Docker Desktop has it) and run this again." >&2
  exit 1
}
if [ -n "${DOCKER_HOST:-}" ]; then
  if have_client && timeout 10 docker info >/dev/null 2>&1; then
    builds || no_buildkit "$DOCKER_HOST"
    echo "engine: already answering at $DOCKER_HOST, building with BuildKit"
    exit 0
  fi
  echo "engine: DOCKER_HOST=$DOCKER_HOST does not answer. Start the engine there, or unset DOCKER_HOST to use a local one." >&2
  exit 1
fi
context=$(have_client && docker context show 2>/dev/null || echo default)
if [ "$context" != default ]; then
  if timeout 10 docker info >/dev/null 2>&1; then
    builder=$context builds || no_buildkit "the docker CLI's context $context"
    echo "engine: already answering through the docker CLI's context $context, building with BuildKit"
    exit 0
  fi
  echo "engine: the docker CLI's context $context does not answer. Start its engine (Docker Desktop, Colima, ...), or choose the system engine with 'docker context use default'." >&2
  exit 1
fi

answers() { have_client && timeout 10 docker -H "unix://$socket" info >/dev/null 2>&1; }
holder() {  # the pid of a live dockerd that holds the pid file, if any
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
waited() { echo $(( $(date +%s) - start )); }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
if answers; then
  if have_buildx; then
    builds -H "unix://$socket" || no_buildkit "unix://$socket"
    echo "engine: already answering at unix://$socket, building with BuildKit"
    exit 0
  fi
  can_install || no_buildkit "unix://$socket"  # an engine, but no buildx, and nothing to install it with
fi
if ! can_install; then
  echo "engine: no Docker engine answers at unix://$socket and this is not Debian/Ubuntu as root, so it cannot be installed here." >&2
  echo "        --> Start Docker (Docker Desktop, or 'sudo systemctl start docker') and run this again." >&2
  exit 1
fi

# Debian 12 has no buildx: its engine and CLI come from Debian 13, and only those three packages.
docker_suite() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ "$codename" = bookworm ] || return 0
  cat > /etc/apt/sources.list.d/smallest-go-trixie.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  cat > /etc/apt/preferences.d/smallest-go-trixie <<'PINS'
# Written by scripts/ensure-engine.sh: from Debian 13, only Docker's engine, CLI and buildx.
Package: *
Pin: release n=trixie
Pin-Priority: -1

Package: docker.io docker-cli docker-buildx
Pin: release n=trixie
Pin-Priority: 990
PINS
}

need=()
if ! command -v dockerd >/dev/null 2>&1 || ! have_buildx; then
  need+=(docker.io docker-cli docker-buildx)
  docker_suite
fi
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "engine: installing ${need[*]} from Debian's packages"
  apt-get update -q >/dev/null
  # --no-remove: never make room by removing what is there (another Docker, docker-ce, say)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-remove "${need[@]}" >/dev/null; then
    echo "engine: apt did not install ${need[*]} (above: why); it removed nothing." >&2
    echo "        --> If another Docker is installed (docker-ce), install its buildx plugin (docker-buildx-plugin) and start it, then run this again." >&2
    exit 1
  fi
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
