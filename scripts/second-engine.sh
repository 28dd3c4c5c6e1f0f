#!/usr/bin/env bash
# A second Docker engine beside the machine's own: Debian 13's docker.io, run from a Debian 13 root
# (debootstrap), with its own socket, data root, pid file and bridge, on either image store.
#
#   second-engine.sh start overlay2|containerd   bootstrap the root once, start the engine, print its DOCKER_HOST
#   second-engine.sh stop  overlay2|containerd   stop it (its images stay in its data root)
#   second-engine.sh remove                      stop both, unmount, delete the root and its images
#
# Why these pieces: a dockerd in a chroot needs its root bind-mounted on itself, or every build
# fails with "remount /, flags: 0x84000: invalid argument". A second dockerd that is given no
# bridge of its own takes docker0 from the first, and one that manages iptables rewrites the
# first one's chains: this one gets its own bridge and subnet, manages no iptables, and this script
# adds the two rules its containers need to reach the Debian mirror. Published ports (the
# registry) go through docker-proxy, which needs no iptables.
set -euo pipefail

root=${SECOND_ENGINE_ROOT:-/var/lib/smallest-go/debian13-engine}
mirror=${SECOND_ENGINE_MIRROR:-http://deb.debian.org/debian}
wait_s=${ENGINE_WAIT_SECONDS:-60}

die() { echo "second-engine: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root: it bootstraps a Debian root and starts a dockerd"

store_of() {
  case "${1:-}" in
    overlay2) index=1 ;;
    containerd) index=2 ;;
    *) die "say which image store: overlay2 or containerd (got '${1:-}')" ;;
  esac
  store=$1
  bridge=smallgo$index
  subnet=10.213.$index
  socket=$root/run/docker-$store.sock
  pidfile=$root/run/docker-$store.pid
  log=$root/var/log/dockerd-$store.log
}

bootstrap() {
  [ -e "$root/.ready" ] && return 0
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  echo "second-engine: bootstrapping Debian 13 (trixie) with docker.io into $root" >&2
  rm -rf "$root" && mkdir -p "$root"
  debootstrap --variant=minbase --include=docker.io,iptables,ca-certificates,procps trixie "$root" "$mirror" \
    > "$root.debootstrap.log" 2>&1 || { tail -n 20 "$root.debootstrap.log" >&2; die "debootstrap failed (log: $root.debootstrap.log)"; }
  chroot "$root" dockerd --version >&2
  touch "$root/.ready"
}

mounted() { mountpoint -q "$1"; }
mount_all() {
  mounted "$root" || mount --bind "$root" "$root"
  mounted "$root/proc" || mount -t proc proc "$root/proc"
  mounted "$root/sys" || mount --rbind /sys "$root/sys"
  mounted "$root/dev" || mount --rbind /dev "$root/dev"
  mkdir -p "$root/run"
  mounted "$root/run" || mount -t tmpfs tmpfs "$root/run"
  # the project's build steps reach the Debian mirror by name
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

answers() { timeout 10 docker -H "unix://$socket" info >/dev/null 2>&1; }  # the host's client: the root has only the engine

network() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  sysctl -qw net.ipv4.ip_forward=1
  iptables -t nat -C POSTROUTING -s "$subnet.0/24" ! -o "$bridge" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$subnet.0/24" ! -o "$bridge" -j MASQUERADE
  iptables -C FORWARD -i "$bridge" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$bridge" -j ACCEPT
  iptables -C FORWARD -o "$bridge" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -o "$bridge" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}

start() {
  store_of "$1"
  bootstrap
  mount_all
  network
  if answers; then
    echo "unix://$socket"
    return 0
  fi
  local config=/etc/docker/daemon-$store.json
  if [ "$store" = containerd ]; then
    echo '{"features": {"containerd-snapshotter": true}}' > "$root$config"
  else
    echo '{"storage-driver": "overlay2", "features": {"containerd-snapshotter": false}}' > "$root$config"
  fi
  mkdir -p "$(dirname "$log")"
  # Each store keeps its own data root, exec root and containerd, so the two can run at once.
  nohup chroot "$root" dockerd --config-file "$config" \
    --host "unix://${socket#"$root"}" --pidfile "${pidfile#"$root"}" \
    --data-root "/var/lib/docker-$store" --exec-root "/run/docker-exec-$store" \
    --containerd-namespace "moby-$store" --containerd-plugins-namespace "plugins-$store" \
    --bridge "$bridge" --iptables=false --ip6tables=false > "$log" 2>&1 &
  local started=$SECONDS
  until answers; do
    if [ $((SECONDS - started)) -ge "$wait_s" ]; then
      tail -n 20 "$log" >&2
      die "the $store engine did not answer within ${wait_s}s (log: $log)"
    fi
    sleep 1
  done
  echo "second-engine: the $store engine answers after $((SECONDS - started))s (log: $log)" >&2
  echo "unix://$socket"
}

stop() {
  store_of "$1"
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 "$wait_s"); do
    kill -0 "$pid" 2>/dev/null || { echo "second-engine: the $store engine stopped" >&2; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
}

remove() {
  stop overlay2; stop containerd
  pkill -f "$root/" 2>/dev/null || true
  for where in run dev sys proc ""; do
    mounted "$root/$where" && umount -R "$root/$where"
  done
  for index in 1 2; do ip link del "smallgo$index" 2>/dev/null || true; done
  rm -rf "$root"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  remove) remove ;;
  *) die "usage: second-engine.sh start|stop overlay2|containerd, or second-engine.sh remove" ;;
esac
