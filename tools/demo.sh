#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The built-in lab demo (sudo make demo): the seed incidents at the same time
# on one front-end host, and `wirescope diag` naming them.  Everything is
# bounded in count and time, uses 198.18.0.0/15 only, and is torn down on
# exit, Ctrl-C included.
#
#   front end (lab "client", diag on c0) — r1 — r2 (NAT) — upstream (lab "server")
#
#   1. small-packet flood: r1 sends the Tengine mix (88% under 75 B) to c0;
#   2. accept-queue overflow: r1 opens 300 connections at once to a listener
#      with backlog 64 that never accepts (port 8080 beside it is healthy);
#   3. NAT idle reset: the front end's own upstream connection, through r2's
#      NAT with a 5 s idle timeout, idles 8 s and writes again.
#
#   tools/demo.sh [--json]   --json: diag's JSON Lines, exit with diag's code
#
# Exit codes: 0 done (--json: diag's 0/1/2), 1 the lab could not be built or
# run (one "demo:" line says why), 130 interrupted; the lab is gone either way.
set -euo pipefail
cd "$(dirname "$0")/.."

WS=${WS:-./wirescope}
JSON=${1:-}
DIAG_SECONDS=${DIAG_SECONDS:-14}
TMP=$(mktemp -d /tmp/wsdemo.XXXXXX)
NSLIB_PREFIX="${WS_NS_PREFIX:-wsdemo$$}"
source tools/nslib.sh
source tools/lab.sh
trap 'nslib_cleanup; rm -rf "$TMP"' EXIT
# Our stderr, for messages from a trap that runs while a function's
# redirection (lab_exec ... 2>FILE) is in effect.
exec 3>&2
trap 'echo "demo: interrupted: tearing the lab down" >&3; exit 130' INT TERM

say() { [ "$JSON" = --json ] || printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { [ "$JSON" = --json ] || echo "$*"; }

fail() {
	echo "demo: $*" >&3
	exit 1
}

# wait_file FILE [ERRFILE]: FILE written within 10 s, else why not.
wait_file() {
	nslib_wait_until 10 test -s "$1" && return 0
	fail "timed out waiting for $1${2:+: $(tail -n1 "$2" 2>/dev/null)}"
}

# What the lab runs, and its namespace names still free.
preflight() {
	local c r missing=()
	[ "$(id -u)" = 0 ] || fail "run as root (sudo make demo)"
	[ -x "$WS" ] || fail "build first (make)"
	for c in ip nft trafgen python3 timeout ping sysctl; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	[ ${#missing[@]} = 0 ] ||
		fail "missing ${missing[*]}: sudo tools/deps.sh demo installs them"
	for r in c r1 r2 s; do
		[ ! -e "/run/netns/$NSLIB_PREFIX-$r" ] ||
			fail "namespace $NSLIB_PREFIX-$r exists: another demo, or one killed with -9 (ip netns del $NSLIB_PREFIX-$r)"
	done
}

# The Tengine mix: 22 bare 60-byte TCP segments for every 3 with a 1000-byte
# POST body, to a MAC nobody has: the front end's stack drops them quietly.
small_packet_flood() {
	local i
	: >"$TMP/flood.cfg"
	for i in $(seq 22); do
		echo "{ eth(da=02:00:00:00:00:99, type=0x0800), ipv4(sa=$LAB_R1_IP, da=$LAB_C_IP, proto=6), tcp(sp=drnd(), dp=80, ack), fill(0x00, 6) }" >>"$TMP/flood.cfg"
	done
	for i in 1 2 3; do
		echo "{ eth(da=02:00:00:00:00:99, type=0x0800), ipv4(sa=$LAB_R1_IP, da=$LAB_C_IP, proto=6), tcp(sp=drnd(), dp=80, ack, psh), fill(0x41, 946) }" >>"$TMP/flood.cfg"
	done
	timeout 30 ip netns exec "$LAB_R1" trafgen -o r1a -i "$TMP/flood.cfg" \
		-n 500000 -b 50000pps >/dev/null 2>"$TMP/flood.err" ||
		touch "$TMP/flood.failed"
}

accept_overflow() {
	clients churn "$LAB_C_IP" 8080 100
	clients burst "$LAB_C_IP" 80 300 3
}

# clients ARGS...: tests/e2e/py/hs_client.py on r1; its failure fails the demo.
clients() {
	lab_exec r1 python3 tests/e2e/py/hs_client.py "$@" >/dev/null 2>"$TMP/clients.err" ||
		fail "the accept-queue clients failed: $(tail -n1 "$TMP/clients.err")"
}

nat_idle_reset() {
	lab_client "send:hello,recv,sleep:8,send:again,recvwait:3" --timeout 15 >/dev/null 2>&1 || true
}

main() {
	preflight
	say "The lab: front end 198.18.0.2 — r1 — r2 (NAT, 5 s idle timeout) — upstream 198.18.2.2"
	lab_up "$NSLIB_PREFIX"
	lab_r2_nat 5
	lab_server --timeout 40 >"$TMP/server" 2>&1 &
	nslib_track $!
	wait_file "$TMP/server" "$TMP/server"
	lab_exec c python3 tests/e2e/py/hs_server.py "$TMP/listen" 40 \
		"$LAB_C_IP,80,stuck,64" "$LAB_C_IP,8080,accept" 2>"$TMP/listen.err" &
	nslib_track $!
	wait_file "$TMP/listen" "$TMP/listen.err"
	note "incidents, all at once: a small-packet flood from r1; 300 clients at once on"
	note "port 80 (backlog 64, nobody accepts); the upstream connection idles 8 s."
	say "wirescope diag -i c0 -d $DIAG_SECONDS --locate"
	lab_exec c timeout -k 5 $((DIAG_SECONDS + 30)) "$WS" diag -i c0 \
		-d "$DIAG_SECONDS" --locate ${JSON:+-j} --ready-file "$TMP/ready" &
	local diag=$!
	nslib_track "$diag"
	wait_file "$TMP/ready"
	nat_idle_reset &
	nslib_track $!
	sleep 1
	small_packet_flood &
	nslib_track $!
	accept_overflow
	local rc=0
	wait "$diag" || rc=$?
	# 0, 1, 2: its verdict; anything else: it failed (its own line says why).
	[ "$rc" -le 2 ] || fail "wirescope diag failed (exit $rc)"
	[ ! -e "$TMP/flood.failed" ] ||
		fail "the small-packet flood failed, diag could not see it: $(tail -n1 "$TMP/flood.err")"
	say "Done (diag exit code $rc): the lab is torn down."
	[ "$JSON" = --json ] && return "$rc"
	return 0
}

main "$@"
