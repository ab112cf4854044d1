# SPDX-License-Identifier: GPL-2.0
# wirescope sizes, end to end: real frames through a veth pair between two
# namespaces; the interface counters are the ground truth.
#
#   A (observer, wirescope on a0) <== veth ==> B (sender, b0)

sizes_lab() {
	pair_lab
	lab_addrs
}

summary_line() { # OUT DIR
	grep '"type":"summary"' "$1" | grep "\"dir\":\"$2\""
}

# wait_interval_packets OUT DIR N SECONDS: until the -j interval records of
# DIR in OUT add up to N packets.
wait_interval_packets() {
	wait_until "$4" at_least "$3" interval_packets "$1" "$2" ||
		fail "$2 interval records add up to $(interval_packets "$1" "$2") packets, expected $3"
}

interval_packets() { # OUT DIR
	awk -F'"packets":' -v d="\"dir\":\"$2\"" '/"type":"interval"/ && index($0, d) { split($2, a, ","); s += a[1] } END { print s + 0 }' "$1"
}

check_exact_counts() { # MODE
	local mode=$1 per=300 n bucket got
	sizes_lab
	write_trafgen_cfg "$WS_TMP/flood.cfg"
	n=$((per * 7))
	local rx0
	rx0=$(ifstat "$A" a0 rx_packets)
	ws_start "$A" "$WS_TMP/out" sizes -i a0 -m "$mode" -j -v 0.2
	grep -q "ingress xdp-$mode" "$WS_TMP/out.err" || fail "not attached in $mode mode: $(cat "$WS_TMP/out.err")"
	timeout 60 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/flood.cfg" -n "$n" -q -b 20000pps >/dev/null 2>&1
	# rx_packets counts a frame when b0 sends it; generic XDP sees it
	# later, from the backlog (ksoftirqd on a slow VM): stop only once
	# wirescope's interval records have them all.
	wait_interval_packets "$WS_TMP/out" rx "$n" 10
	ws_stop
	local rx=$(( $(ifstat "$A" a0 rx_packets) - rx0 ))
	local line
	line=$(summary_line "$WS_TMP/out" rx)
	assert_eq "$rx" "$n" "interface rx_packets"
	assert_eq "$(jfield "$line" packets)" "$n" "summary rx packets"
	# Frames of 60+100+192+442+942+1442+1842 bytes, $per of each.  (veth's
	# rx_bytes leaves out the Ethernet header in native XDP mode only.)
	assert_eq "$(jfield "$line" bytes)" "$((5020 * per))" "summary rx bytes"
	for bucket in 0-64 65-127 128-255 256-511 512-1023 1024-1518 1519+; do
		got=$(jfield "$line" "buckets.$bucket")
		assert_eq "$got" "$per" "bucket $bucket"
	done
	# 0-64 and 65-127 are the frames under 128 bytes.
	assert_eq "$(jfield "$line" small)" "$((2 * per))" "small"
	line=$(summary_line "$WS_TMP/out" tx)
	assert_eq "$(jfield "$line" packets)" 0 "summary tx packets"
}

test_exact_counts_native() {
	check_exact_counts native
}

test_exact_counts_generic() {
	check_exact_counts generic
}

a0_packets() {
	echo "$(ifstat "$A" a0 rx_packets) $(ifstat "$A" a0 tx_packets)"
}

# A TCP exchange shows on both directions, equal to the interface counters.
test_bidirectional_tcp() {
	sizes_lab
	lab_static_neigh
	local rx0 tx0 line
	ip netns exec "$B" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 8080)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20)
data = c.recv(100); c.sendall(data.upper() * 20); c.close()' &
	WS_PIDS+=($!)
	# The kernel's window is wirescope's: from attached to stopped.
	ws_start "$A" "$WS_TMP/out" sizes -i a0 -j
	rx0=$(ifstat "$A" a0 rx_packets)
	tx0=$(ifstat "$A" a0 tx_packets)
	local reply
	reply=$(ip netns exec "$A" python3 -c '
import socket, time
for i in range(50):
    try:
        c = socket.create_connection(("198.18.0.2", 8080), timeout=5); break
    except ConnectionRefusedError:
        time.sleep(0.1)
c.sendall(b"hello"); out = b""
while True:
    d = c.recv(4096)
    if not d: break
    out += d
print(len(out))')
	assert_eq "$reply" 100 "reply length"
	# The peer's ACK of our FIN may still be on its way (slow VMs): wait
	# until the kernel has closed the socket (LAST_ACK gone) before stopping.
	wait_tcp_gone "$A" 198.18.0.2:8080 10
	# Anything still on the way (a late retransmission) lands before the
	# stop, and nothing may cross a0 while wirescope stops.
	wait_steady a0_packets
	local moved rx tx
	moved=$(a0_packets)
	ws_stop
	assert_eq "$(a0_packets)" "$moved" "a0 rx, tx packets during the stop"
	read -r rx tx <<<"$moved"
	rx=$((rx - rx0))
	tx=$((tx - tx0))
	log "a0: rx $rx, tx $tx; wirescope: $(grep -c '"type":"interval"' "$WS_TMP/out") interval records"
	assert_ge "$rx" 4 "interface rx_packets"
	assert_ge "$tx" 4 "interface tx_packets"
	line=$(summary_line "$WS_TMP/out" rx)
	assert_eq "$(jfield "$line" packets)" "$rx" "summary rx packets"
	line=$(summary_line "$WS_TMP/out" tx)
	assert_eq "$(jfield "$line" packets)" "$tx" "summary tx packets"
}

# Text output: one line per interface and direction per interval, with the
# small share, then a summary; -T adds a timestamp.
test_text_output() {
	sizes_lab
	write_trafgen_cfg "$WS_TMP/flood.cfg"
	ws_start "$A" "$WS_TMP/out" sizes -i a0 -T --small 75 --hist 0.5 4
	timeout 30 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/flood.cfg" -n 700 -q -b 5000pps >/dev/null 2>&1
	wait_exit "$WS_PID" 30
	local out
	out=$(cat "$WS_TMP/out")
	assert_match "$out" '^TIME +IFACE +DIR +PPS +BIT/S +<75B%' "header"
	assert_eq "$(grep -Ec '^[0-9]{2}:[0-9]{2}:[0-9]{2} +a0 +rx ' <<<"$out")" 4 "rx lines"
	assert_eq "$(grep -Ec '^[0-9]{2}:[0-9]{2}:[0-9]{2} +a0 +tx ' <<<"$out")" 4 "tx lines"
	assert_match "$out" 'a0 rx bytes : count +distribution' "histogram"
	# 700 frames, 100 per bucket: exactly the 100 of 60 bytes are < 75.
	assert_match "$out" 'a0 +rx +700 +[0-9]+ +14\.3%' "summary small share"
}

# kill -9 leaves nothing attached: XDP and tcx links die with the process,
# and with them every program it loaded.
test_kill9_leaves_nothing() {
	sizes_lab
	ws_start "$A" "$WS_TMP/out" sizes -i a0
	kill9_leaves_nothing "$A" "$(cat "$WS_TMP"/ready.*)"
}

# prog_names PID: the names of the BPF programs PID holds, sorted.
prog_names() {
	local id
	for id in $(prog_ids "$1"); do
		bpftool prog show id "$id" | grep -Eo 'name [a-z_0-9]+' | cut -d' ' -f2
	done | sort | tr '\n' ' '
}

# Ingress is tc or XDP, never both: the other program is not even loaded
# (its verification alone was 0.7 s of a start on 6.1 under TCG).
test_unused_ingress_prog_not_loaded() {
	sizes_lab
	ws_start "$A" "$WS_TMP/out" sizes -i a0
	assert_eq "$(prog_names "$WS_PID")" "ws_tc_egress ws_tc_ingress " "tc mode"
	ws_stop
	ws_start "$A" "$WS_TMP/out2" sizes -i a0 -m generic
	assert_eq "$(prog_names "$WS_PID")" "ws_tc_egress ws_xdp_ingress " "generic XDP"
	ws_stop
}

# Without tcx (simulated), ingress and egress use clsact filters.  kill -9
# leaves them behind; the next start finds and removes them; a clean exit
# removes all.
test_clsact_fallback_and_stale_cleanup() {
	sizes_lab
	WIRESCOPE_TEST_NO_TCX=1 ws_start "$A" "$WS_TMP/out" sizes -i a0 -v
	assert_match "$(cat "$WS_TMP/out.err")" 'ingress clsact, egress clsact' "clsact mode"
	kill -KILL "$WS_PID"
	wait "$WS_PID" 2>/dev/null || true
	assert_match "$(ip netns exec "$A" tc filter show dev a0 egress)" 'ws_tc_egress' "leftover egress filter after kill -9"
	assert_match "$(ip netns exec "$A" tc filter show dev a0 ingress)" 'ws_tc_ingress' "leftover ingress filter after kill -9"
	WIRESCOPE_TEST_NO_TCX=1 ws_start "$A" "$WS_TMP/out2" sizes -i a0 -v
	assert_match "$(cat "$WS_TMP/out2.err")" 'removed 2 tc filter\(s\) left by a crashed wirescope' "stale cleanup"
	ws_stop
	assert_eq "$(ip netns exec "$A" tc filter show dev a0 egress; ip netns exec "$A" tc filter show dev a0 ingress)" "" "filters after clean exit"
	ip netns exec "$A" tc qdisc show dev a0 | has clsact && fail "our clsact qdisc was left behind"
	true
}

test_bad_input() {
	sizes_lab
	local x="ip netns exec $A $WS"
	expect_error 5 "no such interface: 'nope0'" $x sizes -i nope0
	expect_error 3 "unknown option --bogus" $x sizes -i a0 --bogus
	expect_error 3 "unknown option -z" $x sizes -i a0 -z
	expect_error 3 "bad interval or count: '5x'" $x sizes -i a0 5x
	expect_error 3 "bad interval or count: '1 0'" $x sizes -i a0 1 0
	expect_error 3 "bad interval or count: '-1'" $x sizes -i a0 -- -1
	# The message gives the ranges the parse holds to.
	expect_error 3 "'0.005 1' \\(interval: seconds from 0.01 to 86400, count: an integer from 1 to 2147483648\\)" \
		$x sizes -i a0 0.005 1
	expect_error 3 "bad interval or count: '86401'" $x sizes -i a0 86401
	expect_error 3 "bad interval or count: '1 2147483649'" $x sizes -i a0 1 2147483649
	expect_error 3 "bad duration '86401': seconds from 0.01 to 86400" $x diag -i a0 -d 86401
	expect_error 3 "bad duration '0.001': seconds from 0.01 to 86400" $x resets -i a0 -d 0.001
	expect_error 3 "too many arguments" $x sizes -i a0 1 2 3
	expect_error 3 "at least one -i IFACE" $x sizes
	expect_error 3 "option -i needs an argument" $x sizes -i
	expect_error 3 "option --small needs an argument" $x sizes -i a0 --small
	expect_error 3 "option --ready-file needs an argument" $x sizes -i a0 --ready-file
	expect_error 3 "option --hist takes no argument" $x sizes -i a0 --hist=3
	expect_error 3 "ambiguous option --h " $x sizes -i a0 --h
	expect_error 3 "unknown option -z " $x sizes -i a0 --hist -zv
	expect_error 3 "bad --small 'abc'" $x sizes -i a0 --small abc
	expect_error 3 "bad mode 'fast'" $x sizes -i a0 -m fast
	expect_error 3 "unknown command 'nosuch'; the commands are sizes, " $x nosuch
	expect_error 3 "options follow the command, not before it: at '-i'; the commands are sizes, " $x -i a0 sizes
	expect_error 3 "no command given; the commands are sizes, " $x
	expect_error 5 "not an interface name: 'a b'" $x export --wait-interface -i 'a b'
	expect_error 3 "cannot write --ready-file '$WS_TMP/no/such'" $x sizes -i a0 --ready-file "$WS_TMP/no/such"
	expect_error 3 "cannot write --ready-file '$WS_TMP'" $x sizes -i a0 --ready-file "$WS_TMP"
	expect_error 4 "must run as root" ip netns exec "$A" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$WS" sizes -i a0 1 1
	# Privilege errors found only when attaching are 4 too: without tcx,
	# a user with the capabilities alone cannot take the clsact filter's
	# lock in /run/wirescope (not "attach failed", 7).
	expect_error 4 "a0: cannot attach tc ingress: Permission denied \\(root is needed" \
		env WIRESCOPE_TEST_NO_TCX=1 ip netns exec "$A" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=+bpf,+perfmon,+net_admin --ambient-caps=+bpf,+perfmon,+net_admin "$WS" sizes -i a0 1 1
	assert_eq "$(attached_progs "$A")" "" "programs left after bad input"
}

# The root of a user namespace may not load BPF: a privilege error (4), not
# "no BPF here" (6).
test_user_namespace_is_a_privilege_error() {
	unshare -Ur true 2>/dev/null ||
		skip "no user namespaces here (user.max_user_namespaces, seccomp)"
	expect_error 4 "cannot load the BPF programs: not permitted in a user namespace" \
		unshare -Urn "$WS" sizes -i lo 1 1
}

# Output that cannot be written is an error, one line and exit 8: a full
# disk, a closed stdout; a reader that went away (| head) ends it quietly.
test_output_errors() {
	sizes_lab
	local x="ip netns exec $A $WS" rc
	for how in full closed help; do
		rc=0
		case $how in
		full) $x sizes -i a0 0.1 3 >/dev/full 2>"$WS_TMP/err" || rc=$? ;;
		closed) $x sizes -i a0 0.1 3 >&- 2>"$WS_TMP/err" || rc=$? ;;
		help) $x sizes --help >/dev/full 2>"$WS_TMP/err" || rc=$? ;;
		esac
		assert_eq "$rc" 8 "exit code ($how)"
		assert_eq "$(wc -l <"$WS_TMP/err")" 1 "stderr lines ($how)"
		assert_match "$(cat "$WS_TMP/err")" 'cannot write the output' "message ($how)"
	done
	# diag's first line fails long before its check: the cause still shows.
	rc=0
	$x diag -i a0 -d 0.5 >&- 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 8 "exit code (diag, closed)"
	assert_eq "$(wc -l <"$WS_TMP/err")" 1 "stderr lines (diag, closed)"
	assert_match "$(cat "$WS_TMP/err")" "cannot write the output: Bad file descriptor" "message (diag, closed)"
	# No count: only the reader going away ends it (timeout: 124).
	(
		rc=0
		timeout 20 $x sizes -i a0 0.1 2>"$WS_TMP/err" || rc=$?
		echo "$rc" >"$WS_TMP/rc"
	) | head -1 >/dev/null
	assert_eq "$(cat "$WS_TMP/rc")" 0 "exit code when the reader is gone"
	assert_eq "$(cat "$WS_TMP/err")" "" "stderr when the reader is gone"
	assert_eq "$(attached_progs "$A")" "" "programs left after output errors"
}

test_help_and_version() {
	local out
	out=$("$WS" --help)
	assert_match "$out" 'sizes +packets by on-wire size' "wirescope --help"
	out=$("$WS" sizes --help)
	assert_match "$out" 'Usage: wirescope sizes -i IFACE' "sizes --help"
	assert_match "$out" 'Examples:' "sizes --help examples"
	assert_match "$("$WS" --version)" '^wirescope [0-9a-g.-]+' "--version"
}

# The binary is static and runs alone from an empty directory, no env.
test_static_binary() {
	[ "${WS_SANITIZE:-}" = 1 ] && skip "the sanitized build is dynamic (ASan)"
	assert_match "$(file -L "$WS")" 'statically linked' "file(1)"
	mkdir "$WS_TMP/empty"
	cp "$WS" "$WS_TMP/empty/wirescope"
	(cd "$WS_TMP/empty" && env -i ./wirescope --version) | has '^wirescope ' || fail "does not run under env -i"
}

# SIGTERM, like Ctrl-C, prints the summary and exits 0.
test_sigterm_summary_exit0() {
	sizes_lab
	ws_start "$A" "$WS_TMP/out" sizes -i a0 -j
	ip netns exec "$B" ping -c 3 -i 0.2 -W 1 198.18.0.1 >/dev/null
	kill -TERM "$WS_PID"
	wait_exit "$WS_PID" 30
	assert_eq "$EXIT_RC" 0 "exit code after SIGTERM"
	local line
	line=$(summary_line "$WS_TMP/out" rx)
	# 3 echo requests and at least one ARP request reached a0.
	assert_ge "$(jfield "$line" packets)" 4 "summary rx packets"
}
