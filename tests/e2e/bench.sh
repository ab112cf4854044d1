# SPDX-License-Identifier: GPL-2.0
# make bench's own tools: a wrong floor would skew every ratio it reports.

BENCH_OUT=${BENCH_OUT:-${OUT:-build}/bench}

# links_of_prog ID: the kernel's BPF links that run program ID.
links_of_prog() {
	bpftool -j link show | python3 -c '
import json, sys
print(sum(l.get("prog_id") == int(sys.argv[1]) for l in json.load(sys.stdin)))' "$1"
}

# tcx_pass holds the empty program on tcx ingress and egress links until
# SIGTERM and leaves nothing behind; on a kernel without tcx (before 6.6)
# it exits 3 with one line, and bench.sh's floor falls back to clsact.
test_tcx_pass_holds_or_exits_3() {
	ip_lab
	local out=$WS_TMP/tcx.out rc=0 id pid
	ip netns exec "$A" "$BENCH_OUT/tcx_pass" "$BENCH_OUT/tc_pass.bpf.o" a0 60 >"$out" 2>&1 &
	pid=$!
	WS_PIDS+=("$pid")
	if ! kernel_btf_has tcx_entry; then
		wait "$pid" || rc=$?
		assert_eq "$rc" 3 "exit code without tcx"
		assert_eq "$(wc -l <"$out")" 1 "one line ($(cat "$out"))"
		assert_match "$(cat "$out")" '^tcx_pass: tcx attach: ' "message"
		log "no tcx: $(cat "$out")"
		return
	fi
	wait_until 10 grep -q '^attached' "$out" || fail "not attached: $(cat "$out")"
	id=$(awk '/^attached/ {print $2}' "$out")
	assert_eq "$(links_of_prog "$id")" 2 "tcx links running the program (kernel)"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "$rc" 0 "exit code on SIGTERM"
	assert_eq "$(links_of_prog "$id")" 0 "links left after SIGTERM"
}

# One end of test_tc_touch_passes_traffic's TCP transfer: the server reads
# to EOF and sends as many bytes back, the client sends 2 MiB first; each
# prints "read N".
TOUCH_TCP_PY='import socket, sys
def drain(c):
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            return n
        n += len(b)
if sys.argv[1] == "server":
    s = socket.create_server(("198.18.0.1", 5301))
    print("listening", flush=True)
    s.settimeout(15)
    c, _ = s.accept()
    c.settimeout(15)
    n = drain(c)
    c.sendall(bytes(n))
else:
    c = socket.create_connection(("198.18.0.1", 5301), timeout=15)
    c.sendall(bytes(2 << 20))
    c.shutdown(socket.SHUT_WR)
    n = drain(c)
c.close()
print("read", n, flush=True)'

in_segs() { nstat_abs "$1" TcpInSegs; } # NS

# tc_touch, the floor that reads the headers, passes every packet it reads:
# 2 MiB through it each way over TCP, and 1000 bare ACKs from trafgen's
# mapped TX ring, whose skbs hold only the Ethernet header in their head
# (it pulls the rest in), where bench.sh attaches it: tcx links from 6.6,
# clsact filters before.  Stopped, it leaves no link.
test_tc_touch_passes_traffic() {
	ip_lab
	local out=$WS_TMP/tcx.out obj=$BENCH_OUT/tc_touch.bpf.o rc=0 pid="" srv id segs
	if kernel_btf_has tcx_entry; then
		ip netns exec "$A" "$BENCH_OUT/tcx_pass" "$obj" a0 60 >"$out" 2>&1 &
		pid=$!
		WS_PIDS+=("$pid")
		wait_until 10 grep -q '^attached' "$out" || fail "not attached: $(cat "$out")"
		id=$(awk '/^attached/ {print $2}' "$out")
	else
		tc -n "$A" qdisc add dev a0 clsact
		tc -n "$A" filter add dev a0 ingress bpf da obj "$obj" sec tc || fail "clsact ingress: not loaded"
		tc -n "$A" filter add dev a0 egress bpf da obj "$obj" sec tc || fail "clsact egress: not loaded"
	fi
	ip netns exec "$A" timeout 20 python3 -c "$TOUCH_TCP_PY" server >"$WS_TMP/srv.out" 2>&1 &
	srv=$!
	WS_PIDS+=("$srv")
	wait_until 5 grep -q listening "$WS_TMP/srv.out" || fail "server not listening: $(cat "$WS_TMP/srv.out")"
	ip netns exec "$B" timeout 20 python3 -c "$TOUCH_TCP_PY" client >"$WS_TMP/cli.out" 2>&1 ||
		fail "client: $(cat "$WS_TMP/cli.out")"
	wait "$srv" || fail "server: $(cat "$WS_TMP/srv.out")"
	assert_eq "$(grep '^read' "$WS_TMP/srv.out")" "read 2097152" "bytes through a0's ingress"
	assert_eq "$(cat "$WS_TMP/cli.out")" "read 2097152" "bytes back through a0's egress"
	echo "{ eth(da=$(mac "$A" a0), sa=$(mac "$B" b0), type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, ttl=64), tcp(sp=dinc(1024, 2023), dp=9, seq=1, ackseq=1, ack) }" >"$WS_TMP/ack.cfg"
	segs=$(in_segs "$A")
	timeout 20 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/ack.cfg" -n 1000 -q >"$WS_TMP/trafgen" 2>&1 ||
		log "trafgen: rc $?: $(tail -2 "$WS_TMP/trafgen")"
	wait_until 5 nslib_at_least $((segs + 1000)) in_segs "$A" || true
	assert_eq $(($(in_segs "$A") - segs)) 1000 "bare ACKs A's TCP took in (TcpInSegs)"
	[ -n "$pid" ] || return 0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "$rc" 0 "tcx_pass exit on SIGTERM"
	assert_eq "$(links_of_prog "$id")" 0 "links left after SIGTERM"
}

# A throughput goal is met or missed only when the ratio and the ratio
# against the A/A run fall on the same side of it; else undecided.  Three
# floods of made-up rounds, one per outcome, through report.py.
test_report_goal_needs_aa_agreement() {
	local d=$WS_TMP/results
	mkdir -p "$d"
	python3 - "$d/flood.json" <<'PY'
import json, sys
# (kind, A/A pps, diag pps) against a base of 1000 pps each round
cases = [("ack", 1000, 960), ("data", 1000, 900), ("udp", 1060, 970)]
with open(sys.argv[1], "w") as f:
    for kind, again, diag in cases:
        for rnd in range(3):
            for cfg, pps in (("none", 1000), ("none_again", again), ("diag", diag)):
                f.write(json.dumps({"kind": kind, "config": cfg, "round": rnd,
                                    "sent": pps if kind == "ack" else 0,
                                    "arrived": pps, "delivered": pps, "seconds": 1.0,
                                    "observed": None, "observer_dropped": None}) + "\n")
PY
	python3 tools/bench/report.py "$d" >"$WS_TMP/report.md"
	assert_match "$(grep -F '(the RST storm), `diag`' "$WS_TMP/report.md")" '\| met \|$' "met: 0.96, and 0.96 against the A/A run"
	assert_match "$(grep -F 'established flow, `diag`' "$WS_TMP/report.md")" '\| \*\*not met\*\* \|$' "missed: 0.90 both ways"
	assert_match "$(grep -F 'bound socket, `diag`' "$WS_TMP/report.md")" '\| undecided: 0.970 here, 0.915 against the A/A run \|$' "undecided: the base moved"
	assert_match "$(grep -F 'bound socket, `export`' "$WS_TMP/report.md")" '\| not measured \| – \|$' "no export rows"
}

# Runs that carry "seq" are divided by the mean of the unobserved runs
# right before and after them, not by the round's first: made-up rounds
# where the base halves between its first run and the observer's.
test_report_pairs_with_neighbours() {
	local d=$WS_TMP/results
	mkdir -p "$d"
	python3 - "$d/flood.json" <<'PY'
import json, sys
runs = [("none", 2000), ("none_again", 1500), ("none", 1000), ("diag", 960), ("none", 1000)]
with open(sys.argv[1], "w") as f:
    for rnd in range(3):
        for seq, (cfg, pps) in enumerate(runs):
            f.write(json.dumps({"kind": "ack", "config": cfg, "round": rnd, "seq": seq,
                                "sent": pps, "arrived": pps, "delivered": pps, "seconds": 1.0,
                                "observed": None, "observer_dropped": None}) + "\n")
PY
	python3 tools/bench/report.py "$d" >"$WS_TMP/report.md"
	assert_match "$(grep -F '(the RST storm), `diag`' "$WS_TMP/report.md")" '\| 0\.96 \[0\.96–0\.96\] \(3 runs; nothing attached, again: 1\.00 \[1\.00–1\.00\]\) \| met \|$' "diag: 960 of (1000 + 1000) / 2; A/A 1500 of (2000 + 1000) / 2"
}

# Section 3b's rounds add two live rows beside the per-packet goals, not
# deciding them: every program's run time per segment, diag over the empty
# program of the same round and over the one that reads the headers, and
# per storm packet, then less one whole run of the empty program for each
# program it does not run (their stats' clock reads, and more).  A WS_B
# build's rounds stay out of them; a load that delivered nothing is left
# out.  Made-up rounds through report.py.
test_report_live_goals() {
	local d=$WS_TMP/results
	mkdir -p "$d"
	python3 - "$d/where.json" <<'PY'
import json, sys
def row(cfg, load, rnd, packets, progs):
    return {"config": cfg, "load": load, "round": rnd, "seconds": 1.0, "user_ns": 0,
            "packets": packets, "progs": {n: {"run_ns": ns, "runs": runs} for n, (ns, runs) in progs.items()}}
with open(sys.argv[1], "w") as f:
    for rnd, k in enumerate((1, 2)):
        # 1000 segments: diag 800 ns a segment, the empty program 200 and 100
        f.write(json.dumps(row("diag", "data", rnd, 1000, {"in": (500000, 1000), "out": (300000, 800)})) + "\n")
        f.write(json.dumps(row("tc_pass", "data", rnd, 1000, {"tc_pass": (200000 // k, 1800)})) + "\n")
        # 1000 packets: diag 5 runs a packet, 500 and 600 ns; the empty program 2 runs, 50 ns each
        f.write(json.dumps(row("diag", "ack", rnd, 1000, {"in": (200000 * k, 1000), "out": (100000, 1000),
                                                          "tp": (200000 - 100000 * (k - 1), 3000)})) + "\n")
        f.write(json.dumps(row("tc_pass", "ack", rnd, 1000, {"tc_pass": (100000, 2000)})) + "\n")
        # the empty program that reads the headers: 400 ns a segment, 150 a storm packet
        f.write(json.dumps(row("tc_pass_touch", "data", rnd, 1000, {"tc_touch": (400000, 1800)})) + "\n")
        f.write(json.dumps(row("tc_pass_touch", "ack", rnd, 1000, {"tc_touch": (150000, 2000)})) + "\n")
        # build B's rounds, and a data load that delivered nothing
        f.write(json.dumps(row("diag_b", "data", rnd, 1000, {"in": (9000000, 1000)})) + "\n")
        f.write(json.dumps(row("tc_pass_b", "ack", rnd, 1000, {"tc_pass": (1000, 2000)})) + "\n")
        f.write(json.dumps(row("diag", "data", 7, 0, {"in": (500000, 1000)})) + "\n")
PY
	python3 tools/bench/report.py "$d" >"$WS_TMP/report.md"
	assert_match "$(grep -F 'established TCP, live' "$WS_TMP/report.md")" \
		'\| 6\.00× \[4\.00×–8\.00×\] \(2 rounds; against the empty program that reads the headers, 2\.00× \[2\.00×–2\.00×\]\) \| – \(the first figure an upper bound, not a verdict: see section 3b\) \|$' \
		"800 / 200 and 800 / 100 ns a segment"
	assert_match "$(grep -F 'RST-storm packet, live' "$WS_TMP/report.md")" \
		'\| \+450 ns \[\+400 ns–\+500 ns\] \(2 rounds; less 3\.0 of the empty program.s runs, 50 \[50–50\] ns each, for the programs it does not run: \+300 ns \[\+250 ns–\+350 ns\]; against the empty program that reads the headers, \+400 ns \[\+350 ns–\+450 ns\]\) \| – \(the first figure an upper bound, not a verdict: see section 3b\) \|$' \
		"500 and 600 - 100 ns, less 3 runs of 50"
	assert_match "$(grep -c 'The \*live\* rows after the per-packet goals are' "$WS_TMP/report.md")" '^1$' "the goals say what the live rows are"

	# Churn alone: no live row, and no word of them.
	python3 - "$d/where.json" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for cfg in ("diag", "tc_pass"):
        f.write(json.dumps({"config": cfg, "load": "churn", "round": 0, "seconds": 1.0, "user_ns": 0,
                            "connected": 100, "progs": {"p": {"run_ns": 1000, "runs": 10}}}) + "\n")
PY
	python3 tools/bench/report.py "$d" >"$WS_TMP/report.md"
	assert_match "$(grep -c -e '^| established TCP, live' -e '^| RST-storm packet, live' -e 'The \*live\* rows after' "$WS_TMP/report.md")" '^0$' "churn alone: no live rows"
	assert_match "$(grep -F '| churn, ns per connection |' "$WS_TMP/report.md")" '\| 10 \[10–10\] \| 10 \[10–10\] \|$' "churn's row: 1000 ns over 100 connections"
}
