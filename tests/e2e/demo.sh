# SPDX-License-Identifier: GPL-2.0
# The README's first command runs tools/demo.sh: the seed incidents at once
# on one front end, named by `wirescope diag`.  Its own test: with --json,
# diag reports small_packets, accept_overflow and middlebox_reset with the
# evidence of the faults the demo injects, and exits 2 (critical).

finding() { # FILE ID KEY
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("type") == "finding" and o["id"] == sys.argv[2]:
        v = o["evidence"].get(sys.argv[3], o.get(sys.argv[3]))
        print(int(v) if isinstance(v, float) and v == int(v) else v)
        break' "$1" "$2" "$3"
}

test_demo_finds_the_seed_incidents() {
	local rc=0 ids
	WS="$WS" tools/demo.sh --json >"$WS_TMP/out" 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 2 "demo (diag) exit code: $(tail -3 "$WS_TMP/err")"
	ids=$(python3 -c '
import json, sys
print(" ".join(sorted({json.loads(l)["id"] for l in open(sys.argv[1]) if "\"finding\"" in l})))' "$WS_TMP/out")
	assert_match "$ids" 'accept_overflow' "findings: $ids"
	assert_match "$ids" 'middlebox_reset' "findings: $ids"
	assert_match "$ids" 'small_packets' "findings: $ids"
	# The flood is 22 frames of 60 B for every 3 of 1000 B: 88% under 75 B.
	local pct
	pct=$(finding "$WS_TMP/out" small_packets small_pct | cut -d. -f1)
	assert_ge "$pct" 87 "small_pct"
	assert_le "$pct" 89 "small_pct"
	assert_ge "$(finding "$WS_TMP/out" small_packets rx_packets)" 500000 "flood frames counted"
	# The stuck listener: port 80, backlog 64; port 8080 is healthy.
	assert_eq "$(finding "$WS_TMP/out" accept_overflow port)" 80 "overflowing port"
	assert_eq "$(finding "$WS_TMP/out" accept_overflow backlog)" 64 "backlog"
	assert_ge "$(finding "$WS_TMP/out" accept_overflow overflows)" 1 "overflows"
	# r2 NATs with a 5 s idle timeout, one hop before the upstream; the
	# connection idled 8 s.
	assert_eq "$(finding "$WS_TMP/out" middlebox_reset peer)" 198.18.2.2 "peer"
	assert_eq "$(finding "$WS_TMP/out" middlebox_reset hops_before_peer)" 1 "hops before peer"
	assert_ge "$(finding "$WS_TMP/out" middlebox_reset idle_min_s | cut -d. -f1)" 5 "idle before the reset"
	# --locate: the NAT's own address, r2 as seen from the front end's side.
	assert_eq "$(finding "$WS_TMP/out" middlebox_reset hop_addr)" 198.18.1.2 "hop address"
	assert_match "$(finding "$WS_TMP/out" middlebox_reset advice)" 'tcp_keepalive_time' "advice"
}

# sudo make demo installs only what the demo needs: no package that starts
# or enables a service on the host (nginx on port 80, prometheus).
test_demo_deps_start_no_service() {
	local pkgs
	pkgs=$(tools/deps.sh --list demo)
	assert_match "$pkgs" '^netsniff-ng$' "demo packages (trafgen)"
	assert_match "$pkgs" '^nftables$' "demo packages (the NAT)"
	if grep -Exq 'nginx.*|prometheus.*|qemu.*|lintian|wrk' <<<"$pkgs"; then
		fail "demo packages: $(tr '\n' ' ' <<<"$pkgs")"
	fi
	assert_match "$(make -n --no-print-directory demo Q= 2>&1)" 'tools/deps.sh demo' \
		"make demo's dependency step"
}
