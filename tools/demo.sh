#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The built-in lab demo (sudo make demo): reproduce the seed incidents in
# network namespaces and show what wirescope makes of them.  Everything is
# bounded in count and time, uses 198.18.0.0/15 only, and is torn down on
# exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."

WS=${WS:-./wirescope}
FLOOD_FRAMES=${FLOOD_FRAMES:-1000000}
FLOOD_RATE=${FLOOD_RATE:-100000}
TMP=$(mktemp -d /tmp/wsdemo.XXXXXX)
NSLIB_PREFIX="wsdemo$$"
source tools/nslib.sh
trap 'nslib_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# front (the server, wirescope on f0) <== veth ==> clients (c0)
lab_up() {
	FRONT=$(nslib_ns front)
	CLIENTS=$(nslib_ns clients)
	nslib_veth "$FRONT" f0 "$CLIENTS" c0
	ip -n "$FRONT" addr add 198.18.0.1/24 dev f0
	ip -n "$CLIENTS" addr add 198.18.0.2/24 dev c0
}

# The Tengine incident: 88% of packets are TCP under 75 bytes.  22 of every
# 25 frames are bare 60-byte TCP segments, 3 carry a 1000-byte POST body.
write_flood() {
	local mac i
	mac=$(ip netns exec "$FRONT" cat /sys/class/net/f0/address)
	: >"$TMP/flood.cfg"
	for i in $(seq 22); do
		echo "{ eth(da=$mac, type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, proto=6), tcp(sp=drnd(), dp=80, ack), fill(0x00, 6) }" >>"$TMP/flood.cfg"
	done
	for i in 1 2 3; do
		echo "{ eth(da=$mac, type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, proto=6), tcp(sp=drnd(), dp=80, ack, psh), fill(0x41, 946) }" >>"$TMP/flood.cfg"
	done
}

small_packet_flood() {
	local secs=$((FLOOD_FRAMES / FLOOD_RATE)) ready="$TMP/ready"
	say "Incident 1: a small-packet flood on the front end"
	echo "clients send $FLOOD_FRAMES TCP frames at ${FLOOD_RATE} pps for ~${secs}s;"
	echo "wirescope sizes watches the server's interface (--small 75):"
	echo
	echo "\$ wirescope sizes -i f0 --small 75 1 $((secs + 1))"
	ip netns exec "$FRONT" "$WS" sizes -i f0 --small 75 --ready-file "$ready" 1 $((secs + 1)) &
	local ws=$!
	nslib_track "$ws"
	for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
	[ -s "$ready" ] || { echo "wirescope did not start" >&2; exit 1; }
	write_flood
	timeout $((secs + 20)) ip netns exec "$CLIENTS" \
		trafgen -o c0 -i "$TMP/flood.cfg" -n "$FLOOD_FRAMES" -b "${FLOOD_RATE}pps" -q >/dev/null 2>&1 || true
	wait "$ws" || true
}

main() {
	[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }
	[ -x "$WS" ] || { echo "demo: build first (make)" >&2; exit 1; }
	lab_up
	small_packet_flood
	say "Incident 2: a NAT forgets idle flows and resets them"
	tools/demo_resets.sh
	say "Done: the lab is torn down."
}

main "$@"
