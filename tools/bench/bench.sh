#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: measure wirescope's cost side by side with baselines in one
# run and write docs/BENCHMARKS.md.  Every figure is a ratio or a count
# against a baseline measured in the same run, median of ROUNDS rounds with
# min and max.  Traffic: bounded frame counts inside our own namespaces.
#   ROUNDS=5 FLOOD_FRAMES=300000 tools/bench/bench.sh
#   SECTIONS="churn exporter" ROUNDS=2 tools/bench/bench.sh  # a subset
# An A/B of another build under bpf_stats (section 3b), one collector:
#   WS=/other/wirescope WHERE_CONFIGS=resets SECTIONS=where tools/bench/bench.sh
# WHERE_LOADS picks its loads (ack data churn).
# Both builds in the same rounds: a config ending in _b runs from WS_B.
#   WS_B=/other/wirescope SECTIONS=flood FLOOD_CONFIGS="diag diag_b" ...
# FLOOD_CONFIGS, CHURN_CONFIGS and BULK_CONFIGS pick a section's observers;
# the unobserved runs between them are always there.
# Only a full run of this build rewrites docs/BENCHMARKS.md; any other goes
# to build/bench/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

WS_SET=${WS:-}
WS=${WS:-$PWD/wirescope} # WS=path: another build, for an A/B
ROUNDS=${ROUNDS:-5}
FLOOD_FRAMES=${FLOOD_FRAMES:-300000}
REPEAT=${REPEAT:-1000000}
CHURN_CONNS=${CHURN_CONNS:-20000}
CHURN_INFLIGHT=${CHURN_INFLIGHT:-64}
SCRAPES=${SCRAPES:-200}
ROUNDS_US=${ROUNDS_US:-$ROUNDS}
US_IDLE=${US_IDLE:-6}
US_FRAMES=${US_FRAMES:-1200000}
ALL_SECTIONS="progcost bulk flood churn where exporter cpu"
SECTIONS=${SECTIONS:-$ALL_SECTIONS}
REPORT=docs/BENCHMARKS.md
if [ "$SECTIONS" != "$ALL_SECTIONS" ] || [ -n "${WS_SET:-}${WS_B:-}${WHERE_CONFIGS:-}${WHERE_LOADS:-}${FLOOD_CONFIGS:-}${CHURN_CONFIGS:-}${BULK_CONFIGS:-}" ]; then
	REPORT=build/bench/BENCHMARKS.md
fi
OUT=build/bench/results
TMP=$(mktemp -d /tmp/wsbench.XXXXXX)
mkdir -p "$OUT"
rm -f "$OUT"/*.json
NSLIB_PREFIX="wsbench$$"
source tools/nslib.sh
BPF_STATS_WAS=""
# The load's two ends on CPUs of their own, sender 0 and receiver 1 (trafgen
# -P 1 pins itself to 0): left to the scheduler, where they landed moved a
# ratio by up to a fifth between two runs with nothing attached (A/A).  The
# observer runs wherever the scheduler puts it.
PIN_SND=() PIN_RCV=()
if [ "$(nproc)" -ge 2 ]; then PIN_SND=(taskset -c 0) PIN_RCV=(taskset -c 1); fi
restore_bpf_stats() { [ -z "$BPF_STATS_WAS" ] || sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_WAS"; }
trap 'iperf3_server_stop; restore_bpf_stats; nslib_cleanup; rm -rf "$TMP"' EXIT
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
	# Bare TCP ACKs to a closed port, the incident's traffic: 54 bytes, as
	# veth does not pad to the 60 of a real wire (IP length 40 either way).
	echo "{ eth(da=$mac, type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, proto=6), tcp(sp=drnd(), dp=80, ack) }" >"$TMP/flood.cfg"
}

# ws_start NS ARGS...: run wirescope in NS until it is attached; sets OBS_PID
# (output in $TMP/ws.out).
ws_start() {
	local ns=$1 ready="$TMP/ready.$RANDOM"
	shift
	ip netns exec "$ns" "$WS" "$@" --ready-file "$ready" >"$TMP/ws.out" 2>&1 &
	OBS_PID=$!
	nslib_wait_until 10 test -s "$ready" || { log "wirescope did not start: $(cat "$TMP/ws.out")"; exit 1; }
	rm -f "$ready"
}

ws_lines() { wc -l <"$TMP/ws.out"; }

# Wait for the next per-second line: diag has no totals at exit, its
# intervals must cover the whole flood.
next_interval() {
	local n
	n=$(ws_lines)
	nslib_wait_until 3 nslib_at_least $((n + 1)) ws_lines ||
		log "diag printed no interval in 3 s"
}

ws_stop() {
	kill -INT "$OBS_PID"
	wait "$OBS_PID" 2>/dev/null || true
}

tcp_in_segs() { ip netns exec "$RCV" nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}'; }
udp_in() { ip netns exec "$RCV" nstat -az UdpInDatagrams | awk '/UdpInDatagrams/ {print $2}'; }
# What the receiver's stack delivered for a flood KIND: TCP segments (ack,
# data) or UDP datagrams read by the socket (udp).
delivered() { if [ "$1" = udp ]; then udp_in; else tcp_in_segs; fi; }
rx_packets() { ip netns exec "$RCV" cat /sys/class/net/r0/statistics/rx_packets; }
now() { date +%s.%N; }

# The empty program (or OBJ's) on tcx links, as wirescope attaches (held by
# a process: sets OBS_PID); false if this kernel has no tcx.
tcx_pass_start() { # [OBJ]
	ip netns exec "$RCV" build/bench/tcx_pass "${1:-build/bench/tc_pass.bpf.o}" r0 3600 >"$TMP/tcx.out" 2>&1 &
	OBS_PID=$!
	nslib_wait_until 10 grep -q '^attached' "$TMP/tcx.out" && return 0
	local rc=0
	wait "$OBS_PID" || rc=$?
	OBS_PID=""
	[ "$rc" = 3 ] || { log "tcx_pass: exit $rc: $(cat "$TMP/tcx.out")"; exit 1; }
	return 1
}

# The empty program (or OBJ's) as clsact filters: nothing holds it.
clsact_pass_start() { # [OBJ]
	local obj=${1:-build/bench/tc_pass.bpf.o}
	tc -n "$RCV" qdisc add dev r0 clsact
	tc -n "$RCV" filter add dev r0 ingress bpf da obj "$obj" sec tc
	tc -n "$RCV" filter add dev r0 egress bpf da obj "$obj" sec tc
}

tc_pass_stop() {
	if [ -n "$OBS_PID" ]; then
		kill -TERM "$OBS_PID"
		wait "$OBS_PID" || { log "tcx_pass: exit $?: $(cat "$TMP/tcx.out")"; exit 1; }
		OBS_PID=""
	else
		tc -n "$RCV" qdisc del dev r0 clsact
	fi
}

# on_build_b FUNC CONFIG_b: FUNC CONFIG with WS_B's build as WS.
on_build_b() {
	WS=${WS_B:?"config $2 needs WS_B"} "$1" "${2%_b}"
}

# start_observer CONFIG: attach what CONFIG measures to r0; sets OBS_PID.
start_observer() {
	OBS_PID=""
	case $1 in
	*_b) on_build_b start_observer "$1" ;;
	none | none_again) ;; # none_again: an A/A pair, the noise floor
	xdp_pass_native)
		ip -n "$RCV" link set dev r0 xdpdrv obj build/bench/xdp_pass.bpf.o sec xdp
		;;
	tc_pass) # the hook's own cost: wirescope's default hook, nothing in it
		tcx_pass_start || clsact_pass_start
		;;
	tc_pass_clsact) clsact_pass_start ;; # the same, through tc's classifier
	tc_pass_touch) # the same, reading the headers: the misses any observer takes
		tcx_pass_start build/bench/tc_touch.bpf.o || clsact_pass_start build/bench/tc_touch.bpf.o
		;;
	sizes_generic | sizes_native)
		ws_start "$RCV" sizes -i r0 -m "${1#sizes_}" -j 3600
		;;
	sizes_tc) ws_start "$RCV" sizes -i r0 -j 3600 ;;
	diag) ws_start "$RCV" diag -i r0 -j -d 3600 ;;
	diag_skiptp) ws_start "$RCV" diag -i r0 -j -d 3600 --skip-tracepoint "$SKIP_TPS" ;;
	diag_native) ws_start "$RCV" diag -i r0 -m native -j -d 3600 ;;
	export) ws_start "$RCV" export -i r0 --listen 127.0.0.1:19462 ;;
	handshakes) ws_start "$RCV" handshakes -i r0 -j 3600 ;;
	resets) ws_start "$RCV" resets -i r0 -j -d 3600 ;;
	tcpdump)
		ip netns exec "$RCV" tcpdump -i r0 -Q in -w /dev/null -n >"$TMP/td.out" 2>&1 &
		OBS_PID=$!
		nslib_wait_until 10 grep -q listening "$TMP/td.out" || { log "tcpdump did not start: $(cat "$TMP/td.out")"; exit 1; }
		;;
	esac
}

# Frames export counted on r0 since it started (one scrape).
export_rx_packets() {
	ip netns exec "$RCV" python3 - <<'PY'
import re, socket
s = socket.create_connection(("127.0.0.1", 19462), timeout=5)
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
b = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    b += c
n = 0
for line in b.decode().splitlines():
    if line.startswith("wirescope_receive_packets_total{") and 'interface="r0"' in line:
        n += int(float(line.rsplit(" ", 1)[1]))
print(n)
PY
}

# stop_observer CONFIG: prints "counted dropped" (frames the observer saw,
# frames it lost); "- -" when nothing observes.
stop_observer() {
	case $1 in *_b) stop_observer "${1%_b}"; return ;; esac
	if [ "$1" = xdp_pass_native ]; then
		ip -n "$RCV" link set dev r0 xdpdrv off
	fi
	case $1 in tc_pass*) tc_pass_stop ;; esac
	[ -n "$OBS_PID" ] || { echo "- -"; return; }
	case $1 in diag | diag_skiptp) next_interval ;; esac
	[ "$1" != export ] || export_rx_packets >"$TMP/export.count"
	ws_stop
	case $1 in
	sizes_*) python3 - "$TMP/ws.out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "summary" and o["dir"] == "rx":
        print(o["packets"], 0)
PY
	;;
	diag | diag_skiptp) python3 - "$TMP/ws.out" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue  # a warning on stderr (--skip-tracepoint says what is off)
    o = json.loads(line)
    if o["type"] == "interval":
        n += round(o["pps_in"] * o["interval_s"])
print(n, 0)
PY
	;;
	export) echo "$(cat "$TMP/export.count") 0" ;;
	tcpdump) awk '/packets captured/ {c=$1} /dropped by kernel/ {d=$1} END {print c, d}' "$TMP/td.out" ;;
	esac
}

# bracketed ROUND "CMD [ARG...]" CONFIG...: CMD ARG... CONFIG ROUND SEQ for
# each CONFIG, rotated by ROUND, each between two unobserved runs ("none",
# and report.py divides by their mean): this VM's throughput moves in phases
# of seconds, and a base half a round away moved more than the goals'
# margins of 3 and 5%.
bracketed() {
	local r=$1 cmd=($2) seq=0 i configs=()
	shift 2
	for i in "$@"; do [ "$i" = none ] || configs+=("$i"); done
	"${cmd[@]}" none "$r" $((seq++))
	for ((i = 0; i < ${#configs[@]}; i++)); do
		"${cmd[@]}" "${configs[$(((i + r) % ${#configs[@]}))]}" "$r" $((seq++))
		"${cmd[@]}" none "$r" $((seq++))
	done
}

# One flood of KIND with CONFIG watching r0:
#   ack   FLOOD_FRAMES bare TCP ACKs to a closed port (trafgen): the RST storm
#   data  FLOOD_SECONDS of 64-byte writes with TCP_NODELAY over two
#         established connections (iperf3 -l 64 -N -P 2; the sender's
#         namespace has tcp_autocorking off, so each write is one segment;
#         one stream alone sometimes stalled on a zero window when the
#         receiving iperf3 was short of CPU)
#   udp   FLOOD_SECONDS of 18-byte UDP datagrams (60-byte frames) to iperf3's
#         bound socket (iperf3 -u -b 0 -l 18)
flood_once() { # KIND CONFIG ROUND SEQ
	local kind=$1 cfg=$2 before after rx0 rx1 t0 t1 obs udp=""
	start_observer "$cfg"
	before=$(delivered "$kind")
	rx0=$(rx_packets)
	t0=$(now)
	case $kind in
	ack)
		# One sender process on sendto() (a rate above what the box can
		# do): trafgen's mmap ring gives up on the first EAGAIN, and veth
		# in native XDP mode pushes back.  trafgen exits 1 when it cannot
		# raise the global socket buffers from inside a namespace: judge
		# by the counts.
		timeout 120 ip netns exec "$SND" trafgen -o s0 -i "$TMP/flood.cfg" -n "$FLOOD_FRAMES" -b 5000000pps -P 1 >/dev/null 2>&1 || true
		;;
	data | udp)
		[ "$kind" = data ] || udp="-u -b 0 -l 18"
		[ "$kind" = udp ] || udp="-l 64 -N -P 2"
		iperf3_client "flood ($kind, $cfg)" $udp || true
		;;
	esac
	t1=$(now)
	sleep 0.3 # let the receiver's backlog drain before reading counters
	after=$(delivered "$kind")
	stop_observer "$cfg" >"$TMP/obs" # not in $(): wait needs our child
	rx1=$(rx_packets) # after the observer's last count: what it could see
	obs=$(cat "$TMP/obs")
	obs=${obs:-- -}
	python3 -c 'import json,sys
k,c,r,q,sent,arr,d,t0,t1,oc,od=sys.argv[1:]
print(json.dumps({"kind":k,"config":c,"round":int(r),"seq":int(q),"sent":int(sent),"arrived":int(arr),
 "delivered":int(d),"seconds":float(t1)-float(t0),
 "observed":None if oc=="-" else int(oc),
 "observer_dropped":None if od in ("-","") else int(od)}))' \
		"$kind" "$cfg" "$3" "$4" "$([ "$kind" = ack ] && echo "$FLOOD_FRAMES" || echo 0)" \
		$((rx1 - rx0)) $((after - before)) "$t0" "$t1" $obs >>"$OUT/flood.json"
}

# An iperf3 server listens on 5201 in RCV (ss's own filter: no grep -q to
# leave ss writing into a closed pipe under pipefail).
iperf3_listening() { [ -n "$(ip netns exec "$RCV" ss -Hltn 'sport = :5201')" ]; }

# The iperf3 server on RCV's CPU, and its end (by its pid file: pkill sees
# every namespace's iperf3).
iperf3_server_start() {
	"${PIN_RCV[@]}" ip netns exec "$RCV" iperf3 -s -D -B 198.18.0.1 -I "$TMP/iperf3.pid" >/dev/null 2>&1
	nslib_wait_until 5 iperf3_listening || { log "iperf3 server not listening on 198.18.0.1:5201"; exit 1; }
}

# iperf3_client WHAT ARGS...: FLOOD_SECONDS of iperf3 ARGS from SND to the
# server, tried 3 times (it takes one client at a time); false if all failed.
iperf3_client() {
	local what=$1 try
	shift
	for try in 1 2 3; do
		timeout 30 "${PIN_SND[@]}" ip netns exec "$SND" iperf3 -c 198.18.0.1 -t "$FLOOD_SECONDS" "$@" >"$TMP/iperf.out" 2>&1 && return 0
		log "$what: iperf3 (try $try): $(tail -1 "$TMP/iperf.out")"
		sleep 0.5
	done
	return 1
}

iperf3_server_stop() {
	local pid
	pid=$(cat "$TMP/iperf3.pid" 2>/dev/null) || return 0
	rm -f "$TMP/iperf3.pid"
	[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = iperf3 ] || return 0
	kill "$pid" 2>/dev/null || true
	nslib_wait_until 5 test ! -e /proc/"$pid" || log "iperf3 server $pid still running"
}

FLOOD_SECONDS=${FLOOD_SECONDS:-2}
FLOOD_KINDS=${FLOOD_KINDS:-ack data udp}
FLOOD_CONFIGS=${FLOOD_CONFIGS:-none none_again tc_pass tc_pass_clsact tc_pass_touch diag diag_skiptp export tcpdump}
# diag_skiptp: diag without the two tracepoints an RST storm fires per
# packet (tcp_send_reset, and kfree_skb for the ACK it drops).
SKIP_TPS=${SKIP_TPS:-kfree_skb,tcp_send_reset}

# The seed's three floods in the default mode (tc), each beside its
# unobserved base and tcpdump.
bench_flood() {
	local r k
	log "flood: $ROUNDS rounds x ($FLOOD_KINDS) x ($FLOOD_CONFIGS), each between two unobserved runs"
	ip netns exec "$SND" sysctl -qw net.ipv4.tcp_autocorking=0
	iperf3_server_start
	for ((r = 0; r < ROUNDS; r++)); do
		for k in $FLOOD_KINDS; do
			bracketed "$r" "flood_once $k" $FLOOD_CONFIGS
		done
	done
	iperf3_server_stop
}


# Bulk TCP: one iperf3 stream SND -> RCV for BULK_SECONDS with CONFIG on r0,
# the receiving side.  The default attach (tc) against native XDP, which on
# veth strips the peer's TSO, and tcpdump.
BULK_SECONDS=${BULK_SECONDS:-3}
bulk_once() { # CONFIG ROUND SEQ
	local bps try
	start_observer "$1"
	for try in 1 2 3; do # the server takes one client at a time
		bps=$(timeout 30 "${PIN_SND[@]}" ip netns exec "$SND" iperf3 -c 198.18.0.1 -t "$BULK_SECONDS" -J 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' 2>/dev/null) && break
		sleep 0.5
	done
	stop_observer "$1" >/dev/null
	[ -n "$bps" ] || { log "bulk: iperf3 failed 3 times with $1"; return; }
	echo "{\"config\":\"$1\",\"round\":$2,\"seq\":$3,\"bps\":$bps}" >>"$OUT/bulk.json"
}

bench_bulk() {
	local configs=${BULK_CONFIGS:-none_again sizes_tc diag export sizes_native diag_native tcpdump} r
	log "bulk: $ROUNDS rounds x ($configs) x ${BULK_SECONDS}s of iperf3, each between two unobserved runs"
	iperf3_server_start
	for ((r = 0; r < ROUNDS; r++)); do
		bracketed "$r" bulk_once $configs
	done
	iperf3_server_stop
}

passive_opens() { ip netns exec "$RCV" nstat -az TcpPassiveOpens | awk '/TcpPassiveOpens/ {print $2}'; }

# One burst of CHURN_CONNS short connections, SND -> RCV:8080, with CONFIG
# (none, handshakes or diag) watching r0.
churn_once() { # CONFIG ROUND SEQ
	local p0 p1 res
	OBS_PID=""
	case $1 in
	none | none_again) ;;
	*) start_observer "$1" ;;
	esac
	p0=$(passive_opens)
	res=$(timeout 90 "${PIN_SND[@]}" ip netns exec "$SND" build/bench/churn client 198.18.0.1 8080 "$CHURN_CONNS" "$CHURN_INFLIGHT" 60)
	sleep 0.3 # the last final ACKs are in flight when the client returns
	p1=$(passive_opens)
	echo '{}' >"$TMP/hs.out"
	case $1 in tc_pass*) stop_observer "$1" >/dev/null ;; esac
	if [ -n "$OBS_PID" ]; then
		if [ "$1" = tcpdump ]; then stop_observer tcpdump >/dev/null; else ws_stop; fi
		[ "$1" != handshakes ] || cp "$TMP/ws.out" "$TMP/hs.out"
	fi
	python3 - "$1" "$2" "$3" "$CHURN_CONNS" "$res" $((p1 - p0)) "$TMP/hs.out" >>"$OUT/churn.json" <<'PY'
import json, sys
cfg, rnd, seq, conns, res, passive, path = sys.argv[1:]
o = {"config": cfg, "round": int(rnd), "seq": int(seq), "requested": int(conns), "passive_opens": int(passive)}
o.update(json.loads(res))
for line in open(path):
    r = json.loads(line)
    if r.get("type") == "summary":
        for k in ("server_handshakes", "syn_received", "final_acks_dropped", "syn_unanswered",
                  "flows_open", "flows_evicted"):
            o[k] = r[k]
    elif r.get("type") == "health_summary":
        o["health"] = {k: v for k, v in r.items() if k not in ("type", "time")}
print(json.dumps(o))
PY
}

bench_churn() {
	local configs=${CHURN_CONFIGS:-none_again tc_pass tc_pass_clsact tc_pass_touch handshakes diag export tcpdump} r
	log "churn: $ROUNDS rounds x ($configs) x $CHURN_CONNS connections, each between two unobserved runs"
	"${PIN_RCV[@]}" ip netns exec "$RCV" build/bench/churn server 198.18.0.1 8080 600 >"$TMP/srv.out" &
	local srv=$!
	nslib_track $srv
	nslib_wait_until 5 grep -q listening "$TMP/srv.out" || { log "churn server not listening on 198.18.0.1:8080"; exit 1; }
	for ((r = 0; r < ROUNDS; r++)); do
		bracketed "$r" churn_once $configs
	done
	kill "$srv" 2>/dev/null || true
}

# wirescope export on 16 veths with 64 listening sockets: ROUNDS x 200 scrapes.
bench_exporter() {
	local ns i ifs=() r
	log "exporter: 16 interfaces, 64 listeners, $ROUNDS x $SCRAPES scrapes"
	ns=$(nslib_ns exp)
	for i in $(seq 0 15); do
		nslib_veth "$ns" "ex$i" "$ns" "ey$i"
		ifs+=(-i "ex$i")
	done
	ip -n "$ns" addr add 198.18.2.1/24 dev ex0
	ip netns exec "$ns" python3 -c '
import socket, sys, time
socks = []
for p in range(21000, 21064):
    s = socket.socket(); s.bind(("198.18.2.1", p)); s.listen(16); socks.append(s)
print("listening", flush=True)
time.sleep(300)' >"$TMP/listeners.out" &
	nslib_track $!
	nslib_wait_until 5 grep -q listening "$TMP/listeners.out" || { log "exporter: the 64 listeners did not start"; exit 1; }
	ws_start "$ns" export "${ifs[@]}" --listen 127.0.0.1:19460
	for ((r = 0; r < ROUNDS; r++)); do
		ip netns exec "$ns" python3 - "$r" "$SCRAPES" "$OBS_PID" >>"$OUT/exporter.json" <<'PY'
import json, re, socket, sys, time
rnd, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lat, size, errors = [], 0, 0
for _ in range(n):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", 19460), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n")
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    s.close()
    lat.append(time.perf_counter() - t)
    body = b"".join(chunks)
    head, _, body = body.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0]:
        errors += 1
    size = len(body)
lat.sort()
status = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid) if ":" in l)
kb = lambda k: int(status[k].split()[0])
print(json.dumps({"round": rnd, "scrapes": n, "errors": errors,
                  "p50_ms": lat[len(lat) // 2] * 1e3, "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1e3,
                  "max_ms": lat[-1] * 1e3, "body_bytes": size,
                  "series": body.count(b"\n") - body.count(b"\n#"),
                  "listener_ports": len(set(re.findall(rb'port="(210[0-6][0-9])"', body))),
                  "rss_kib": kb("VmRSS"), "hwm_kib": kb("VmHWM")}))
PY
	done
	ws_stop
}

# CPU time of every thread of PID in ns (schedstat: ns, not 10 ms ticks).
# A thread may end between the glob and the read: it counts as none (a
# failed cat under pipefail ended a whole make bench once).
cpu_ns() {
	local f ns s=0
	for f in /proc/"$1"/task/*/schedstat; do
		read -r ns _ 2>/dev/null <"$f" && s=$((s + ns))
	done
	echo "$s"
}

# CPU milliseconds per minute of a wirescope command, idle and under a flood
# of US_FRAMES frames at 200 kpps, ROUNDS_US rounds.
bench_userspace() { # NAME ARGS...
	local name=$1 t ticks0 ticks1 state r
	shift
	for ((r = 0; r < ROUNDS_US; r++)); do
		for state in idle flood; do
			ws_start "$RCV" "$@"
			ticks0=$(cpu_ns $OBS_PID)
			t=$(now)
			if [ $state = flood ]; then
				timeout 60 ip netns exec "$SND" trafgen -o s0 -i "$TMP/flood.cfg" -n "$US_FRAMES" -b 200000pps -q >/dev/null 2>&1 || true
			else
				sleep "$US_IDLE"
			fi
			ticks1=$(cpu_ns $OBS_PID)
			ws_stop
			python3 -c 'import json,sys,os,time
n,st,r,t0,k0,k1=sys.argv[1:]
secs=time.time()-float(t0)
print(json.dumps({"command":n,"state":st,"round":int(r),"seconds":secs,"cpu_ms_per_min":(int(k1)-int(k0))/1e6*60/secs}))' \
				"$name" "$state" "$r" "$t" "$ticks0" "$ticks1" >>"$OUT/userspace.json"
		done
	done
}

bench_progcost() {
	local set
	log "program cost: BPF_PROG_TEST_RUN, $ROUNDS rounds x $REPEAT runs per path"
	# Everything diag runs, then one stateful collector at a time: the
	# breakdown says which one a path's cost comes from.
	for set in all sizes sizes,handshakes sizes,resets; do
		build/bench/progcost -r "$ROUNDS" -n "$REPEAT" -c 1 -o "$set" >>"$OUT/progcost.json"
	done
}

# run_time_ns and run_cnt of the programs PID holds (another wirescope may
# run on this machine), as JSON.
# The BPF programs a process holds open.
pid_prog_ids() { # PID
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' '
}

# The BPF programs tc runs on r0 (clsact filters: no process holds them).
tc_prog_ids() {
	local dir
	for dir in ingress egress; do
		tc -n "$RCV" filter show dev r0 "$dir"
	done | grep -o ' id [0-9]*' | awk '{print $2}' | sort -u | tr '\n' ' '
}

# Each program's [run_time_ns, run_cnt] as JSON, keyed name/id.
prog_stats() { # IDS
	bpftool -j prog show | python3 -c 'import json,sys
ids = set(int(i) for i in sys.argv[1].split())
print(json.dumps({"%s/%d" % (p["name"], p["id"]): [p.get("run_time_ns", 0), p.get("run_cnt", 0)]
                  for p in json.load(sys.stdin) if p["id"] in ids}))' "$1"
}

# The command each where config runs on the receiver's veth, until stopped.
where_args() { # CONFIG
	case $1 in
	diag | resets) echo "$1 -i r0 -j -d 3600" ;;
	*) echo "$1 -i r0 -j 3600" ;;
	esac
}

# Attach a where config (tc_pass*: the empty program, the hook's floor);
# prints the ids of the programs it runs.
where_start() { # CONFIG
	case $1 in *_b)
		on_build_b where_start "$1"
		return
		;;
	tc_pass*)
		start_observer "$1"
		if [ -n "$OBS_PID" ]; then pid_prog_ids "$OBS_PID"; else tc_prog_ids; fi
		return
		;;
	esac
	# shellcheck disable=SC2046 # where_args gives the words of a command
	ws_start "$RCV" $(where_args "$1")
	pid_prog_ids "$OBS_PID"
}

where_stop() { # CONFIG
	case $1 in
	tc_pass*) stop_observer "$1" >/dev/null ;;
	*) ws_stop ;;
	esac
}

# Section 2b's flood of small data segments; prints the segments the
# receiver's stack took in (TcpInSegs), the load's packets: 0 if iperf3
# failed, a row the report leaves out.
where_data_segments() {
	local before
	before=$(tcp_in_segs)
	if iperf3_client where -l 64 -N -P 2; then
		echo $(($(tcp_in_segs) - before))
	else
		log "where: iperf3 failed 3 times: no row for this round"
		echo 0
	fi
}

# One load under one config: each program's run time and runs, as JSON.
where_once() { # CONFIG LOAD ROUND
	local cfg=$1 load=$2 ids s0 s1 c0=0 c1=0 res t0 t1
	where_start "$cfg" >"$TMP/ids"
	ids=$(cat "$TMP/ids")
	[ -n "$ids" ] || { log "where: no BPF programs found for $cfg"; exit 1; }
	s0=$(prog_stats "$ids")
	[ -z "$OBS_PID" ] || c0=$(cpu_ns "$OBS_PID")
	t0=$(now)
	case $load in
	ack)
		timeout 120 ip netns exec "$SND" trafgen -o s0 -i "$TMP/flood.cfg" -n "$FLOOD_FRAMES" -b 5000000pps -P 1 >/dev/null 2>&1 || true
		res='{"packets":'$FLOOD_FRAMES'}'
		;;
	data) res='{"packets":'$(where_data_segments)'}' ;;
	churn) res=$(timeout 90 "${PIN_SND[@]}" ip netns exec "$SND" build/bench/churn client 198.18.0.1 8080 "$CHURN_CONNS" "$CHURN_INFLIGHT" 60) ;;
	esac
	t1=$(now)
	sleep 0.3
	s1=$(prog_stats "$ids")
	[ -z "$OBS_PID" ] || c1=$(cpu_ns "$OBS_PID")
	where_stop "$cfg"
	python3 -c 'import json,sys
cfg,load,r,t0,t1,a,b,res,c0,c1=sys.argv[1:]
a,b=json.loads(a),json.loads(b)
progs={}
for k in b:  # by name: both hooks run a program named tc_pass
    p=progs.setdefault(k.split("/")[0],{"run_ns":0,"runs":0})
    p["run_ns"]+=b[k][0]-a.get(k,[0,0])[0]
    p["runs"]+=b[k][1]-a.get(k,[0,0])[1]
o={"config":cfg,"load":load,"round":int(r),"seconds":float(t1)-float(t0),"progs":progs,"user_ns":int(c1)-int(c0)}
o.update(json.loads(res))
print(json.dumps(o))' "$cfg" "$load" "$3" "$t0" "$t1" "$s0" "$s1" "$res" "$c0" "$c1" >>"$OUT/where.json"
}

# Where the time goes: kernel.bpf_stats_enabled=1 (restored on exit) and
# each program's run time under the RST storm, small data segments on
# established flows (section 2b's flood) and churn: diag, each stateful
# collector alone, sizes alone (what every command pays), an empty
# program on tcx and on clsact (what each hook and the stats' own clock
# reads cost) and one that reads the headers (what looking costs).
WHERE_CONFIGS=${WHERE_CONFIGS:-diag handshakes resets sizes tc_pass tc_pass_clsact tc_pass_touch}
WHERE_LOADS=${WHERE_LOADS:-ack data churn}
bench_where() {
	local cfgs r i load n
	read -ra cfgs <<<"$WHERE_CONFIGS"
	n=${#cfgs[@]}
	for load in $WHERE_LOADS; do
		case $load in ack | data | churn) ;; *) log "where: no load '$load' (ack, data, churn)"; exit 1 ;; esac
	done
	log "where: $ROUNDS rounds of ($WHERE_LOADS) under ($WHERE_CONFIGS) with bpf_stats"
	BPF_STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	"${PIN_RCV[@]}" ip netns exec "$RCV" build/bench/churn server 198.18.0.1 8080 600 >"$TMP/srv.out" &
	nslib_track $!
	nslib_wait_until 5 grep -q listening "$TMP/srv.out" || { log "churn server not listening on 198.18.0.1:8080"; exit 1; }
	if [[ " $WHERE_LOADS " == *" data "* ]]; then
		ip netns exec "$SND" sysctl -qw net.ipv4.tcp_autocorking=0
		iperf3_server_start
	fi
	for ((r = 0; r < ROUNDS; r++)); do
		for load in $WHERE_LOADS; do
			for ((i = 0; i < n; i++)); do
				where_once "${cfgs[$(((i + r) % n))]}" "$load" "$r"
			done
		done
	done
	iperf3_server_stop
	restore_bpf_stats
	BPF_STATS_WAS=""
}

main() {
	[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
	local t0=$SECONDS s
	lab_up
	for s in $SECTIONS; do
		"bench_$s"
		log "$s done at $((SECONDS - t0)) s"
	done
	python3 tools/bench/report.py "$OUT" >"$REPORT"
	log "wrote $REPORT in $((SECONDS - t0)) s"
}

bench_cpu() {
	log "user-space CPU: $ROUNDS_US rounds, ${US_IDLE}s idle, $US_FRAMES frames at 200 kpps"
	bench_userspace sizes sizes -i r0 -j 1
	bench_userspace diag diag -i r0 -d 3600
	bench_userspace export export -i r0 --listen 127.0.0.1:19461
}

main "$@"
