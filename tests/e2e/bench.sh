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
# program, and per storm packet, then less the empty program's ns per run
# for each program the empty one does not run (the stats' clock reads).
# Made-up rounds through report.py.
test_report_live_goals() {
	local d=$WS_TMP/results
	mkdir -p "$d"
	python3 - "$d/where.json" <<'PY'
import json, sys
def row(cfg, load, rnd, packets, progs):
    return {"config": cfg, "load": load, "round": rnd, "seconds": 1.0, "user_ns": 0,
            "packets": packets, "progs": {n: {"run_ns": ns, "runs": runs} for n, (ns, runs) in progs.items()}}
with open(sys.argv[1], "w") as f:
    for rnd in range(2):
        # 1000 segments: diag 800 ns a segment, the empty program 200
        f.write(json.dumps(row("diag", "data", rnd, 1000, {"in": (500000, 1000), "out": (300000, 800)})) + "\n")
        f.write(json.dumps(row("tc_pass", "data", rnd, 1000, {"tc_pass": (200000, 1800)})) + "\n")
        # 1000 packets: diag 5 runs a packet, 500 ns; the empty program 2 runs, 50 ns each
        f.write(json.dumps(row("diag", "ack", rnd, 1000, {"in": (200000, 1000), "out": (100000, 1000),
                                                          "tp": (200000, 3000)})) + "\n")
        f.write(json.dumps(row("tc_pass", "ack", rnd, 1000, {"tc_pass": (100000, 2000)})) + "\n")
PY
	python3 tools/bench/report.py "$d" >"$WS_TMP/report.md"
	assert_match "$(grep -F 'established TCP, live' "$WS_TMP/report.md")" \
		'\| 4\.00× \[4\.00×–4\.00×\] \(2 rounds\) \| – \(upper bound, not a verdict: see section 3b\) \|$' "800 / 200 ns a segment"
	assert_match "$(grep -F 'RST-storm packet, live' "$WS_TMP/report.md")" \
		'\| \+400 ns \[\+400 ns–\+400 ns\] \(2 rounds; without the clock reads of the 3\.0 more program runs a packet, \+250 ns \[\+250 ns–\+250 ns\]\) \| – \(upper bound, not a verdict: see section 3b\) \|$' \
		"500 - 100 ns, less 3 runs of 50"
}
