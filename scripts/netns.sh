#!/usr/bin/env bash
# Network namespaces for a cluster whose processes do not share a host: each process of
# `deno task cluster --netns` runs in a namespace of its own, with its own address, joined to the
# others and to this machine by a bridge. Nothing leaves the machine: the bridge has no uplink.
#   scripts/netns.sh up [N]   the bridge (HOST_IP) and namespaces im-ns-1..N (default 12), idempotent
#   scripts/netns.sh down     deletes them
#   scripts/netns.sh status   lists them with their addresses
# Namespace K has the address 10.77.0.(10+K); the bridge, where the engines of `infra:up --ha`
# listen, 10.77.0.1. Needs root (or sudo) and iproute2.
set -euo pipefail

BRIDGE=im-br0
PREFIX=10.77.0
HOST_IP=$PREFIX.1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { echo "netns: $*"; }

bridge_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    as_root ip link add "$BRIDGE" type bridge
    as_root ip addr add "$HOST_IP/24" dev "$BRIDGE"
  fi
  as_root ip link set "$BRIDGE" up
}

namespace_up() { # K
  local k=$1 ns="im-ns-$1" veth="im-veth$1"
  if ip netns list | grep -qw "$ns"; then return; fi
  as_root ip netns add "$ns"
  as_root ip link add "$veth" type veth peer name eth0 netns "$ns"
  as_root ip link set "$veth" master "$BRIDGE" up
  as_root ip -n "$ns" addr add "$PREFIX.$((10 + k))/24" dev eth0
  as_root ip -n "$ns" link set eth0 up
  as_root ip -n "$ns" link set lo up
  as_root ip -n "$ns" route add default via "$HOST_IP"
}

# Only this machine may reach the subnet: the engines listen on the bridge without passwords, and
# Linux would otherwise deliver a packet for 10.77.0.1 that arrives on any interface (another host
# that routes the subnet to this one). Packets from this machine (the loopback) and from the
# namespaces (the bridge) pass; others are dropped, forwarded ones too.
GUARD_INPUT=(INPUT -d "$PREFIX.0/24" ! -i "$BRIDGE" -m addrtype ! --src-type LOCAL -j DROP)
GUARD_FORWARD=(FORWARD -d "$PREFIX.0/24" ! -i "$BRIDGE" -j DROP)

guard() {
  if ! command -v iptables >/dev/null; then
    say "no iptables: other hosts that route $PREFIX.0/24 here could reach the engines"
    return 0
  fi
  local rule
  for rule in GUARD_INPUT GUARD_FORWARD; do
    local -n spec=$rule
    as_root iptables -C "${spec[@]}" 2>/dev/null || as_root iptables -I "${spec[@]}" ||
      say "could not add the iptables rule ${spec[*]}"
  done
}

unguard() {
  command -v iptables >/dev/null || return 0
  local rule
  for rule in GUARD_INPUT GUARD_FORWARD; do
    local -n spec=$rule
    while as_root iptables -C "${spec[@]}" 2>/dev/null; do as_root iptables -D "${spec[@]}"; done
  done
}

up() {
  local n=${1:-12}
  if ! command -v ip >/dev/null; then
    say "installing iproute2"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
  fi
  bridge_up
  guard
  for k in $(seq 1 "$n"); do namespace_up "$k"; done
  say "up: bridge $BRIDGE at $HOST_IP, namespaces im-ns-1..$n at $PREFIX.11..$PREFIX.$((10 + n))"
}

down() {
  for ns in $(ip netns list | grep -o '^im-ns-[0-9]*' || true); do as_root ip netns del "$ns"; done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then as_root ip link del "$BRIDGE"; fi
  unguard
  say "down"
}

status() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then say "bridge $BRIDGE at $HOST_IP"; else say "no bridge"; fi
  for ns in $(ip netns list | grep -o '^im-ns-[0-9]*' || true); do
    say "$ns $(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')"
  done
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [N]|down|status" >&2; exit 2 ;;
esac
