#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: measure wirescope's cost side by side with baselines in one
# run and write docs/BENCHMARKS.md.  Every figure is a ratio or a count
# against a baseline measured in the same run, median of ROUNDS rounds with
# min and max.  Traffic: bounded frame counts inside our own namespaces.
#   ROUNDS=5 FLOOD_FRAMES=300000 tools/bench/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

WS=$PWD/wirescope
ROUNDS=${ROUNDS:-5}
FLOOD_FRAMES=${FLOOD_FRAMES:-300000}
OUT=build/bench/results
TMP=$(mktemp -d /tmp/wsbench.XXXXXX)
mkdir -p "$OUT"
rm -f "$OUT"/*.json
NSLIB_PREFIX="wsbench$$"
source tools/nslib.sh
trap 'nslib_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

lab_up() {
	SND=$(nslib_ns snd)
	RCV=$(nslib_ns rcv)
	nslib_veth "$SND" s0 "$RCV" r0
	ip -n "$SND" addr add 198.18.0.2/24 dev s0
	ip -n "$RCV" addr add 198.18.0.1/24 dev r0
	local mac
	mac=$(ip netns exec "$RCV" cat /sys/class/net/r0/address)
	# 60-byte bare TCP ACKs to a closed port: the incident's traffic.
	echo "{ eth(da=$mac, type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, proto=6), tcp(sp=drnd(), dp=80, ack), fill(0x00, 6) }" >"$TMP/flood.cfg"
}

tcp_in_segs() { ip netns exec "$RCV" nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}'; }
rx_packets() { ip netns exec "$RCV" cat /sys/class/net/r0/statistics/rx_packets; }
now() { date +%s.%N; }

# start_observer CONFIG: attach what CONFIG measures to r0; sets OBS_PID.
start_observer() {
	OBS_PID=""
	case $1 in
	none) ;;
	xdp_pass_native)
		ip -n "$RCV" link set dev r0 xdpdrv obj build/bench/xdp_pass.bpf.o sec xdp
		;;
	sizes_generic | sizes_native)
		local ready="$TMP/ready.$RANDOM"
		ip netns exec "$RCV" "$WS" sizes -i r0 -m "${1#sizes_}" -j 3600 --ready-file "$ready" >"$TMP/ws.out" 2>&1 &
		OBS_PID=$!
		for _ in $(seq 200); do [ -s "$ready" ] && break; sleep 0.05; done
		[ -s "$ready" ] || { log "wirescope did not start: $(cat "$TMP/ws.out")"; exit 1; }
		;;
	tcpdump)
		ip netns exec "$RCV" tcpdump -i r0 -Q in -w /dev/null -n >"$TMP/td.out" 2>&1 &
		OBS_PID=$!
		for _ in $(seq 200); do grep -q listening "$TMP/td.out" && break; sleep 0.05; done
		;;
	esac
}

# stop_observer CONFIG: prints "counted dropped" (frames the observer saw,
# frames it lost); "- -" when nothing observes.
stop_observer() {
	if [ "$1" = xdp_pass_native ]; then
		ip -n "$RCV" link set dev r0 xdpdrv off
	fi
	[ -n "$OBS_PID" ] || { echo "- -"; return; }
	kill -INT "$OBS_PID"
	wait "$OBS_PID" 2>/dev/null || true
	case $1 in
	sizes_*) python3 - "$TMP/ws.out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "summary" and o["dir"] == "rx":
        print(o["packets"], 0)
PY
	;;
	tcpdump) awk '/packets captured/ {c=$1} /dropped by kernel/ {d=$1} END {print c, d}' "$TMP/td.out" ;;
	esac
}

flood_once() { # CONFIG ROUND
	local cfg=$1 before after rx0 rx1 t0 t1 obs
	start_observer "$cfg"
	before=$(tcp_in_segs)
	rx0=$(rx_packets)
	t0=$(now)
	# One sender process on sendto() (a rate above what the box can do):
	# trafgen's mmap ring gives up on the first EAGAIN, and veth in native
	# XDP mode pushes back.  trafgen exits 1 when it cannot raise the
	# global socket buffers from inside a namespace: judge by the counts.
	timeout 120 ip netns exec "$SND" trafgen -o s0 -i "$TMP/flood.cfg" -n "$FLOOD_FRAMES" -b 5000000pps -P 1 >/dev/null 2>&1 || true
	t1=$(now)
	sleep 0.3 # let the receiver's backlog drain before reading counters
	after=$(tcp_in_segs)
	rx1=$(rx_packets)
	obs=$(stop_observer "$cfg")
	obs=${obs:-- -}
	python3 -c 'import json,sys
c,r,sent,arr,d,t0,t1,oc,od=sys.argv[1:]
print(json.dumps({"config":c,"round":int(r),"sent":int(sent),"arrived":int(arr),
 "delivered":int(d),"seconds":float(t1)-float(t0),
 "observed":None if oc=="-" else int(oc),
 "observer_dropped":None if od in ("-","") else int(od)}))' \
		"$cfg" "$2" "$FLOOD_FRAMES" $((rx1 - rx0)) $((after - before)) "$t0" "$t1" $obs >>"$OUT/flood.json"
}

bench_flood() {
	local configs=(none xdp_pass_native sizes_generic sizes_native tcpdump) r i n=${#configs[@]}
	log "flood: $ROUNDS rounds x ${#configs[@]} configs x $FLOOD_FRAMES frames"
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do # rotate the order each round
			flood_once "${configs[$(((i + r) % n))]}" "$r"
		done
	done
}

bench_progcost() {
	log "program cost: BPF_PROG_TEST_RUN, $ROUNDS rounds x 1e6 runs per path"
	build/bench/progcost -r "$ROUNDS" -n 1000000 -c 1 >"$OUT/progcost.json"
}

# CPU seconds per minute of a wirescope command, idle and under a flood.
bench_userspace() { # NAME ARGS...
	local name=$1 ready="$TMP/ready.$RANDOM" pid t ticks0 ticks1 state
	shift
	for state in idle flood; do
		ip netns exec "$RCV" "$WS" "$@" --ready-file "$ready" >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 200); do [ -s "$ready" ] && break; sleep 0.05; done
		ticks0=$(awk '{print $14 + $15}' /proc/$pid/stat)
		t=$(now)
		if [ $state = flood ]; then
			timeout 60 ip netns exec "$SND" trafgen -o s0 -i "$TMP/flood.cfg" -n 2000000 -b 200000pps -q >/dev/null 2>&1 || true
		else
			sleep 10
		fi
		ticks1=$(awk '{print $14 + $15}' /proc/$pid/stat)
		kill -INT $pid; wait $pid 2>/dev/null || true
		rm -f "$ready"
		python3 -c 'import json,sys,os
n,st,t0,k0,k1=sys.argv[1:]
import time
secs=time.time()-float(t0)
hz=os.sysconf("SC_CLK_TCK")
print(json.dumps({"command":n,"state":st,"seconds":secs,"cpu_ms_per_min":(int(k1)-int(k0))/hz*60000/secs}))' \
			"$name" "$state" "$t" "$ticks0" "$ticks1" >>"$OUT/userspace.json"
	done
}

main() {
	[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
	lab_up
	bench_progcost
	bench_flood
	log "user-space CPU"
	bench_userspace "sizes" sizes -i r0 -j 1
	python3 tools/bench/report.py "$OUT" >docs/BENCHMARKS.md
	log "wrote docs/BENCHMARKS.md"
}

main "$@"
