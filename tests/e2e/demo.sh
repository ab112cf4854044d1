# SPDX-License-Identifier: GPL-2.0
# The README's first command runs tools/demo.sh: the seed incidents at once
# on one front end, named by `wirescope diag`.  Its own test: with --json,
# diag reports small_packets, accept_overflow and middlebox_reset with the
# evidence of the faults the demo injects, and exits 2 (critical).  Then its
# failure paths: one "demo:" line, a non-zero exit, nothing left behind.

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
	# Nothing the lab does not show: the full accept queue also drops SYNs,
	# and while it overflows the front end's kernel sends a few resets,
	# reason TCP_FLAGS.
	local id
	for id in $ids; do
		grep -Eqx 'accept_overflow|middlebox_reset|small_packets|syn_unanswered|local_reset' <<<"$id" ||
			fail "a finding the lab does not cause: $id (all: $ids)"
	done
	[[ " $ids " != *" local_reset "* ]] ||
		assert_eq "$(finding "$WS_TMP/out" local_reset reason)" TCP_FLAGS "local reset reason"
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

# deps.sh with apt-get, dpkg-query and systemctl faked: nginx-light is
# missing, and installing it enables nginx (as its postinst does); the
# host's own prometheus was enabled before.
test_deps_install_starts_no_service() {
	local bin="$WS_TMP/fakebin" st="$WS_TMP/fakestate"
	mkdir -p "$bin" "$st"
	touch "$st/prometheus"
	cat >"$bin/dpkg-query" <<'EOF2'
#!/bin/sh
for p; do :; done
[ "$p" = nginx-light ] && exit 1
echo 'install ok installed'
EOF2
	cat >"$bin/apt-get" <<'EOF2'
#!/bin/sh
[ "$1" = install ] || exit 0
"$POLICY_RC" nginx start
[ $? = 101 ] || { echo "apt-get: no policy-rc.d during install" >&2; exit 1; }
touch "$FAKE_STATE/nginx"
EOF2
	cat >"$bin/systemctl" <<'EOF2'
#!/bin/sh
for u; do :; done
case $1 in
is-enabled) [ -e "$FAKE_STATE/$u" ] ;;
disable) rm -f "$FAKE_STATE/$u"; echo "disable $u" >>"$FAKE_STATE/log" ;;
*) echo "$*" >>"$FAKE_STATE/log" ;;
esac
EOF2
	chmod +x "$bin"/*
	PATH="$bin:$PATH" FAKE_STATE="$st" POLICY_RC="$WS_TMP/policy-rc.d" \
		tools/deps.sh >"$WS_TMP/deps.out" 2>&1 || fail "deps.sh: $(cat "$WS_TMP/deps.out")"
	[ ! -e "$st/nginx" ] || fail "nginx left enabled"
	[ -e "$st/prometheus" ] || fail "the host's prometheus was disabled"
	assert_eq "$(cat "$st/log")" "disable nginx" "systemctl calls"
	[ ! -e "$WS_TMP/policy-rc.d" ] || fail "policy-rc.d left behind"
}

# demo_runs_nothing: no namespace of ours is left (none was made).
demo_runs_nothing() {
	assert_eq "$(ip netns list | awk '{print $1}' | grep -c "^$WS_NS_PREFIX-" || true)" \
		"${1:-0}" "namespaces left by the demo"
}

test_demo_missing_tool_is_one_line() {
	local bin="$WS_TMP/bin" c
	mkdir "$bin"
	for c in bash ip nft python3 timeout ping sysctl mktemp dirname id rm cat; do
		ln -s "$(command -v "$c")" "$bin/"
	done
	expect_error 1 '^demo: missing trafgen: sudo tools/deps.sh demo installs them$' \
		env PATH="$bin" WS="$WS" bash tools/demo.sh
	demo_runs_nothing
}

test_demo_namespace_taken_is_one_line() {
	ns r2 >/dev/null
	expect_error 1 "^demo: namespace $WS_NS_PREFIX-r2 exists" \
		env WS="$WS" WS_NS_PREFIX="$WS_NS_PREFIX" tools/demo.sh
	# Ours, not the demo's: still there, and nothing else was made.
	demo_runs_nothing 1
}

# A diag that fails (exit 3 and up) fails the demo, lab torn down.
test_demo_failed_diag_fails_the_demo() {
	cat >"$WS_TMP/ws" <<-'EOS'
	#!/bin/bash
	while [ $# -gt 0 ]; do [ "$1" != --ready-file ] || echo ready >"$2"; shift; done
	echo "wirescope: diag: failed" >&2
	exit 5
	EOS
	chmod +x "$WS_TMP/ws"
	local rc=0
	WS="$WS_TMP/ws" WS_NS_PREFIX="$WS_NS_PREFIX" tools/demo.sh >/dev/null \
		2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 1 "demo exit code"
	assert_match "$(tail -n1 "$WS_TMP/err")" '^demo: wirescope diag failed \(exit 5\)$' "message"
	demo_runs_nothing
}

# SIGTERM while diag watches: exit 130, one line, the lab and every process
# in it gone.
test_demo_interrupted_tears_down() {
	local pid left p
	WS="$WS" WS_NS_PREFIX="$WS_NS_PREFIX" tools/demo.sh >"$WS_TMP/out" 2>"$WS_TMP/err" &
	pid=$!
	WS_PIDS+=("$pid") # a failure below still ends it: it tears its lab down
	wait_until 30 grep -q 'watching c0' "$WS_TMP/out" || fail "diag never started: $(cat "$WS_TMP/err")"
	left=$(for p in c r1 r2 s; do ip netns pids "$WS_NS_PREFIX-$p"; done)
	[ -n "$left" ] || fail "no process in the lab before the signal"
	kill -TERM "$pid"
	wait_exit "$pid" 60
	assert_eq "$EXIT_RC" 130 "demo exit code"
	assert_eq "$(cat "$WS_TMP/err")" "demo: interrupted: tearing the lab down" "stderr"
	demo_runs_nothing
	# Killed, then reaped by their parents (a zombie for a moment).
	for p in $left; do
		wait_until 5 gone "$p" || fail "process $p outlived the demo: $(ps -o stat=,args= -p "$p")"
	done
}

gone() { ! kill -0 "$1" 2>/dev/null; }
