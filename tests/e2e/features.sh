# SPDX-License-Identifier: GPL-2.0
# What the kernel lacks is said, never hidden: diag's -j summary carries a
# "features" object and export a wirescope_feature_enabled gauge, and both
# must agree with the kernel's own tracepoint formats in tracefs (not with
# the BTF wirescope reads them from).  Runs in every kernel of make vmtest.

TRACEFS=/sys/kernel/tracing
[ -d $TRACEFS/events ] || TRACEFS=/sys/kernel/debug/tracing

# tp_has FORMAT-FILE REGEX: 1 if the kernel's format for it matches.
tp_has() { grep -Eq -- "$2" "$TRACEFS/events/$1/format" && echo true || echo false; }

expected_features() {
	echo "kfree_skb_reason=$(tp_has skb/kfree_skb 'field:.* reason;')"
	echo "send_reset_reason=$(tp_has tcp/tcp_send_reset 'field:.* reason;')"
	echo "listen_overflow_reason=$(tp_has skb/kfree_skb '"TCP_LISTEN_OVERFLOW"')"
}

# diag_verdict_rc RC: diag's exit status RC is a verdict (1 warnings, 2
# critical), not an error, a crash or a sanitizer's report.
diag_verdict_rc() {
	[[ $1 =~ ^[12]$ ]] || fail "diag exited $1: $(cat "$WS_TMP/err")"
}

test_features_match_kernel() {
	[ -f "$TRACEFS/events/skb/kfree_skb/format" ] || skip "no tracefs"
	local A got kv name want off
	A=$(ns a)
	ip -n "$A" link set lo up
	ip netns exec "$A" "$WS" diag -i lo -j -d 1 >"$WS_TMP/out" 2>"$WS_TMP/err" || diag_verdict_rc $?
	got=$(grep '"type":"health_summary"' "$WS_TMP/out" | python3 -c '
import json, sys
for k, v in json.loads(sys.stdin.read())["features"].items():
    print("%s=%s" % (k, str(v).lower()))')
	[ -n "$got" ] || fail "no features in the -j summary: $(cat "$WS_TMP/out" "$WS_TMP/err")"
	log "$got"
	for kv in $(expected_features); do
		assert_match "$got" "^$kv\$" "feature against tracefs"
	done
	# A tracepoint program that is off was announced on stderr with its
	# name, one line; one that is on was not.
	for kv in $(grep '^tracepoint_' <<<"$got"); do
		name=ws_${kv%%=*}
		name=${name/tracepoint_/}
		off=$(grep -c "$name is off" "$WS_TMP/err" || true)
		want=0
		[ "${kv#*=}" = false ] && want=1
		assert_eq "$off" "$want" "stderr lines for $name (${kv#*=})"
	done
	# A missing drop or reset reason is said at start, with its cost.
	[[ $got == *kfree_skb_reason=false* ]] && assert_match "$(cat "$WS_TMP/err")" 'has no drop reason' "kfree_skb notice"
	[[ $got == *send_reset_reason=false* ]] && assert_match "$(cat "$WS_TMP/err")" 'tcp_send_reset has no reason' "send_reset notice"
	# accept's KFREE needs kfree_skb's socket (6.11) and the overflow
	# reason (6.15): said at start where either is missing, only there.
	local want_kfree=0
	[ "$(tp_has skb/kfree_skb 'field:.* rx_sk;')" = true ] && [[ $got == *listen_overflow_reason=true* ]] || want_kfree=1
	assert_eq "$(grep -c 'no per-socket ACK-site drops (KFREE)' "$WS_TMP/err")" "$want_kfree" "accept KFREE notice"
	true
}

test_export_feature_gauge() {
	[ -f "$TRACEFS/events/skb/kfree_skb/format" ] || skip "no tracefs"
	local A kv got
	A=$(ns a)
	ip -n "$A" link set lo up
	ws_start "$A" "$WS_TMP/out" export -i lo --listen 127.0.0.1:19463
	got=$(ip netns exec "$A" curl -sS http://127.0.0.1:19463/metrics | grep '^wirescope_feature_enabled')
	ws_stop
	log "$got"
	for kv in $(expected_features); do
		local v=0
		[ "${kv#*=}" = true ] && v=1
		assert_match "$got" "^wirescope_feature_enabled\\{feature=\"${kv%%=*}\"\\} $v\$" "gauge against tracefs"
	done
}

# A tracepoint the kernel lacks (simulated) is one stderr line that says
# what each collector on it loses: kfree_skb serves resets, and accept too
# where it has the receiving socket (6.11+) and the TCP_LISTEN_OVERFLOW
# reason (6.15+).  The features say it is off.
test_missing_tracepoint_names_losses() {
	[ -f "$TRACEFS/events/skb/kfree_skb/format" ] || skip "no tracefs"
	local A line want ids healthy
	A=$(ns a)
	ip -n "$A" link set lo up
	SOFTNET0=$(softnet_totals)
	WIRESCOPE_TEST_NO_TP=kfree_skb ip netns exec "$A" "$WS" diag -i lo -j -d 1 >"$WS_TMP/out" 2>"$WS_TMP/err" || diag_verdict_rc $?
	log "$(cat "$WS_TMP/err")"
	# (Before 6.11 accept says on its own line that it can't use it.)
	assert_eq "$(grep -c 'kernel tracepoint kfree_skb' "$WS_TMP/err")" 1 "stderr lines on the tracepoint"
	line=$(grep 'kernel tracepoint kfree_skb' "$WS_TMP/err")
	want='resets: no kernel record of the RSTs it dropped'
	if [ "$(tp_has skb/kfree_skb 'field:.* rx_sk;')" = true ] &&
		[ "$(tp_has skb/kfree_skb '"TCP_LISTEN_OVERFLOW"')" = true ]; then
		want="accept: no per-socket ACK-site drops \\(KFREE\\); $want"
	fi
	assert_match "$line" "kernel tracepoint kfree_skb is not in this kernel: ws_kfree_skb is off \\($want\\), the rest still works\$" "warning"
	assert_match "$(grep '"type":"health_summary"' "$WS_TMP/out")" '"tracepoint_kfree_skb":false' "features"
	# The other tracing programs are on, and not announced.
	assert_eq "$(grep -c ' is off' "$WS_TMP/err")" 1 "lines announcing a program off"
	# diag's findings say so too: "healthy" is less sure without it.  Drops
	# in the host's own backlogs meanwhile (softnet_*, host-wide) take
	# "healthy" away: then only the first can be checked.
	ids=$(finding_ids "$WS_TMP/out")
	if [ "$ids" = kernel_events_missing ] && [ "$SOFTNET0" != "$(softnet_totals)" ]; then
		log "host softnet counters rose during the run: no healthy finding to check"
		healthy=none
	else
		assert_eq "$ids" "healthy kernel_events_missing" "findings"
		healthy=0.5
	fi
	assert_eq "$(python3 -c '
import json, sys
fs = {o["id"]: o for o in map(json.loads, open(sys.argv[1])) if o.get("type") == "finding"}
m = fs["kernel_events_missing"]
print(m["evidence"], m["confidence"], fs.get("healthy", {}).get("confidence", "none"))' "$WS_TMP/out")" "{'ws_kfree_skb': 'off'} 1 $healthy" "kernel_events_missing and healthy"
}

# --skip-tracepoint leaves the named events off by choice, through the same
# path as a kernel without them (one line each, the features, diag's
# finding); a name wirescope does not use is a usage error, before anything
# is attached.
test_skip_tracepoint_option() {
	local A x
	A=$(ns a)
	ip -n "$A" link set lo up
	x="ip netns exec $A $WS"
	$x diag -i lo -j -d 1 --skip-tracepoint kfree_skb,tcp_send_reset >"$WS_TMP/out" 2>"$WS_TMP/err" || diag_verdict_rc $?
	log "$(cat "$WS_TMP/err")"
	assert_eq "$(grep -c ' is off' "$WS_TMP/err")" 2 "lines announcing a program off"
	assert_match "$(grep 'tcp_send_reset' "$WS_TMP/err")" '^wirescope: kernel tracepoint tcp_send_reset is skipped \(--skip-tracepoint\): ws_rst_send is off \(resets: no kernel record of the RSTs this host sends\), the rest still works$' "tcp_send_reset line"
	assert_match "$(grep 'kfree_skb' "$WS_TMP/err")" 'kernel tracepoint kfree_skb is skipped \(--skip-tracepoint\): ws_kfree_skb is off' "kfree_skb line"
	assert_eq "$(python3 -c '
import json, sys
for o in map(json.loads, open(sys.argv[1])):
    if o.get("type") == "health_summary":
        f = o["features"]
        print(f["tracepoint_kfree_skb"], f["tracepoint_rst_send"], f["tracepoint_rst_recv"])
    if o.get("id") == "kernel_events_missing":
        print(sorted(o["evidence"]), o["title"].split(":")[0])' "$WS_TMP/out")" "['ws_kfree_skb', 'ws_rst_send'] events diag reads are off (--skip-tracepoint, or the kernel lacks them)
False False True" "finding and features"
	# No RST is known to be this host's: diag's loc column is unknown.
	assert_eq "$(grep -m1 '"type":"interval"' "$WS_TMP/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rst_local"])')" None "rst_local without tcp_send_reset"
	expect_error 3 "'kfree_sk' is not a tracepoint wirescope attaches to" $x diag -i lo -d 1 --skip-tracepoint kfree_sk
	expect_error 3 "bad --skip-tracepoint 'kfree_skb,'" $x resets -i lo --skip-tracepoint kfree_skb,
	expect_error 3 "option --skip-tracepoint needs an argument" $x accept -i lo --skip-tracepoint
	expect_error 3 "unknown option --skip-tracepoint" $x sizes -i lo --skip-tracepoint kfree_skb
	assert_eq "$(attached_progs "$A")" "" "programs left after bad input"
}

# Every program diag loads (every collector's code in one object) is
# checked by this kernel's verifier in at most half its limit of 1M
# instructions, as -vvv reports: 5.15's verifier once gave up on the tc
# program that 5.10's and 6.1's took, and diag and export did not start
# there.  Half, so a change that doubles a program's states fails here
# first, in every kernel of the matrix.
test_verifier_headroom() {
	local A stats n prog max=500000
	A=$(ns a)
	ip -n "$A" link set lo up
	ip netns exec "$A" "$WS" diag -i lo -j -d 1 -vvv >"$WS_TMP/out" 2>"$WS_TMP/err" || diag_verdict_rc $?
	stats=$(awk '/prog .ws_[a-z0-9_]*.: -- BEGIN PROG LOAD LOG/ { p = $3 }
		/^processed [0-9]+ insns/ && p { print p, $2; p = "" }' "$WS_TMP/err" | tr -d "':")
	log "$stats"
	# The tc programs on both sides, and at least one tracing program.
	assert_match "$stats" '^ws_tc_ingress [0-9]+$' "ws_tc_ingress's statistics"
	assert_match "$stats" '^ws_tc_egress [0-9]+$' "ws_tc_egress's statistics"
	assert_match "$stats" '^ws_rst_send [0-9]+$' "ws_rst_send's statistics"
	while read -r prog n; do
		assert_le "$n" "$max" "instructions the verifier processed for $prog"
	done <<<"$stats"
}
