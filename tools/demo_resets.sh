#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Demo: a NAT gateway that forgets idle flows, as in the MongoDB incident
# (../shared/seed/incidents.txt), in the lab of tools/lab.sh.  r2 NATs with
# a 3 s conntrack idle timeout (the real ones: ~90 s); the client idles 5 s
# and writes again; wirescope resets on the client says who reset it,
# where, after how long, and what to change.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lab.sh

P=wsdemo$$
T=$(mktemp -d /tmp/wsdemo.XXXXXX)
cleanup() {
	[ -n "${WS_PID:-}" ] && kill -INT "$WS_PID" 2>/dev/null && wait "$WS_PID" 2>/dev/null
	lab_down "$P"
	rm -rf "$T"
}
trap cleanup EXIT

echo "-- lab: client 198.18.0.2 — r1 — r2 (NAT, 3 s idle timeout) — server 198.18.2.2"
lab_up "$P"
lab_r2_nat 3
lab_server --timeout 20 >"$T/server" 2>&1 &
until [ -s "$T/server" ]; do sleep 0.05; done

echo "-- wirescope resets -i c0 --locate (in the client)"
ip netns exec "$LAB_C" ./wirescope resets -i c0 --locate --ready-file "$T/ready" &
WS_PID=$!
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.05; done

echo "-- client: talk, idle 5 s, talk again"
lab_client "send:hello,recv,sleep:5,send:again,recvwait:3" --timeout 10 | sed 's/^/   client: /'
sleep 1.5
kill -INT "$WS_PID"
wait "$WS_PID" || true
WS_PID=
