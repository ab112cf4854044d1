# SPDX-License-Identifier: GPL-2.0
# wirescope resets, end to end: the nine scenarios of the issue in the lab
# of tools/lab.sh (client — r1 — r2 — server), wirescope on the client's
# c0.  Each asserts the verdict (and hop, address, reason where it
# matters); the kernel's TCP counters (/proc/net/snmp) are the ground truth
# for how many resets the client sent or took.

source tools/lab.sh

resets_lab() {
	lab_up "$WS_NS_PREFIX"
}

start_server() { # [READY_FILE]
	local f=${1:-$WS_TMP/server}
	bg lab_server --timeout 60 >"$f" 2>&1
	wait_file "$f"
}

# The rst records of wirescope's output, one per line: the fields asked
# for, tab separated ("-" for a missing key).  rsts OUT DIR FIELD...
rsts() {
	python3 - "$@" <<'EOF'
import json, sys
out, d, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in open(out):
    o = json.loads(line)
    if o.get("type") != "rst" or (d != "any" and o["dir"] != d):
        continue
    print("\t".join("-" if o.get(k) is None else str(o[k]) for k in keys))
EOF
}

# How many rst records have each combination of the fields, one "N a b"
# line per combination.  rst_counts OUT DIR FIELD...
rst_counts() {
	rsts "$@" | sort | uniq -c | awk '{$1 = $1} 1'
}

# From 6.10 tcp_send_reset has a reason (enum sk_rst_reason) and fires
# without a full socket too; before, neither.
send_reset_full() { kernel_btf_has sk_rst_reason; }
rst_reason() { send_reset_full && echo "$1" || echo -; }

summary_of() { grep '"type":"summary"' "$1"; }

# Exactly one received RST with VERDICT; prints its record for more checks.
one_rx() { # OUT VERDICT
	local n
	n=$(rsts "$1" rx verdict | wc -l)
	assert_eq "$n" 1 "received RSTs ($(rsts "$1" rx verdict why | tr '\n' ';'))"
	assert_eq "$(rsts "$1" rx verdict)" "$2" "verdict ($(rsts "$1" rx why))"
}

# 1. The server aborts with SO_LINGER {1, 0}.
test_peer_abort() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local r0
	r0=$(lab_tcp_snmp EstabResets)
	lab_client "send:hi,recv,send:abort,recvwait:10" --timeout 5 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" peer_abort
	assert_eq "$(rsts "$WS_TMP/out" rx hops peer_hops ts kernel)" "2	2	continues	accepted" "hops, ts, kernel"
	assert_eq "$(($(lab_tcp_snmp EstabResets) - r0))" 1 "EstabResets"
}

# 1b. The server aborts after 20,000 segments of 100 bytes back to back
#     (the seed's small-packet load on one flow).  Most reach the client
#     within a tick of the one before, and like it: the gate lets them by
#     and the baseline takes a fraction (docs/resets.md).  The abort is
#     still peer_abort on the peer's timestamp.
test_peer_abort_after_burst() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local s0 segs updates
	s0=$(lab_tcp_snmp InSegs)
	lab_client "send:burst:20000,drain:2,send:abort,drain:10" --timeout 20 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	segs=$(($(lab_tcp_snmp InSegs) - s0))
	updates=$(map_dump "$WS_PID" rst_flows | python3 -c 'import json, sys
print(max(e["formatted"]["value"]["rx_pkts"] for e in json.load(sys.stdin)))')
	ws_stop
	log "$segs segments in (InSegs), $updates baseline updates"
	# A send the sender could not transmit at once joins the next: most
	# of the 20,000 still leave as a segment each.
	assert_ge "$segs" 10000 "segments the client took in (InSegs)"
	assert_le "$((updates * 4))" "$segs" "baseline updates: at most a quarter"
	one_rx "$WS_TMP/out" peer_abort
	assert_eq "$(rsts "$WS_TMP/out" rx ts kernel)" "continues	accepted" "ts, kernel"
}

# 1a. The server's TS clock runs in microseconds (tcp_usec_ts on its route
#     to the client, 6.7+).  It aborts 2 s after our last segment
#     (abortin:2: its ACK of it goes first), and its RST continues that
#     clock where 1 kHz reads it as a jump (injected).  Over IPv6, where no
#     IP ID continues the peer's to tell instead.  Flow 1's segments span
#     too little time to show the clock: unsure, medium.  Flow 2's span
#     0.7 s: the clock shown in µs, and high.
test_peer_abort_usec_timestamps() {
	local rc=0 i server
	resets_lab
	lab_exec s python3 tests/e2e/py/usec_ts_route.py 2001:db8:0::2 2001:db8:2::1 || rc=$?
	if [ "$rc" = 2 ]; then
		kernel_btf_has tcp_usec_ts && fail "$(uname -r) has tcp_usec_ts (BTF) but refused the route feature"
		skip "no tcp_usec_ts before 6.7"
	fi
	assert_eq "$rc" 0 "route with tcp_usec_ts"
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	start_server "$WS_TMP/server1"
	server=$BG_PID
	LAB_TARGET=$LAB_S_IP6 lab_client "send:a,recv,send:abortin:2,recvwait:10" --timeout 5 >"$WS_TMP/client1"
	wait_until 5 pid_gone "$server" || fail "server 1 still holds the port"
	start_server "$WS_TMP/server2"
	LAB_TARGET=$LAB_S_IP6 lab_client "send:a,recv,sleep:0.7,send:b,recv,send:abortin:2,recvwait:10" --timeout 5 >"$WS_TMP/client2"
	for i in 1 2; do
		assert_match "$(cat "$WS_TMP/client$i")" reset "client $i saw the reset"
		assert_match "$(cat "$WS_TMP/server$i")" usec_ts "server $i's TSvals in microseconds (TCP_INFO)"
	done
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" rx peer_ts_usec ts verdict confidence)" "-	unsure	peer_abort	medium
True	continues	peer_abort	high" "clock, ts, verdict ($(rsts "$WS_TMP/out" rx idle_rx_s why | tr '\n' ';'))"
}

# The client's own DNAT: connects to ADDR:$LAB_PORT go to the server.
lab_local_dnat() { # ADDR
	lab_exec c nft -f - <<-EOF
	table ip lab_dnat {
		chain output {
			type nat hook output priority -100;
			ip daddr $1 tcp dport $LAB_PORT dnat to $LAB_S_IP
		}
	}
	EOF
}

# 1b. The client dials an address this host's own DNAT rewrites (a
#     ClusterIP, say): its socket knows that address, the wire the
#     server's.  The peer's abort is one RST, which that socket took.
test_peer_abort_through_local_dnat() {
	resets_lab
	start_server
	lab_local_dnat 198.18.9.9
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	LAB_TARGET=198.18.9.9 lab_client "send:hi,recv,send:abort,recvwait:10" --timeout 5 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	assert_eq "$(rst_counts "$WS_TMP/out" any dir verdict kernel)" "1 rx peer_abort accepted" "RSTs"
}

# 2. The server's socket vanishes silently (ss -K, its RST dropped); the
#    client's next segment meets a host with no socket.
test_peer_no_socket() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	client_wait_go "send:more,recvwait:10"
	lab_server_mute_rst
	lab_exec s ss -K state established "( sport = :$LAB_PORT )" >/dev/null
	lab_server_unmute_rst
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" peer_no_socket
	assert_eq "$(rsts "$WS_TMP/out" rx hops peer_hops ts triggered)" "2	2	absent	True" "evidence"
}

# 2a. The keep-alive race: the server closes (its FIN), and our request
#     after it draws an RST from its closed socket (TCPAbortOnData), or
#     from the TIME_WAIT one it became (tcp_fin_timeout up to 60 s), sent
#     as one without a socket is (no timestamp, ID 0).  The FIN says which
#     is likelier: peer_abort, medium, not peer_no_socket (restart,
#     re-mapped, firewall).
test_peer_closed_then_data() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0
	o0=$(lab_tcp_snmp OutRsts s)
	lab_client "send:close,recv,send:late" --timeout 5 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" eof "client saw the server's FIN"
	# After the FIN the client's reads say EOF, not the reset: the
	# server's kernel says it sent one.
	wait_until 5 at_least $((o0 + 1)) lab_tcp_snmp OutRsts s ||
		fail "the server's OutRsts did not move"
	ws_stop
	one_rx "$WS_TMP/out" peer_abort
	assert_eq "$(rsts "$WS_TMP/out" rx hops peer_hops ts triggered confidence)" \
		"2	2	absent	True	medium" "evidence"
	assert_match "$(rsts "$WS_TMP/out" rx why peer_fin)" "FIN.*	True$" "why"
	assert_match "$(summary_of "$WS_TMP/out")" '"advice":"the peer closed the connection' \
		"the group's advice"
}

# 3. r2 rejects mid-flow with a TCP reset: a middlebox 1 hop before the
#    server, and --locate names r2.
test_middlebox_reject_locate() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	client_wait_go "send:more,recvwait:10"
	lab_r2_reject
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx hops peer_hops hops_before_peer hop_addr)" \
		"1	2	1	$LAB_R2_IP" "hop and address"
}

# 4. NAT on r2 forgets the idle flow (conntrack timeout 2 s, tcp_loose=0,
#    invalid -> reset): middlebox, the idle time, keepalive advice.
test_nat_idle_timeout() {
	resets_lab
	lab_r2_nat 600
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	client_wait_go "send:more,recvwait:10"
	nat_forget_client 2
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" middlebox
	local rec
	rec=$(rsts "$WS_TMP/out" rx hops_before_peer hop_addr triggered)
	assert_eq "$rec" "1	$LAB_R2_IP	True" "hop, address, trigger"
	assert_idle_s "$(rsts "$WS_TMP/out" rx idle_s)"
	assert_match "$(summary_of "$WS_TMP/out")" 'tcp_keepalive_time here is [0-9]+' "advice"
}

# 4b. The same NAT from the server's end: r2 masquerades, so the server's
#     peer is r2's own address on its link, 198.18.2.1.  Once r2 forgot
#     the idle flow, the server writes and r2 resets it from there (0
#     hops) while the client's packets come from 2.  --locate sends no
#     probe: one would reach r2 and draw resets of its own, which were
#     counted as the NAT's (3 instead of 1, the idle range down to 0 s,
#     and a firewall's advice instead of the keepalive).
test_nat_idle_timeout_server_end() {
	resets_lab
	lab_r2_nat 600
	start_server
	ws_start "$LAB_S" "$WS_TMP/out" resets -i s0 -j --locate
	bg lab_client "send:later:$WS_TMP/go,recvwait:8" --timeout 10 >"$WS_TMP/client"
	wait_file "$WS_TMP/client" # connected: r2 holds the flow
	nat_forget_client 2
	touch "$WS_TMP/go"
	wait_until 10 grep -q '"type":"rst"' "$WS_TMP/out" || fail "no RST seen on s0"
	ws_stop
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx hops hops_before_peer hop_addr)" \
		"0	2	198.18.2.1" "the NAT's own address, on the server's link"
	assert_eq "$(jfield "$(summary_of "$WS_TMP/out")" locate_probe_resets)" 0 "probe resets"
	assert_match "$(summary_of "$WS_TMP/out")" 'tcp_keepalive_time here is [0-9]+' "advice"
}

# The NAT reset of test 4 on a busy client: r2's NAT forgets the client's
# flow after 2 s idle, while STEP (a function and its arguments) runs;
# then the client writes and r2 resets it.  wirescope watches c0 with 64
# baseline slots; its output is left in $WS_TMP/out.
nat_reset_after() { # STEP [ARGS...]
	resets_lab
	lab_r2_nat 600
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate --flows 64
	CLIENT_TIMEOUT=60 client_wait_go "send:more,recvwait:10"
	nat_forget_client 2 "$@"
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
}

# N short connections from the client through the NAT (four-way closes,
# or reset once connected with --abort).
churn_through_nat() { # N [--abort]
	local n=$1 opens0 churned
	bg lab_closer "$n" >"$WS_TMP/closer" 2>&1
	wait_file "$WS_TMP/closer"
	opens0=$(lab_tcp_snmp ActiveOpens)
	churned=$(lab_churn "$@")
	assert_eq "$churned" "churned $n" "short connections"
	assert_ge $(( $(lab_tcp_snmp ActiveOpens) - opens0 )) "$n" "ActiveOpens (kernel)"
}

# r1 connect-scans N closed ports of the client: each SYN refused.
scan_client() { # N
	local rsts0
	rsts0=$(lab_tcp_snmp OutRsts)
	assert_eq "$(lab_scan r1 "$LAB_C_IP" 20000 "$1")" "$1" "scan connects refused"
	assert_ge $(($(lab_tcp_snmp OutRsts) - rsts0)) "$1" "OutRsts (kernel)"
}

# Nothing evicted: the idle flow kept its baseline, and the NAT's RST is
# judged from it.
nat_verdict_kept() {
	assert_eq "$(jfield "$(summary_of "$WS_TMP/out")" flows_evicted)" 0 \
		"baselines evicted"
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx hops_before_peer hop_addr)" \
		"1	$LAB_R2_IP" "hop and address"
}

# Closed flows leave the table: nothing is evicted (of 1,001 inserts at
# most 64 could stay), so the idle flow keeps its baseline and verdict.
test_nat_idle_timeout_under_churn() {
	nat_reset_after churn_through_nat 1000
	nat_verdict_kept
}

# Connections reset after the connect never close both ways: their
# baselines stay until the LRU evicts them.  Of 1,001 inserts (the churn's
# and the idle flow's) at most 64 fit, so at least 937 were evicted, and
# the count says so (which ones the LRU chose is the kernel's business).
test_evicted_baselines_counted() {
	local evicted
	nat_reset_after churn_through_nat 1000 --abort
	evicted=$(jfield "$(summary_of "$WS_TMP/out")" flows_evicted)
	assert_ge "$evicted" $((1001 - 64)) "baselines evicted (at least)"
	assert_le "$evicted" 1001 "baselines evicted (at most the inserts)"
}

# A port scan of the client during the idle time: r1 connects to 1,000 of
# its closed ports, each SYN refused with an RST (OutRsts).  A refused SYN
# never became a flow, so its baseline leaves with the RST: none of 1,001
# inserts into 64 slots is evicted, and the idle flow keeps its verdict.
test_nat_idle_timeout_under_port_scan() {
	nat_reset_after scan_client 1000
	nat_verdict_kept
}

# 5. An LB-style device on r2 resets both ends after 2 s idle, unprompted.
test_lb_idle_unsolicited() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	bg lab_lb_injector 2 >"$WS_TMP/inj" 2>&1
	wait_file "$WS_TMP/inj"
	lab_client "send:hi,recv,recvwait:8" --timeout 10 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx hops_before_peer unsolicited kernel)" "1	True	accepted" "unsolicited middlebox"
	local idle
	idle=$(rsts "$WS_TMP/out" rx idle_s | cut -d. -f1)
	assert_ge "$idle" 1 "idle seconds"
	assert_le "$idle" 3 "idle seconds"
}

# 6. A forger on r1 sends a burst of RSTs with TTL 40 and jumping seqs:
#    injected, and the kernel refuses them (the flow survives).
test_injected_forgery() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	bg lab_forger --ttl 40 --count 3 --jump 1000 >"$WS_TMP/inj" 2>&1
	wait_file "$WS_TMP/inj"
	lab_client "send:hi,recv,recvwait:2,send:again,recv" --timeout 5 >"$WS_TMP/client"
	assert_eq "$(grep -c reset "$WS_TMP/client" || true)" 0 "the flow survived the forged RSTs"
	ws_stop
	assert_eq "$(rst_counts "$WS_TMP/out" rx verdict)" "3 injected" "verdicts"
	# Each one refused: challenge-ACKed or dropped (the kernel's reason
	# varies with timing: TCP_RESET, a *_SEQUENCE one, ...; before 5.17
	# there is none), none accepted.
	local refused
	refused=$(rsts "$WS_TMP/out" rx kernel | grep -cE '^(challenge-ACKed \(TCP_RESET\)|dropped \([A-Z_]+\)|dropped \(reason unknown: kernel before 5\.17\)|dropped out of window \([A-Z_]+\))$' || true)
	assert_eq "$refused" 3 "kernel refused them ($(rsts "$WS_TMP/out" rx kernel | tr '\n' ';'))"
}

# 7. The client's keepalive times out through a black hole.
test_local_keepalive_timeout() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0
	o0=$(lab_tcp_snmp OutRsts)
	CLIENT_PRE="keepalive:1:1:2," client_wait_go "recvwait:10"
	lab_r1_blackhole
	client_go
	assert_match "$(cat "$WS_TMP/client")" timeout "client timed out"
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" tx verdict reason)" "local	$(rst_reason TCP_KEEPALIVE_TIMEOUT)" "verdict"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 1 "OutRsts"
}
# 8. The client closes with unread data.
test_local_abort_on_close() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0
	o0=$(lab_tcp_snmp OutRsts)
	lab_client_abort_on_close >"$WS_TMP/client"
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" tx verdict reason)" "local	$(rst_reason TCP_ABORT_ON_CLOSE)" "verdict"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 1 "OutRsts"
}

# 8a. The client shuts its socket down both ways, then the server's late
#     data meets it: the kernel resets the flow (an abort on data), calling
#     tcp_reset on that socket first.  One RST, ours, on the wire: the
#     socket's receive event is its own, no RST that came in unseen.
test_abort_on_data_one_rst() {
	resets_lab
	start_server
	abort_on_data lab_client
	assert_eq "$(rst_counts "$WS_TMP/out" any dir verdict)" "1 tx local" "RSTs"
}

# abort_on_data CLIENT...: under resets on c0, CLIENT (a lab_client
# command line, to which the steps are added) shuts its socket down, then
# the server's late data makes C's kernel send one RST (OutRsts).  The
# client itself says when it has shut down: data that came before would
# only wait unread, and shutdown sends no RST for it.
abort_on_data() {
	local o0
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	o0=$(lab_tcp_snmp OutRsts)
	bg "$@" "send:later:$WS_TMP/go,shutdown,touch:$WS_TMP/go,wait:$WS_TMP/done" --timeout 20 >"$WS_TMP/client"
	wait_until 10 at_least $((o0 + 1)) lab_tcp_snmp OutRsts ||
		fail "the client sent no RST"
	touch "$WS_TMP/done"
	wait "$BG_PID" || true
	ws_stop
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 1 "OutRsts"
}

# 8a'. The same over lo, which resets watches: the RST is seen once, as
#     the receiving socket's; the aborting socket's own receive event is
#     claimed by it, not a second RST.
test_abort_on_data_over_lo_one_rst() {
	resets_lab
	bg lab_exec c python3 "$LAB_DIR/lab_tcp.py" server 5002 --timeout 20 >"$WS_TMP/server" 2>&1
	wait_file "$WS_TMP/server"
	abort_on_data lab_exec c python3 "$LAB_DIR/lab_tcp.py" client 127.0.0.1 5002
	assert_eq "$(rst_counts "$WS_TMP/out" any dir via_lo verdict)" "1 rx True local" "RSTs"
}

# 8a''. The client, through this host's own DNAT, aborts: our RST leaves
#     with the server's address, its send event has the dialled one.  One
#     RST, ours, never this host's firewall.
test_local_abort_through_local_dnat() {
	resets_lab
	start_server
	lab_local_dnat 198.18.9.9
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	LAB_TARGET=198.18.9.9 lab_client "send:hi,recv,abort" --timeout 5 >"$WS_TMP/client"
	ws_stop
	assert_eq "$(rst_counts "$WS_TMP/out" any dir verdict)" "1 tx local" "RSTs"
}

# 8b. The client aborts with SO_LINGER 0, nothing unread: TCP_STATE (the
#     kernel's reason from 6.12; before it, none or another), and the
#     advice says what sends it.
test_local_abort_linger0() {
	kernel_btf_has SK_RST_REASON_TCP_STATE || skip "no SK_RST_REASON_TCP_STATE in this kernel (6.12+)"
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0
	o0=$(lab_tcp_snmp OutRsts)
	lab_client "send:hi,recv,abort" --timeout 5 >"$WS_TMP/client"
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" tx verdict reason)" "local	TCP_STATE" "verdict"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 1 "OutRsts"
	assert_match "$(jfield "$(summary_of "$WS_TMP/out")" groups.0.advice)" 'SO_LINGER 0' "advice"
}

# Without the events (tcp_send_reset left off by --skip-tracepoint, as in
# an RST storm; tcp_receive_reset as on a kernel without it, simulated):
# the absent tcp_send_reset says nothing, so this host's RST is unknown,
# never "its firewall"; a received RST's kernel view is unknown too.  The
# verdict still stands on the wire.
test_tracepoints_off_claim_nothing() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --skip-tracepoint tcp_send_reset
	local o0
	o0=$(lab_tcp_snmp OutRsts)
	lab_client_abort_on_close >"$WS_TMP/client"
	ws_stop
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 1 "OutRsts"
	assert_eq "$(rsts "$WS_TMP/out" tx verdict confidence)" "unknown	low" "verdict without tcp_send_reset"
	assert_match "$(rsts "$WS_TMP/out" tx why)" '^evidence_tracepoint_off: sent by this host, but tcp:tcp_send_reset is off' "why"
	# No RST can be told this host's: the local counts are unknown, not 0.
	assert_eq "$(jfield "$(grep '"type":"summary"' "$WS_TMP/out")" verdicts.local)" None "summary: local verdicts"
	assert_match "$(cat "$WS_TMP/out.err")" 'tcp_send_reset is skipped \(--skip-tracepoint\): ws_rst_send is off \(resets: no kernel record of the RSTs this host sends\)' "warning"

	start_server "$WS_TMP/server2"
	WIRESCOPE_TEST_NO_TP=tcp_receive_reset ws_start "$LAB_C" "$WS_TMP/out2" resets -i c0 -j
	lab_client "send:hi,recv,send:abort,recvwait:10" --timeout 5 >"$WS_TMP/client"
	ws_stop
	one_rx "$WS_TMP/out2" peer_abort
	assert_eq "$(rsts "$WS_TMP/out2" rx kernel)" "unknown (tracepoint off)" "kernel view without tcp_receive_reset"
}

# SYNs to a port with no socket here: this kernel answers each with an RST.
# refused_connects NODE ADDR: three connects from NODE to ADDR's closed port
# 7777 (5 s each at most); prints how many were refused.
refused_connects() {
	lab_exec "$1" python3 -c '
import socket, sys
n = 0
for i in range(3):
    try:
        socket.create_connection((sys.argv[1], 7777), timeout=5)
    except ConnectionRefusedError:
        n += 1
print(n)' "$2"
}

# From 6.10 tcp_send_reset says so (local, NO_SOCKET); before, it never
# fires without a full socket, so its absence proves nothing: unknown,
# never this host's firewall.
test_closed_port_rst_not_firewall() {
	resets_lab
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0 refused
	o0=$(lab_tcp_snmp OutRsts)
	refused=$(refused_connects s 198.18.0.2)
	ws_stop
	assert_eq "$refused" 3 "connects refused"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 3 "OutRsts"
	if send_reset_full; then
		assert_eq "$(rst_counts "$WS_TMP/out" tx verdict reason)" "3 local NO_SOCKET" "verdicts"
		assert_eq "$(jfield "$(summary_of "$WS_TMP/out")" verdicts.local_netfilter)" 0 \
			"summary: local_netfilter counted"
		return
	fi
	assert_eq "$(rst_counts "$WS_TMP/out" tx verdict confidence)" "3 unknown low" "verdicts"
	# Never said before 6.10: its count is unknown, not 0.
	assert_eq "$(jfield "$(summary_of "$WS_TMP/out")" verdicts.local_netfilter)" None \
		"summary: local_netfilter before 6.10"
	assert_match "$(rsts "$WS_TMP/out" tx why | sort -u)" '^evidence_tracepoint_partial: sent by this host, but before 6.10 tcp:tcp_send_reset' "why"
}

# IPv6 connects whose SYNs carry a destination-options header (the
# socket's IPV6_DSTOPTS) to a closed port: C's kernel answers each with an
# RST, and its tcp_send_reset event reads the segment past the extension
# header.  The event was dropped unread, and from 6.10 the RST blamed on
# this host's firewall (local_netfilter).
test_ipv6_ext_closed_port_rst() {
	resets_lab
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local o0 refused
	o0=$(lab_tcp_snmp OutRsts)
	refused=$(lab_exec s python3 -c '
import socket, sys
padn = bytes([0, 0, 1, 4, 0, 0, 0, 0])  # next header, length 0, PadN(4)
n = 0
for i in range(3):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, 59, padn)  # IPV6_DSTOPTS
    s.settimeout(5)
    try:
        s.connect((sys.argv[1], 7777))
    except ConnectionRefusedError:
        n += 1
    s.close()
print(n)' 2001:db8:0::2)
	ws_stop
	assert_eq "$refused" 3 "connects refused"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - o0))" 3 "OutRsts"
	if send_reset_full; then
		assert_eq "$(rst_counts "$WS_TMP/out" tx verdict reason saddr)" \
			"3 local NO_SOCKET 2001:db8::2" "verdicts"
	else
		assert_eq "$(rst_counts "$WS_TMP/out" tx verdict confidence)" "3 unknown low" "verdicts"
	fi
	assert_eq "$(jfield "$(grep health_summary "$WS_TMP/out")" resets_event_unread)" 0 \
		"events whose segment was not read"
}

# IPv6 RSTs behind a destination-options header, to a port with no socket
# here: C's kernel takes each in (InSegs) and drops it, answering none, and
# its kfree_skb event reads the segment past the extension header, so each
# row says the kernel dropped it, not "no socket event".
test_ipv6_ext_rst_dropped() {
	resets_lab
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	local in0 out0 views
	in0=$(lab_tcp_snmp InSegs)
	out0=$(lab_tcp_snmp OutRsts)
	assert_eq "$(lab_ext6_rsts 7777 3)" "sent 3 RSTs" "injector"
	wait_until 5 at_least $((in0 + 3)) lab_tcp_snmp InSegs ||
		fail "C's kernel took in $(($(lab_tcp_snmp InSegs) - in0)) of 3"
	ws_stop
	assert_eq "$(($(lab_tcp_snmp InSegs) - in0))" 3 "InSegs"
	assert_eq "$(($(lab_tcp_snmp OutRsts) - out0))" 0 "OutRsts"
	assert_eq "$(rst_counts "$WS_TMP/out" any dir saddr sport dport)" \
		"3 rx 2001:db8:2::2 5001 7777" "RSTs"
	views=$(rsts "$WS_TMP/out" rx kernel)
	assert_eq "$(grep -cE '^dropped \(([A-Z_]+|reason unknown: kernel before 5\.17)\)$' <<<"$views" || true)" 3 \
		"kernel view ($(tr '\n' ';' <<<"$views"))"
	assert_eq "$(jfield "$(grep health_summary "$WS_TMP/out")" ipv6_ext_unwalked)" 0 \
		"extension headers not walked"
}

# What carries no TCP header is no dropped RST, though skb:kfree_skb sees
# a transport header with the RST bit where TCP's flags would be: 400 IPv4
# fragments past the first (the kernel points it at their payload;
# reassembly refused, ipfrag_high_thresh 0), then 400 frames whose IP
# length ends after 4 bytes of it (TCP drops them as too small; the rest
# of the frame is padding the sender chose).  Each kind once spent the
# per-CPU rate limit (burst 100) that real RSTs need.
test_dropped_non_segments_not_rsts() {
	local fails0 segs0 line
	ip_lab
	ip netns exec "$A" sysctl -qw net.ipv4.ipfrag_low_thresh=0 \
		net.ipv4.ipfrag_high_thresh=0
	ws_start "$A" "$WS_TMP/out" resets -i a0 -j
	fails0=$(nstat_abs "$A" IpReasmFails)
	segs0=$(nstat_abs "$A" TcpInSegs)
	ip netns exec "$B" python3 - "$(mac "$A" a0)" <<'EOF2'
import socket, struct, sys
src, dst = socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.0.1")
# Ports, seq, ack, data offset, then the RST bit in the 14th byte.
tcp = struct.pack("!HHIIBBHHH", 5001, 7777, 1, 0, 0x50, 0x04, 0, 0, 0)

def ipv4(ident, frag, length):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident, frag, 64, 6, 0,
                    src, dst)
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return h[:10] + struct.pack("!H", ~s & 0xffff) + h[12:]

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(400):  # offset 8 bytes, the last fragment
    raw.sendto(ipv4(i + 1, 1, 40) + tcp, ("198.18.0.1", 0))
eth = bytes.fromhex(sys.argv[1].replace(":", "")) + bytes(6) + b"\x08\x00"
pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
pkt.bind(("b0", 0))
for i in range(400):  # IP length 24: 4 bytes of TCP, then padding
    pkt.send(eth + ipv4(i + 1, 0x4000, 24) + tcp)
EOF2
	wait_until 5 at_least $((fails0 + 400)) nstat_abs "$A" IpReasmFails ||
		fail "A refused $(($(nstat_abs "$A" IpReasmFails) - fails0)) of 400 fragments"
	wait_until 5 at_least $((segs0 + 400)) nstat_abs "$A" TcpInSegs ||
		fail "TCP took in $(($(nstat_abs "$A" TcpInSegs) - segs0)) of 400 short frames"
	ws_stop
	line=$(grep '"type":"health_summary"' "$WS_TMP/out")
	assert_eq "$(jfield "$line" resets_rate_limited)" 0 "RST events rate-limited"
	assert_eq "$(rst_counts "$WS_TMP/out" any dir)" "" "RSTs"
}

# wirescope on r1, which forwards the server's answers to a closed port: the
# RSTs leave r1a from the server's address, not r1's, and r1 received
# them (skb_iif): unknown as forwarded, never "this host's firewall".
test_forwarded_rst_not_firewall() {
	resets_lab
	refused_through_r1 "$LAB_S_IP" "$LAB_S_IP"
}

# refused_through_r1 DIALLED SOURCE: three connects from c to DIALLED
# refused by the server, with wirescope on r1: its RSTs leave r1a from
# SOURCE, each unknown as routed (r1 received them).
refused_through_r1() {
	ws_start "$LAB_R1" "$WS_TMP/out" resets -i r1a -j
	local refused
	refused=$(refused_connects c "$1")
	ws_stop
	assert_eq "$refused" 3 "connects refused"
	assert_eq "$(rst_counts "$WS_TMP/out" tx verdict saddr forwarded)" \
		"3 unknown $2 True" "verdicts"
	assert_match "$(rsts "$WS_TMP/out" tx why | sort -u)" '^routed: ' "why"
	assert_match "$(summary_of "$WS_TMP/out")" '"advice":"this host routed these' "advice"
}

# The same through r1's own DNAT (a published port: a container's, or a
# NodePort's): the server's RSTs leave r1a from r1's address, as r1's
# firewall's would, with no tcp_send_reset.  r1 received them: forwarded.
test_forwarded_rst_through_dnat() {
	resets_lab
	lab_exec r1 nft -f - <<-EOF
	table ip lab_publish {
		chain prerouting {
			type nat hook prerouting priority -100;
			ip daddr $LAB_R1_IP tcp dport 7777 dnat to $LAB_S_IP
		}
	}
	EOF
	refused_through_r1 "$LAB_R1_IP" "$LAB_R1_IP"
}

# 9. The client's own nftables rejects its outgoing segment: the reset
#    comes back on lo.
test_local_netfilter() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	client_wait_go "send:more,recvwait:10"
	lab_client_reject
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	if send_reset_full; then
		assert_eq "$(rsts "$WS_TMP/out" any dir via_lo verdict)" "rx	True	local_netfilter" "verdict"
		return
	fi
	# Before 6.10 the absent send-reset event proves nothing.
	assert_eq "$(rsts "$WS_TMP/out" any dir via_lo verdict)" "rx	True	unknown" "verdict before 6.10"
	assert_match "$(rsts "$WS_TMP/out" any why)" '^evidence_tracepoint_partial: ' "why"
}

# Usage errors and help: one clear line, the documented exit codes.
test_resets_usage() {
	local rc
	"$WS" resets --help | has "Exit status" || fail "--help"
	rc=0; "$WS" resets -d 5 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 3 "no -i"
	rc=0; "$WS" resets -i lo -d 5x 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 3 "bad duration"
	assert_match "$(cat "$WS_TMP/err")" "bad duration '5x'" "message"
	rc=0; "$WS" resets -i lo --rate 0 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 3 "bad rate"
	rc=0; "$WS" resets -i lo extra 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 3 "stray argument"
	rc=0; "$WS" resets -i nosuchif0 2>"$WS_TMP/err" || rc=$?
	assert_eq "$rc" 5 "unknown interface"
	# Each line has its own time; a duration past -d's bound is refused
	# before anything loads (it overflowed the timer after the attach).
	expect_error 3 "-T does not apply" "$WS" resets -i lo -T
	expect_error 3 "interval x count: at most 86400 s" "$WS" resets -i lo 10 1000000000
	expect_error 3 "interval x count: at most 86400 s" "$WS" resets -i lo -d 5 10 1000000000
	# With -d too, the shorter of the two ends the watch, as for every
	# command: 0.5 x 2 is 1 s, not -d's 60.
	ns u >/dev/null
	ip -n "$WS_NS_PREFIX-u" link set lo up
	ws_start "$WS_NS_PREFIX-u" "$WS_TMP/short" resets -i lo -j -d 60 0.5 2
	wait_exit "$WS_PID" 20
	assert_eq "$EXIT_RC" 0 "exit code of -d 60 0.5 2"
	assert_match "$(grep '"type":"summary"' "$WS_TMP/short")" '"duration_s":1\.[0-9]' "watched 1 s"
	# A misspelt event is a usage error whoever runs it: not "not root".
	expect_error 3 "--skip-tracepoint: 'kfree_skbb' is not a tracepoint" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$WS" resets -i lo --skip-tracepoint kfree_skbb
}

# IPv6 end to end: the peer's abort (hop limit, timestamps) and our own
# abort on close (the tracepoint's IPv6 socket), over the same lab.
test_ipv6_peer_abort() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	LAB_TARGET=$LAB_S_IP6 lab_client "send:hi,recv,send:abort,recvwait:10" --timeout 5 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" peer_abort
	assert_eq "$(rsts "$WS_TMP/out" rx saddr hops peer_hops ts)" "$LAB_S_IP6	2	2	continues" "evidence"
}

test_ipv6_local_abort_on_close() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	LAB_TARGET=$LAB_S_IP6 lab_client_abort_on_close >"$WS_TMP/client"
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" tx daddr verdict reason)" "$LAB_S_IP6	local	$(rst_reason TCP_ABORT_ON_CLOSE)" "verdict"
}

# IPv6: r2 rejects mid-flow; --locate finds r2 with hop-limited probes and
# ICMPv6 time exceeded.
test_ipv6_middlebox_locate() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	LAB_TARGET=$LAB_S_IP6 client_wait_go "send:more,recvwait:10"
	lab_r2_reject6
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx hops peer_hops hops_before_peer hop_addr)" \
		"1	2	1	2001:db8:1::2" "hop and address"
}

# bss_var PID NAME: a .bss variable of that running wirescope (bpftool, BTF).
bss_var() {
	local id
	for id in $(map_ids "$1"); do
		bpftool -j map show id "$id" | grep -q '"name":"[^"]*\.bss"' || continue
		bpftool -j map dump id "$id" | python3 -c '
import json, sys
for v in json.load(sys.stdin)[0]["formatted"]["value"][".bss"]:
    if sys.argv[1] in v:
        print(v[sys.argv[1]])' "$2"
		return
	done
}

half_moved_from() { [ "$(bss_var "$WS_PID" rst_present_half)" != "$1" ]; }

# The presence filter's upkeep runs on the binary's own loop: SYNs from
# 60,000 made-up tuples mark over an eighth of rst_present's slots, and
# within a few ticks resets rebuilds the idle half from rst_flows and
# swaps (rst_present_half; resets_present.c), and its walk counts no
# eviction.  Unit tests cover the rebuild itself.
test_presence_filter_rebuilt_live() {
	ip_lab
	local syns=60000 half0 rx0
	syn_flood_sink "$A" a0
	ws_start "$A" "$WS_TMP/out" resets -i a0 -j
	half0=$(bss_var "$WS_PID" rst_present_half)
	assert_match "$half0" '^[01]$' "rst_present_half before the flood"
	write_syn_flood_cfg "$WS_TMP/syn.cfg" "$(mac "$A" a0)" 8080
	rx0=$(ifstat "$A" a0 rx_packets)
	timeout 60 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/syn.cfg" -n "$syns" -q -b 100000pps >/dev/null 2>&1 ||
		fail "trafgen failed"
	assert_ge $(( $(ifstat "$A" a0 rx_packets) - rx0 )) "$syns" "SYNs received on a0 (kernel)"
	wait_until 10 half_moved_from "$half0" ||
		fail "no rebuild within 10 s of the flood: rst_present_half still $half0"
	ws_stop
	# The rebuild's walk found every flow: 60,000 fit in 65,536.
	assert_eq "$(jfield "$(summary_of "$WS_TMP/out")" flows_evicted)" 0 \
		"baselines evicted"
}

# A flow that began before wirescope gets its baseline from its next
# packets (mid-flow pickup), so the peer's abort is still peer_abort.
test_flow_started_before_wirescope() {
	resets_lab
	start_server
	client_wait_go "send:again,recv,send:abort,recvwait:10"
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" peer_abort
}

# No packet from the peer since wirescope started: unknown, and it says why.
test_unknown_without_baseline() {
	resets_lab
	start_server
	client_wait_go "send:abort,recvwait:10"
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	client_go
	assert_match "$(cat "$WS_TMP/client")" reset "client saw the reset"
	ws_stop
	one_rx "$WS_TMP/out" unknown
	assert_match "$(rsts "$WS_TMP/out" rx why)" "no baseline" "why"
}

# An exact forgery with the peer's TTL is accepted, but the real peer keeps
# sending data on the flow: injected, on that evidence.
test_injected_peer_keeps_sending() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	bg lab_forger --ttl 62 --count 1 --jump 0 >"$WS_TMP/inj" 2>&1
	wait_file "$WS_TMP/inj"
	lab_client "send:stream,drain:4" --timeout 6 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "the forgery was accepted"
	# The server's next segment meets our closed socket and our kernel
	# answers it with a reset: wait for that.
	wait_until 3 at_least 1 lab_tcp_snmp OutRsts || true
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" rx verdict kernel)" "injected	accepted" "verdict"
	assert_match "$(rsts "$WS_TMP/out" rx why)" "kept sending data" "why"
}

# An exact forgery the wire cannot show: behind five IPv6 destination-
# options headers, one more than the parse walks.  The client's kernel
# takes it (tcp_receive_reset), no wire event is made, and
# ipv6_ext_unwalked counts the segment.  The row is unknown, and its why
# says segments near it went unread, not that it came in on another
# interface, where this host's firewall's rejects come back.
test_unread_rst_not_blamed_on_another_interface() {
	resets_lab
	start_server
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	bg lab_forger --ttl 62 --count 1 --jump 0 --exts 5 >"$WS_TMP/inj" 2>&1
	wait_file "$WS_TMP/inj"
	LAB_TARGET=$LAB_S_IP6 lab_client "send:stream,drain:4" --timeout 6 >"$WS_TMP/client"
	assert_match "$(cat "$WS_TMP/client")" reset "the forgery was accepted"
	ws_stop
	assert_ge "$(jfield "$(grep health_summary "$WS_TMP/out")" ipv6_ext_unwalked)" 1 "segments not walked"
	assert_eq "$(rsts "$WS_TMP/out" rx verdict kernel)" "unknown	accepted" "verdict"
	assert_match "$(rsts "$WS_TMP/out" rx why)" "^evidence_headers_unread: tcp_receive_reset fired" "why"
}

# Refused connects: an RST that answers our SYN comes from the peer or
# from a device before it.  The client's AttemptFails counts the connects
# the kernel saw refused; the refusing side's OutRsts, the RSTs it sent.

# wait_rsts OUT N: the collector decided N received RSTs (bounded wait).
wait_rsts() {
	wait_until 10 at_least "$2" rx_verdicts "$1" ||
		fail "wirescope decided $(rx_verdicts "$1") of $2 RSTs"
}

rx_verdicts() { rsts "$1" rx verdict | wc -l; } # OUT

# refuse_run ADDR... : one connect to each ADDR, all refused; wirescope
# has decided each RST when it returns.
refuse_run() {
	refuse_connects "$@"
	ws_stop
}

# refuse_connects ADDR...: refuse_run without the stop.
refuse_connects() {
	local a f0 n=0
	f0=$(lab_tcp_snmp AttemptFails)
	for a in "$@"; do
		assert_eq "$(lab_connects "$a")" 1 "connect to $a refused"
		n=$((n + 1))
	done
	assert_eq "$(($(lab_tcp_snmp AttemptFails) - f0))" "$n" "AttemptFails"
	wait_rsts "${WS_TMP_OUT:-$WS_TMP/out}" "$n"
}

# A peer on this link with nothing listening: 0 hops is the peer, without
# probes (r1's own addresses, IPv4 and IPv6).
test_refused_on_link_peer() {
	resets_lab
	local o0
	o0=$(lab_tcp_snmp OutRsts r1)
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	refuse_run "$LAB_R1_IP" 2001:db8:0::1
	assert_eq "$(($(lab_tcp_snmp OutRsts r1) - o0))" 2 "r1 sent the RSTs (OutRsts)"
	assert_eq "$(rsts "$WS_TMP/out" rx saddr refused verdict confidence hops | sort)" \
		"198.18.0.1	True	peer_no_socket	high	0
2001:db8::1	True	peer_no_socket	high	0" "verdicts"
	assert_match "$(summary_of "$WS_TMP/out")" 'nothing listens on 198.18.0.1 port 5001' "advice"
}

# The server, 2 routers away, has no listener: --locate's echo reply puts
# the peer at the RST's distance.  Every RST the server sent is either the
# connect's or a probe's, and the probes' are not counted as resets.
test_refused_routed_peer_locate() {
	resets_lab
	local o0 probes
	o0=$(lab_tcp_snmp OutRsts s)
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_connects "$LAB_S_IP" "$LAB_S_IP6"
	# The probes' last RSTs may still be on the way when the records are out.
	wait_steady lab_tcp_snmp OutRsts s
	ws_stop
	assert_eq "$(rsts "$WS_TMP/out" rx saddr verdict confidence hops peer_hops | sort)" \
		"198.18.2.2	peer_no_socket	high	2	2
2001:db8:2::2	peer_no_socket	high	2	2" "verdicts"
	probes=$(summary_of "$WS_TMP/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["locate_probe_resets"])')
	assert_ge "$probes" 1 "RSTs to probes"
	assert_eq "$(($(lab_tcp_snmp OutRsts s) - o0))" "$((2 + probes))" "the server's OutRsts: 2 connects + the probes"
	assert_eq "$(summary_of "$WS_TMP/out" | grep -o '"peer_no_socket":[0-9]*')" '"peer_no_socket":2' "resets counted"
}

# --locate's stop runs (up to 3, about 1 s each) hold the summary: one
# line on stderr says so, and a second Ctrl-C skips the runs not started
# and cuts short the one under way (its wait polls the signalfd), so
# wirescope exits without waiting out a probe second.  The server drops
# its echo replies: no run completes before its second, so the Ctrl-C,
# sent within ~50 ms of the line, lands in a run ("probes cut short").
# Four ports, four runs, refused within the 1 s settle time: most are left
# for the stop.  The exit bound stays 2 s: it includes the teardown, which
# takes seconds under TCG.
test_locate_stop_second_sigint() {
	resets_lab
	local p t0
	nft_chain "$LAB_S" wsnoecho output "icmp type echo-reply drop"
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	for p in 5001 5002 5003 5004; do
		assert_eq "$(LAB_PORT=$p lab_connects "$LAB_S_IP")" 1 "connect to port $p refused"
	done
	kill -INT "$WS_PID"
	wait_until 5 grep -q 'probing for up to 3 s before the summary' "$WS_TMP/out.err" ||
		fail "no line says the stop waits: $(cat "$WS_TMP/out.err")"
	t0=${EPOCHREALTIME/./}
	kill -INT "$WS_PID"
	wait_exit "$WS_PID" 10
	assert_eq "$EXIT_RC" 0 "exit code"
	# Seconds, as it was measured in whole ones: under 3.
	assert_le "$(( (${EPOCHREALTIME/./} - t0) / 1000 ))" 2999 "ms from the second SIGINT to the exit"
	assert_match "$(summary_of "$WS_TMP/out")" 'stopped by a second signal' "why not probed"
	assert_match "$(summary_of "$WS_TMP/out")" 'probes cut short' "the run under way ended early"
}

# Without --locate a routed peer's distance is unknown: unknown, and the
# advice is to run with --locate (not to start wirescope earlier).
test_refused_routed_without_locate() {
	resets_lab
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	refuse_run "$LAB_S_IP"
	one_rx "$WS_TMP/out" unknown
	assert_eq "$(rsts "$WS_TMP/out" rx refused confidence hops)" "True	low	2" "evidence"
	assert_match "$(rsts "$WS_TMP/out" rx why)" "--locate" "why"
	assert_match "$(summary_of "$WS_TMP/out")" 'run with --locate' "advice"
	assert_eq "$(summary_of "$WS_TMP/out" | grep -c 'before the flows go idle')" 0 "no baseline advice"
}

# r2 rejects SYNs to the port with a TCP reset while the server listens:
# a middlebox at hop 2, named by its time exceeded; the echo reply puts the
# server one hop farther.  Nothing reached the server.
test_refused_firewall_locate() {
	resets_lab
	start_server
	lab_router_refuse r2
	local p0
	p0=$(lab_tcp_snmp PassiveOpens s)
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_run "$LAB_S_IP" "$LAB_S_IP6"
	assert_eq "$(($(lab_tcp_snmp PassiveOpens s) - p0))" 0 "the server accepted nothing"
	assert_ge "$(lab_exec r2 nft list table inet lab_refuse | nft_packets)" 2 "r2's reject rule fired"
	assert_eq "$(rsts "$WS_TMP/out" rx saddr verdict hops hop hops_before_peer hop_addr | sort)" \
		"198.18.2.2	middlebox	1	2	1	$LAB_R2_IP
2001:db8:2::2	middlebox	1	2	1	2001:db8:1::2" "verdicts"
	assert_match "$(summary_of "$WS_TMP/out")" "a firewall at hop 2 \\($LAB_R2_IP\\) rejects connections to port $LAB_PORT" "advice"
}

# The same firewall also drops echo requests: r2 answered a probe with time
# exceeded and reset the next one it forwarded, so it is the middlebox
# (IPv4 and IPv6: the probes' RSTs are read on raw sockets of both).
test_refused_firewall_no_echo_locate() {
	resets_lab
	lab_router_refuse r2 noecho
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_run "$LAB_S_IP" "$LAB_S_IP6"
	assert_eq "$(rsts "$WS_TMP/out" rx verdict hop hops_before_peer hop_addr | sort)" \
		"middlebox	2	-	$LAB_R2_IP
middlebox	2	-	2001:db8:1::2" "hop"
	assert_eq "$(rsts "$WS_TMP/out" rx why | grep -c 'time exceeded')" 2 "why"
}

# r2 resets the first SYN from each source, in prerouting (before the TTL
# is checked), and lets its repeats through for 300 ms: a "reset the first
# SYN" anti-spoofing check.  It drops echo requests too.
lab_r2_syn_auth() {
	lab_exec r2 nft -f - <<EOF
table inet lab_syn_auth {
	set auth4 { type ipv4_addr; flags dynamic, timeout; timeout 300ms; }
	set auth6 { type ipv6_addr; flags dynamic, timeout; timeout 300ms; }
	chain prerouting {
		type filter hook prerouting priority 0; policy accept;
		icmp type echo-request drop
		icmpv6 type echo-request drop
		tcp dport $LAB_PORT tcp flags syn ip saddr != @auth4 update @auth4 { ip saddr } counter reject with tcp reset
		tcp dport $LAB_PORT tcp flags syn ip6 saddr != @auth6 update @auth6 { ip6 saddr } counter reject with tcp reset
	}
}
EOF
}

# The connect's SYN meets r2's check (RST from 1 hop).  The probes come a
# second later: at hop 2 the first is reset, the second, let through,
# expires on r2 (time exceeded); at hop 3 the server, with nothing
# listening, resets both.  A time exceeded and an RST at one hop
# contradict each other: unknown, low, the why says so (it was
# peer_no_socket medium, "the probes end where the RST came from").
test_refused_syn_auth_locate() {
	resets_lab
	lab_r2_syn_auth
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_run "$LAB_S_IP" "$LAB_S_IP6"
	assert_eq "$(lab_exec r2 nft list table inet lab_syn_auth | nft_packets | paste -sd' ')" \
		"2 2" "r2 reset each connect's SYN and one probe"
	assert_eq "$(rsts "$WS_TMP/out" rx saddr verdict confidence hops hop | sort)" \
		"198.18.2.2	unknown	low	1	-
2001:db8:2::2	unknown	low	1	-" "verdicts"
	assert_match "$(rsts "$WS_TMP/out" rx why | sort | paste -sd';')" \
		"probes at hop 2 got both a time exceeded from $LAB_R2_IP and an RST.*;probes at hop 2 got both a time exceeded from 2001:db8:1::2 and an RST" "why"
	assert_match "$(summary_of "$WS_TMP/out")" "could not tell" "advice"
}

# The gateway itself refuses: the RST comes from this link while the peer
# is routed, so it is the gateway (medium without probes: the address
# could be the gateway's own); --locate's echo from 2 hops confirms it.
test_refused_by_gateway() {
	resets_lab
	lab_router_refuse r1
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	refuse_run "$LAB_S_IP"
	one_rx "$WS_TMP/out" middlebox
	assert_eq "$(rsts "$WS_TMP/out" rx confidence hops hop hop_addr)" "medium	0	1	$LAB_R1_IP" "hop"
	ws_start "$LAB_C" "$WS_TMP/out2" resets -i c0 -j --locate
	WS_TMP_OUT=$WS_TMP/out2 refuse_run "$LAB_S_IP6"
	assert_eq "$(rsts "$WS_TMP/out2" rx verdict confidence hop hops_before_peer hop_addr)" \
		"middlebox	high	1	2	2001:db8::1" "with --locate"
}

# The same with the IPv6 default route via r1's link-local address (as a
# router advertisement leaves it): the hop address carries its interface,
# as every link-local address wirescope prints, so it can be reached.
test_refused_by_link_local_gateway() {
	resets_lab
	lab_router_refuse r1
	ip -n "$LAB_C" -6 route replace default via fe80::1 dev c0
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j
	refuse_run "$LAB_S_IP6"
	assert_eq "$(rsts "$WS_TMP/out" rx verdict hop hop_addr)" \
		"middlebox	1	fe80::1%c0" "the gateway, with its interface"
}

# An address of the gateway itself, reached through it, with nothing
# listening: 0 hops and routed, but --locate's echo comes from 0 hops too,
# so the peer refused (not a firewall).
test_refused_gateway_own_address_locate() {
	resets_lab
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_run 198.18.1.1 2001:db8:1::1
	assert_eq "$(rsts "$WS_TMP/out" rx saddr verdict confidence hops | sort)" \
		"198.18.1.1	peer_no_socket	high	0
2001:db8:1::1	peer_no_socket	high	0" "verdicts"
}

# r2 forwards the port on its own address to the server (DNAT), where
# nothing listens: the address answers echo from 1 hop, the RST comes
# from 2.  That is not a forgery: unknown, and the why says NAT.
test_refused_behind_dnat_locate() {
	resets_lab
	lab_exec r2 nft add table ip lab_dnat
	lab_exec r2 nft add chain ip lab_dnat pre '{ type nat hook prerouting priority -100; }'
	lab_exec r2 nft add rule ip lab_dnat pre ip daddr "$LAB_R2_IP" tcp dport "$LAB_PORT" dnat to "$LAB_S_IP"
	ws_start "$LAB_C" "$WS_TMP/out" resets -i c0 -j --locate
	refuse_run "$LAB_R2_IP"
	one_rx "$WS_TMP/out" unknown
	assert_eq "$(rsts "$WS_TMP/out" rx hops refused)" "2	True" "evidence"
	assert_match "$(rsts "$WS_TMP/out" rx why)" "NAT" "why"
	assert_match "$(summary_of "$WS_TMP/out")" "could not tell" "advice"
}

# --locate without CAP_NET_RAW (the other capabilities kept): one line and
# exit 4 before anything attaches, not a run whose probes all fail.
test_locate_without_net_raw() {
	local cmd
	pair_lab
	for cmd in resets diag; do
		expect_error 4 "--locate needs raw sockets .*CAP_NET_RAW" \
			ip netns exec "$A" setpriv --inh-caps=-net_raw \
			--bounding-set=-net_raw "$WS" $cmd -i a0 --locate -d 1
	done
	assert_eq "$(attached_progs "$A")" "" "programs left"
}

# -m native on lo, asked for: one line (the attach error), exit 7, not a
# warning that lo goes unwatched as well.
test_native_on_lo_one_line() {
	pair_lab
	expect_error 7 "lo: cannot attach XDP" ip netns exec "$A" "$WS" resets -i lo -m native -d 1
	assert_eq "$(attached_progs "$A")" "" "programs left"
}
