# SPDX-License-Identifier: GPL-2.0
# wirescope handshakes and accept, end to end: real sockets in two
# namespaces; the kernel's own counters (nstat, sock_diag) are the truth.
#
#   S (server, s0: 198.18.6.1, 2001:db8:6::1) <== veth ==> C (client, c0)

PY="$PWD/tests/e2e/py"

hs_lab() {
	# Not S=$(ns s): a subshell would not register the namespace for cleanup.
	ns s >/dev/null
	ns c >/dev/null
	S=$WS_NS_PREFIX-s
	C=$WS_NS_PREFIX-c
	veth "$S" s0 "$C" c0
	ip -n "$S" addr add 198.18.6.1/24 dev s0
	ip -n "$C" addr add 198.18.6.2/24 dev c0
	ip -n "$S" addr add 2001:db8:6::1/64 dev s0 nodad
	ip -n "$C" addr add 2001:db8:6::2/64 dev c0 nodad
}

# server NS SECONDS SPEC...: start hs_server.py, wait until it listens.
server() {
	local n=$1 secs=$2 ready
	ready=$(fresh_path srv)
	shift 2
	bg ip netns exec "$n" python3 "$PY/hs_server.py" "$ready" "$secs" "$@"
	wait_file "$ready" 10
}

summary() { # OUT
	grep '"type":"summary"' "$1"
}

test_churn_counts_match_nstat() {
	hs_lab
	server "$S" 300 198.18.6.1,8080,accept 2001:db8:6::1,8080,accept
	ws_start "$S" "$WS_TMP/srv" handshakes -i s0 -j
	local srv_pid=$WS_PID
	ws_start "$C" "$WS_TMP/cli" handshakes -i c0 -j
	local cli_pid=$WS_PID
	local p0 a0 p1 a1 ok4 ok6 line
	p0=$(nstat_abs "$S" TcpPassiveOpens)
	a0=$(nstat_abs "$C" TcpActiveOpens)
	ok4=$(ip netns exec "$C" python3 "$PY/hs_client.py" churn 198.18.6.1 8080 4800)
	ok6=$(ip netns exec "$C" python3 "$PY/hs_client.py" churn 2001:db8:6::1 8080 200)
	assert_eq "$((ok4 + ok6))" 5000 "connections completed"
	wait_stable "$S" TcpPassiveOpens
	p1=$(nstat_abs "$S" TcpPassiveOpens)
	a1=$(nstat_abs "$C" TcpActiveOpens)
	assert_passive_opens "$((p1 - p0))" 5000 "server PassiveOpens delta"
	WS_PID=$srv_pid ws_stop
	WS_PID=$cli_pid ws_stop
	line=$(summary "$WS_TMP/srv")
	log "server: $line"
	assert_eq "$(jfield "$line" server_handshakes)" 5000 "server_handshakes"
	assert_eq "$(jfield "$line" syn_received)" 5000 "syn_received"
	assert_eq "$(jfield "$line" synack_sent)" 5000 "synack_sent"
	assert_eq "$(jfield "$line" syn_unanswered)" 0 "syn_unanswered"
	assert_eq "$(jfield "$line" syn_retransmits_received)" 0 "syn_retransmits_received"
	assert_eq "$(jfield "$line" client_handshakes)" 0 "client side on the server"
	assert_eq "$(jfield "$line" latency.server_synack.count)" 5000 "server leg samples"
	assert_eq "$(jfield "$line" latency.client_rtt.count)" 5000 "rtt leg samples"
	assert_eq "$(jfield "$line" flows_open)" 0 "server flow entries left"
	line=$(summary "$WS_TMP/cli")
	log "client: $line"
	assert_eq "$(jfield "$line" client_handshakes)" "$((a1 - a0))" "client_handshakes"
	assert_eq "$(jfield "$line" syn_sent)" "$((a1 - a0))" "syn_sent"
	assert_eq "$(jfield "$line" server_handshakes)" 0 "server side on the client"
	assert_eq "$(jfield "$line" latency.connect.count)" 5000 "connect leg samples"
	assert_eq "$(jfield "$line" flows_open)" 0 "client flow entries left"
	grep -q '"type":"health_summary"' "$WS_TMP/srv" || fail "no health summary"
	assert_eq "$(jfield "$(grep health_summary "$WS_TMP/srv")" hs_no_flow)" 0 "server hs_no_flow"
}

# wait_stable NS COUNTER: until COUNTER stays put for 0.5 s (max 10 s).
wait_stable() {
	wait_steady nstat_abs "$1" "$2"
}

# slow_synacks PORT: pace what the server sends from PORT (IPv4) at one
# packet per 12 ms.  40 SYNs then all arrive, and are answered, before the
# first ACKs fill the queue: the drops happen at the ACK site, and past the
# SYN queue's 8 (= backlog) entries in syncookie mode.
slow_synacks() {
	local t="ip netns exec $S tc"
	$t qdisc add dev s0 root handle 1: htb default 1
	$t class add dev s0 parent 1: classid 1:1 htb rate 1gbit
	$t class add dev s0 parent 1: classid 1:3 htb rate 50kbit ceil 50kbit burst 200 cburst 200
	$t filter add dev s0 parent 1: protocol ip u32 match ip sport "$1" 0xffff flowid 1:3
}

# kfree_skb names a listen overflow's socket: 6.11's rx_sk, 6.15's reason.
has_kfree_overflows() {
	kernel_btf_has SKB_DROP_REASON_TCP_LISTEN_OVERFLOW
}

# assert_kfree LINE MIN [MAX]: KFREE (kfree_overflows) is a count of at
# least MIN (and at most MAX: the ACK site's drops are some of the
# kernel's ListenOverflows) where the kernel can count it and the program
# runs; else it is unknown (null), never a 0 nothing counted.
assert_kfree() {
	if has_kfree_overflows && [ -z "${WIRESCOPE_TEST_NO_TP:-}" ]; then
		assert_ge "$(jfield "$1" kfree_overflows)" "$2" "ACK-site drops (kfree_skb)"
		[ -z "${3:-}" ] ||
			assert_le "$(jfield "$1" kfree_overflows)" "$3" "ACK-site drops within ListenOverflows"
	else
		assert_eq "$(jfield "$1" kfree_overflows)" None "KFREE unknown where not counted"
	fi
}

listener() { # OUT PORT: the listener's summary record
	grep '"type":"summary"' "$1" | grep "\"port\":$2,"
}

# overflow_scenario SYSCTL=VALUE STUCKMODE CLIENTMODE
overflow_scenario() {
	local sysctl=$1 mode=$2 cmode=$3 o0 o1 k0 line got
	hs_lab
	ip netns exec "$S" sysctl -qw "net.ipv4.$sysctl"
	[ "${SHAPE:-0}" = 1 ] && slow_synacks 9000
	local addr=${ADDR:-198.18.6.1}
	server "$S" 60 "$addr,9000,$mode,8" 198.18.6.1,8080,accept
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j 0.5
	o0=$(nstat_abs "$S" TcpExtListenOverflows)
	k0=$(nstat_abs "$S" TcpExtSyncookiesSent)
	ip netns exec "$C" python3 "$PY/hs_client.py" "$cmode" "$addr" 9000 "${N:-40}" 2.5 >/dev/null &
	local cpid=$!
	ip netns exec "$C" python3 "$PY/hs_client.py" churn 198.18.6.1 8080 200 >"$WS_TMP/healthy"
	wait $cpid
	# The orphans' overflows could land after wirescope's last sample.
	silence_orphans "$C" 9000
	wait_stable "$S" TcpExtListenOverflows
	ws_stop
	o1=$(nstat_abs "$S" TcpExtListenOverflows)
	COOKIES=$(($(nstat_abs "$S" TcpExtSyncookiesSent) - k0))
	assert_eq "$(cat "$WS_TMP/healthy")" 200 "healthy listener connections"
	line=$(listener "$WS_TMP/out" 8080)
	log "healthy: $line"
	assert_eq "$(jfield "$line" verdict)" ok "healthy listener verdict"
	assert_eq "$(jfield "$line" overflows)" 0 "healthy listener overflows"
	line=$(listener "$WS_TMP/out" 9000)
	log "stuck: $line"
	log "host: $(grep host_summary "$WS_TMP/out")"
	assert_eq "$(jfield "$line" backlog)" 8 "stuck listener backlog"
	assert_eq "$(jfield "$line" limit)" backlog "stuck listener limit"
	STUCK=$line
	OVERFLOWS=$((o1 - o0))
}

test_overflow_syncookies0() {
	overflow_scenario tcp_syncookies=0 stuck burst
	assert_ge "$OVERFLOWS" 20 "ListenOverflows delta"
	assert_eq "$(jfield "$STUCK" verdict)" overflowing "stuck listener verdict"
	assert_within_pct "$(jfield "$STUCK" overflows)" "$OVERFLOWS" 5 "stuck listener overflows"
	assert_eq "$(jfield "$STUCK" queue_max)" 9 "stuck listener queue_max"
	assert_ge "$(jfield "$STUCK" syn_site_drops)" 1 "wire SYN-site drops"
	assert_kfree "$STUCK" 0 "$OVERFLOWS"
}

# Where KFREE is not counted (simulated: the kfree_skb program off, as on
# every kernel before 6.15) accept says it is unknown: null in -j, "-" in
# the text, never 0.
test_overflow_kfree_unknown_not_zero() {
	export WIRESCOPE_TEST_NO_TP=kfree_skb
	SHAPE=1 overflow_scenario tcp_syncookies=1 stuck burst
	assert_kfree "$STUCK" 1
	assert_eq "$(jfield "$STUCK" verdict)" overflowing "stuck listener verdict"
	# KFREE is column 8 of each listener row (interval and summary).
	ip netns exec "$S" "$WS" accept -i s0 0.2 1 >"$WS_TMP/text" 2>/dev/null
	awk '$1 ~ /^198\.18\.6\.1:[0-9]+$/ { print $8 }' "$WS_TMP/text" >"$WS_TMP/kfree"
	log "$(cat "$WS_TMP/text")"
	assert_ge "$(wc -l <"$WS_TMP/kfree")" 2 "listener rows"
	assert_eq "$(sort -u "$WS_TMP/kfree")" - "KFREE column"
}

test_overflow_syncookies1() {
	SHAPE=1 overflow_scenario tcp_syncookies=1 stuck burst
	assert_kfree "$STUCK" 1
	assert_ge "$COOKIES" 1 "SyncookiesSent delta"
	assert_eq "$(jfield "$STUCK" cookie_synacks)" "$COOKIES" "cookie SYN-ACKs seen on the wire"
	assert_ge "$(jfield "$STUCK" cookie_drops)" 1 "cookie-mode drops seen on the wire"
	assert_ge "$OVERFLOWS" 20 "ListenOverflows delta"
	assert_eq "$(jfield "$STUCK" verdict)" overflowing "stuck listener verdict"
	assert_within_pct "$(jfield "$STUCK" overflows)" "$OVERFLOWS" 5 "stuck listener overflows"
}

test_overflow_abort_on_overflow() {
	SHAPE=1 overflow_scenario tcp_abort_on_overflow=1 stuck burst
	assert_ge "$(jfield "$STUCK" rst_after_ack)" 1 "RSTs answering final ACKs"
	assert_ge "$OVERFLOWS" 20 "ListenOverflows delta"
	assert_eq "$(jfield "$STUCK" verdict)" overflowing "stuck listener verdict"
	assert_within_pct "$(jfield "$STUCK" overflows)" "$OVERFLOWS" 5 "stuck listener overflows"
}

# IPv6, and a deferred-accept listener that really overflows: the bare ACKs
# wait, then 40 clients send data at once and the children they create
# overflow the queue at the ACK site (kfree_skb TCP_LISTEN_OVERFLOW, per
# socket).  sock_diag, kfree_skb and the wire must agree on the socket.
test_overflow_ipv6_deferred_ack_site() {
	ADDR=2001:db8:6::1 overflow_scenario tcp_syncookies=1 defer burst
	assert_ge "$OVERFLOWS" 20 "ListenOverflows delta"
	assert_eq "$(jfield "$STUCK" addr)" 2001:db8:6::1 "listener address"
	assert_eq "$(jfield "$STUCK" defer_accept)" True "defer_accept"
	assert_kfree "$STUCK" 1
	assert_eq "$(jfield "$STUCK" verdict)" overflowing "stuck listener verdict"
	assert_within_pct "$(jfield "$STUCK" overflows)" "$OVERFLOWS" 5 "stuck listener overflows"
}

test_overflow_defer_accept_is_not() {
	N=6 overflow_scenario tcp_syncookies=1 defer idle
	assert_eq "$(jfield "$STUCK" verdict)" deferred-accept "deferred listener verdict"
	assert_eq "$OVERFLOWS" 0 "ListenOverflows delta"
	# The deferred bare ACKs are in the socket's drop counter (ss -m "d"):
	# read naively, they would look like overflows.
	assert_eq "$(jfield "$STUCK" sk_drops)" 6 "sk_drops (deferred ACKs)"
	assert_eq "$(jfield "$STUCK" overflows)" 0 "deferred listener overflows"
}

# bucket_count JSONLINE LEG LO HI: samples of LEG in log2 buckets LO..HI.
bucket_count() {
	python3 -c 'import json,sys
h=json.loads(sys.argv[1])["latency"][sys.argv[2]]["log2_usecs"]
print(sum(h[int(sys.argv[3]):int(sys.argv[4])+1]))' "$@"
}

# An application slow to accept: SYN->SYN-ACK is answered by the kernel, so
# the server leg stays in microseconds; the delay shows in the client's
# connect latency, quantized by the SYN retransmission timer.  With linear
# SYN timeouts (1 s apart; the default since Linux 6.7, set here) the second
# client's SYN is dropped at 0, 1 and 2 s and answered at 3 s; before 6.7
# (timeouts doubling: 1 s, then 2 s) it is dropped at 0 and 1 s and
# answered at 3 s.
test_latency_slow_accept() {
	hs_lab
	local resent=3
	if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
		ip netns exec "$C" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=4
	else
		resent=2
	fi
	server "$S" 30 198.18.6.1,7000,slow,0,2500
	ws_start "$S" "$WS_TMP/srv" handshakes -i s0 -j --hist
	local srv_pid=$WS_PID
	ws_start "$C" "$WS_TMP/cli" handshakes -i c0 -j --hist
	local cli_pid=$WS_PID line
	assert_eq "$(ip netns exec "$C" python3 "$PY/hs_client.py" churn 198.18.6.1 7000 2)" 2 "connections"
	WS_PID=$srv_pid ws_stop
	WS_PID=$cli_pid ws_stop
	line=$(summary "$WS_TMP/cli")
	log "client: $line"
	assert_eq "$(jfield "$line" latency.connect.count)" 2 "connect samples"
	# 2^21 us = 2.1 s <= 3 s < 2^22 us: bucket 21.
	assert_eq "$(bucket_count "$line" connect 21 21)" 1 "slow connect in bucket 21"
	# Under 16 ms, far from the 1 s SYN timer: under TCG (the kernel
	# matrix) a connect took 1-16 ms, the kernel's SYN-ACK up to 8 ms.
	assert_eq "$(bucket_count "$line" connect 0 13)" 1 "fast connect under 16 ms"
	assert_eq "$(jfield "$line" syn_retransmits_sent)" "$resent" "client SYN retransmits"
	line=$(summary "$WS_TMP/srv")
	log "server: $line"
	assert_eq "$(jfield "$line" latency.server_synack.count)" 2 "server leg samples"
	assert_eq "$(bucket_count "$line" server_synack 0 13)" 2 "server leg under 16 ms"
	assert_eq "$(jfield "$line" syn_unanswered)" "$resent" "unanswered SYNs"
	assert_eq "$(jfield "$line" syn_retransmits_received)" "$resent" "SYN retransmits received"
	assert_eq "$(jfield "$line" server_handshakes)" 2 "server handshakes"
}

test_cli_help_errors_and_port_filter() {
	local out
	out=$("$WS" handshakes --help)
	assert_match "$out" 'Usage: wirescope handshakes -i IFACE' "handshakes --help"
	assert_match "$out" 'Examples:' "handshakes examples"
	assert_match "$out" 'Exit status:' "handshakes exit codes"
	out=$("$WS" accept --help)
	assert_match "$out" 'Usage: wirescope accept' "accept --help"
	assert_match "$out" 'Examples:' "accept examples"
	assert_match "$("$WS" --help)" 'accept +accept queues' "command list"
	hs_lab
	local x="ip netns exec $S $WS"
	expect_error 3 "at least one -i IFACE" $x handshakes
	expect_error 3 "bad port '0'" $x handshakes -i s0 -p 0
	expect_error 3 "bad --max-flows '5'" $x handshakes -i s0 --max-flows 5
	expect_error 3 "bad --max-ports 'x'" $x accept --max-ports x
	expect_error 5 "no such interface" $x accept -i nope0
	server "$S" 20 198.18.6.1,8080,accept 198.18.6.1,9000,stuck,8
	$x accept -p 8080 -j 0.2 1 >"$WS_TMP/out"
	assert_eq "$(grep -c '"type":"summary"' "$WS_TMP/out")" 1 "listeners with -p 8080"
	assert_match "$(grep '"type":"summary"' "$WS_TMP/out")" '"port":8080,.*"comm":"python3"' "the 8080 listener and its owner"
	$x accept -j 0.2 1 >"$WS_TMP/out"
	assert_eq "$(grep -c '"type":"summary"' "$WS_TMP/out")" 2 "listeners without -p"
	# No -i: nothing watches the wire, so its columns are unknown, not 0.
	assert_eq "$(jfield "$(grep -m1 '"type":"summary"' "$WS_TMP/out")" syn_site_drops)" None "wire without -i"
	# A port nothing listens on: one line, not an empty table alone.
	$x accept -p 9999 0.2 1 >"$WS_TMP/out" 2>"$WS_TMP/err" || fail "accept -p 9999: exit $?"
	assert_eq "$(grep -c 'nothing listens on port 9999' "$WS_TMP/err")" 1 "port nothing listens on"
}

# A flow table too small for the handshakes in flight loses state; the
# loss is counted (flows_evicted), never silent: every handshake is either
# counted or accounted for as evicted.
test_small_flow_table_counts_losses() {
	hs_lab
	slow_synacks 8080
	server "$S" 30 198.18.6.1,8080,accept
	ws_start "$S" "$WS_TMP/out" handshakes -i s0 -j --max-flows 16
	ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 8080 60 1 >/dev/null
	ws_stop
	local line health
	line=$(summary "$WS_TMP/out")
	health=$(grep '"type":"health_summary"' "$WS_TMP/out")
	log "summary: $line"
	log "health: $health"
	assert_eq "$(jfield "$line" syn_received)" 60 "syn_received"
	assert_ge "$(jfield "$line" flows_evicted)" 1 "flows_evicted"
	assert_ge "$(( $(jfield "$line" server_handshakes) + $(jfield "$line" flows_evicted) ))" 60 "handshakes counted or evicted"
	assert_le "$(jfield "$line" flows_open)" 16 "flows_open within --max-flows"
}

# accept alone keeps the handshake table as handshakes does: 60 connects
# into 16 entries evict some, and its host records say how many (the wire
# columns are then lower bounds).  Before, accept never counted them.
test_accept_counts_flows_evicted() {
	hs_lab
	slow_synacks 8080
	server "$S" 30 198.18.6.1,8080,accept
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j -p 8080 --max-flows 16
	ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 8080 60 1 >/dev/null
	ws_stop
	local host
	host=$(grep '"type":"host_summary"' "$WS_TMP/out")
	log "host: $host"
	assert_ge "$(jfield "$host" flows_evicted)" 1 "flows_evicted"
	assert_ge "$(grep -c '"type":"host_interval"' "$WS_TMP/out")" 1 "host_interval records"
	assert_eq "$(grep '"type":"host_interval"' "$WS_TMP/out" | grep -vc '"flows_evicted":')" 0 "every host_interval says flows_evicted"
}

# nginx_wrk SYNCOOKIES: a real nginx (1 worker, worker_connections 16,
# listen backlog=8) under wrk -t2 -c200 for 3 s, with `wirescope accept` on
# s0.  Accept-queue overflows are ListenOverflows, not every listen drop:
# without syncookies the SYN queue (8) overflows too, and those drops
# (TCPReqQFullDrop, also in ListenDrops and sk_drops) are syn_queue_drops.
nginx_wrk() {
	command -v nginx >/dev/null || skip "nginx not installed (Debian nginx-light)"
	command -v wrk >/dev/null || skip "wrk not installed (Debian wrk)"
	local d=$WS_TMP/nginx o0 d0 q0 line try
	hs_lab
	ip netns exec "$S" sysctl -qw net.ipv4.tcp_syncookies="$1"
	ip netns exec "$S" sysctl -qw net.ipv4.tcp_max_syn_backlog=128
	ip netns exec "$S" sysctl -qw net.core.somaxconn=4096
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<-NGX
	daemon off;
	master_process on;
	user root;
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/logs/error.log;
	events { worker_connections 16; }
	http {
		access_log off;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		server {
			listen 198.18.6.1:80 backlog=8;
			location / { return 200 "ok\n"; }
		}
	}
	NGX
	bg timeout 40 ip netns exec "$S" nginx -p "$d" -c "$d/nginx.conf"
	wait_until 5 listens "$S" 80 || fail "nginx did not listen: $(cat "$d/logs/error.log")"
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j 1
	o0=$(nstat_abs "$S" TcpExtListenOverflows)
	d0=$(nstat_abs "$S" TcpExtListenDrops)
	q0=$(nstat_abs "$S" TcpExtTCPReqQFullDrop)
	# Without syncookies the SYN queue fills in most runs of the load, not
	# every one (4 of 5 here: whether the full accept queue drops a
	# handshake at its ACK, leaving the request in the SYN queue, or at its
	# SYN is timing): up to 3 runs, until TCPReqQFullDrop moves.
	for ((try = 1; try <= 3; try++)); do
		timeout 20 ip netns exec "$C" wrk -t2 -c200 -d3s --timeout 2s http://198.18.6.1:80/ >"$WS_TMP/wrk" 2>&1 || true
		[ "$1" = 0 ] && [ "$(nstat_abs "$S" TcpExtTCPReqQFullDrop)" = "$q0" ] || break
		log "wrk run $try of 3: the SYN queue never filled"
	done
	# wrk's connections the server never accepted linger on the client in
	# FIN-WAIT-1, and each FIN resent (backing off past wait_stable's
	# 0.5 s) overflows again at the cookie check, maybe after our last
	# sample: stop them at the client, so both counts cover the same drops.
	nft_chain "$C" wsquiet output "tcp dport 80 drop"
	wait_stable "$S" TcpExtListenOverflows
	ws_stop
	OVERFLOWS=$(( $(nstat_abs "$S" TcpExtListenOverflows) - o0 ))
	LDROPS=$(( $(nstat_abs "$S" TcpExtListenDrops) - d0 ))
	REQQ=$(( $(nstat_abs "$S" TcpExtTCPReqQFullDrop) - q0 ))
	line=$(listener "$WS_TMP/out" 80)
	log "wrk: $(grep -E 'Requests/sec|Socket errors' "$WS_TMP/wrk" | tr '\n' ' ')"
	log "kernel: ListenOverflows +$OVERFLOWS ListenDrops +$LDROPS TCPReqQFullDrop +$REQQ"
	log "nginx: $line"
	assert_ge "$OVERFLOWS" 1 "ListenOverflows delta"
	assert_eq "$(jfield "$line" comm)" nginx "listener process"
	assert_eq "$(jfield "$line" backlog)" 8 "listener backlog"
	assert_eq "$(jfield "$line" attribution)" exact "attribution (the only listener)"
	assert_within_pct "$(jfield "$line" overflows)" "$OVERFLOWS" 5 "overflows vs ListenOverflows"
	assert_eq "$(jfield "$line" syn_queue_drops)" "$REQQ" "syn_queue_drops vs TCPReqQFullDrop"
	NGINX=$line
}

test_nginx_wrk_syncookies0() {
	nginx_wrk 0
	assert_ge "$REQQ" 1 "TCPReqQFullDrop delta (SYN queue full)"
	assert_ge "$(( LDROPS - OVERFLOWS ))" 1 "ListenDrops beyond ListenOverflows"
}

test_nginx_wrk_syncookies1() {
	nginx_wrk 1
	assert_eq "$REQQ" 0 "TCPReqQFullDrop delta (cookies instead)"
	assert_eq "$(jfield "$NGINX" syn_queue_drops)" 0 "syn_queue_drops"
}

# fill_queue PORT N: N connections to S's stuck listener on PORT, one at a
# time, then wait (bounded) until its accept queue holds them.
fill_queue() {
	assert_eq "$(ip netns exec "$C" python3 "$PY/hs_client.py" churn 198.18.6.1 "$1" "$2")" "$2" "connections filling :$1"
	wait_until 5 queue_holds "$1" "$2" ||
		fail "accept queue of :$1 holds '$(accept_queue "$1")', expected $2"
}

accept_queue() { ip netns exec "$S" ss -Hltn "sport = :$1" | awk '{print $2}'; } # PORT
queue_holds() { [ "$(accept_queue "$1")" = "$2" ]; } # PORT N

# A listener restarted on its address and port while accept runs keeps its
# row: one summary record with both sockets' overflows, within 5% of the
# namespace's ListenOverflows, not a closed row beside a new one.
test_overflow_listener_restarted() {
	local o0 o1 line round
	hs_lab
	ip netns exec "$S" sysctl -qw net.ipv4.tcp_syncookies=1
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j 0.5
	o0=$(nstat_abs "$S" TcpExtListenOverflows)
	for round in 1 2; do
		server "$S" 60 198.18.6.1,9000,stuck,8
		fill_queue 9000 9
		timeout 20 ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 9000 20 2.5 >/dev/null
		wait_stable "$S" TcpExtListenOverflows
		log "round $round: ListenOverflows +$(($(nstat_abs "$S" TcpExtListenOverflows) - o0))"
		kill "$BG_PID"
		wait "$BG_PID" 2>/dev/null || true
	done
	ws_stop
	o1=$(nstat_abs "$S" TcpExtListenOverflows)
	log "$(listener "$WS_TMP/out" 9000)"
	assert_eq "$(listener "$WS_TMP/out" 9000 | wc -l)" 1 "summary records of :9000"
	line=$(listener "$WS_TMP/out" 9000)
	assert_ge "$((o1 - o0))" 20 "ListenOverflows delta"
	assert_within_pct "$(jfield "$line" overflows)" "$((o1 - o0))" 5 "overflows of both sockets"
	assert_within_pct "$(jfield "$line" overflows)" "$(jfield "$line" sk_drops)" 5 "overflows vs both sockets' sk_drops"
}

# Two listeners overflow at once: within one sample the namespace's
# ListenOverflows cannot be told apart per socket, so it is apportioned by
# listen drops, and says so (a sample where only one listener dropped is
# exact).  With syncookies on, every drop here is at the SYN site, so each
# socket's sk_drops (ss -m "d") is its own ground truth.
test_overflow_two_listeners_apportioned() {
	local o0 o1 a b
	hs_lab
	ip netns exec "$S" sysctl -qw net.ipv4.tcp_syncookies=1
	server "$S" 60 198.18.6.1,9000,stuck,8 198.18.6.1,9001,stuck,4
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j 0.5
	o0=$(nstat_abs "$S" TcpExtListenOverflows)
	# Both accept queues full first (backlog + 1, one connect at a time):
	# every SYN of the bursts then meets a full queue and dies at the SYN
	# site.  Into a queue with room, a burst lets SYNs in whose final ACKs
	# then find it full: ACK-site drops, twice in sk_drops, and told apart
	# only through kfree_skb's rx_sk (6.11+).
	fill_queue 9000 9
	fill_queue 9001 5
	bg timeout 20 ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 9000 40 2.5 >/dev/null
	timeout 20 ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 9001 20 2.5 >/dev/null
	wait "$BG_PID" || true
	wait_stable "$S" TcpExtListenOverflows
	ws_stop
	o1=$(nstat_abs "$S" TcpExtListenOverflows)
	a=$(listener "$WS_TMP/out" 9000)
	b=$(listener "$WS_TMP/out" 9001)
	log "kernel: ListenOverflows +$((o1 - o0))"
	log "9000: $a"
	log "9001: $b"
	assert_ge "$((o1 - o0))" 20 "ListenOverflows delta"
	assert_match "$(jfield "$a" attribution)" '^(exact|apportioned)$' "9000 attribution"
	assert_match "$(jfield "$b" attribution)" '^(exact|apportioned)$' "9001 attribution"
	assert_kfree "$a" 0
	assert_kfree "$b" 0
	if has_kfree_overflows; then
		assert_eq "$(jfield "$a" kfree_overflows)$(jfield "$b" kfree_overflows)" 00 "no ACK-site drops"
	fi
	assert_ge "$(jfield "$a" overflows)" 1 "9000 overflows"
	assert_within_pct "$(jfield "$a" overflows)" "$(jfield "$a" sk_drops)" 5 "9000 overflows vs its sk_drops"
	assert_within_pct "$(jfield "$b" overflows)" "$(jfield "$b" sk_drops)" 5 "9001 overflows vs its sk_drops"
	assert_within_pct "$(( $(jfield "$a" overflows) + $(jfield "$b" overflows) ))" "$((o1 - o0))" 5 "sum of overflows vs ListenOverflows"
}

# The owner named is one that still holds the listener: a parent that
# forked its server and exited (nginx's old master after a binary upgrade)
# gives way to the child that kept the socket, as ss -p shows.
test_accept_owner_exits() {
	local dir=$WS_TMP/owner parent child line bgpid
	hs_lab
	mkdir -p "$dir"
	bg ip netns exec "$S" python3 -c '
import os, socket, sys, time
d = sys.argv[1]
s = socket.socket()
s.bind(("198.18.6.1", 9100))
s.listen(8)
if os.fork() == 0:
    open(d + "/child", "w").write(str(os.getpid()))
    for _ in range(300):
        if os.path.exists(d + "/stop"):
            break
        time.sleep(0.1)
    os._exit(0)
open(d + "/parent", "w").write(str(os.getpid()))
for _ in range(300):
    if os.path.exists(d + "/go"):
        break
    time.sleep(0.1)
' "$dir"
	bgpid=$BG_PID
	wait_file "$dir/parent"
	wait_file "$dir/child"
	parent=$(cat "$dir/parent")
	child=$(cat "$dir/child")
	WS_PIDS+=("$child")
	ws_start "$S" "$WS_TMP/out" accept -p 9100 -j 0.2
	wait_until 5 grep -q "\"pid\":$parent," "$WS_TMP/out" ||
		fail "the parent never named: $(cat "$WS_TMP/out")"
	touch "$dir/go"
	wait "$bgpid" || fail "the parent did not exit cleanly"
	wait_until 5 grep -q "\"type\":\"interval\".*\"pid\":$child," "$WS_TMP/out" ||
		fail "the child never named"
	ws_stop
	touch "$dir/stop"
	line=$(summary "$WS_TMP/out")
	log "parent $parent, child $child: $line"
	assert_eq "$(jfield "$line" pid)" "$child" "owner after the parent exited"
}

# SYNs the SYN queue dropped (syncookies off, the clients' SYN-ACKs lost for
# a while, so their handshakes sit in it) come again after it drained: the
# wire counts those resends in a later interval with no drop of its own.
# They are the SYN queue's, not an accept-queue overflow the kernel never
# counted (ListenOverflows +0): no interval may say "overflowing".
test_synq_resends_not_overflowing() {
	local o0 q0 o1 q1 late
	hs_lab
	ip netns exec "$S" sysctl -qw net.ipv4.tcp_syncookies=0
	server "$S" 60 198.18.6.1,9200,accept,8
	ws_start "$S" "$WS_TMP/out" accept -i s0 -j 0.5
	o0=$(nstat_abs "$S" TcpExtListenOverflows)
	q0=$(nstat_abs "$S" TcpExtTCPReqQFullDrop)
	nft_chain "$C" synack input 'tcp sport 9200 tcp flags & (syn | ack) == syn | ack drop'
	bg timeout 30 ip netns exec "$C" python3 "$PY/hs_client.py" burst 198.18.6.1 9200 20 8 >/dev/null
	wait_until 10 at_least "$((q0 + 8))" nstat_abs "$S" TcpExtTCPReqQFullDrop ||
		fail "no SYN-queue drops"
	ip netns exec "$C" nft delete table inet synack
	wait "$BG_PID" || true
	wait_stable "$S" TcpExtTCPReqQFullDrop
	ws_stop
	o1=$(nstat_abs "$S" TcpExtListenOverflows)
	q1=$(nstat_abs "$S" TcpExtTCPReqQFullDrop)
	late=$(grep '"type":"interval"' "$WS_TMP/out" | grep '"port":9200,' |
		grep -c '"sk_drops":0,.*"syn_site_drops":[1-9]' || true)
	log "ListenOverflows +$((o1 - o0)), TCPReqQFullDrop +$((q1 - q0)); intervals with resends only: $late"
	log "$(listener "$WS_TMP/out" 9200)"
	assert_eq "$((o1 - o0))" 0 "ListenOverflows delta"
	# The case under test: resends counted in an interval of their own.
	assert_ge "$late" 1 "intervals with resends and no drop"
	assert_eq "$(grep '"type":"interval"' "$WS_TMP/out" | grep '"port":9200,' | grep -c '"verdict":"overflowing"')" 0 "intervals called overflowing"
	assert_eq "$(jfield "$(listener "$WS_TMP/out" 9200)" verdict)" syn-queue-full "summary verdict"
	assert_within_pct "$(jfield "$(listener "$WS_TMP/out" 9200)" syn_queue_drops)" "$((q1 - q0))" 5 "syn_queue_drops"
}

# More listeners than the table holds (1,024): the rest go unwatched, and
# that loss is counted in health (accept_listeners_full), not only said on
# stderr: JSON and the exporter show it.
test_accept_table_full_counted() {
	local ready
	hs_lab
	ready=$(fresh_path many)
	bg ip netns exec "$S" python3 -c '
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (2048, 2048))
ss = []
for i in range(1100):
    s = socket.socket()
    s.bind(("198.18.6.1", 20000 + i))
    s.listen(8)
    ss.append(s)
open(sys.argv[1], "w").write("1")
time.sleep(30)
' "$ready"
	wait_file "$ready"
	ip netns exec "$S" "$WS" accept -j 0.2 1 >"$WS_TMP/out" 2>"$WS_TMP/err"
	assert_match "$(cat "$WS_TMP/err")" 'more than 1024 listening sockets' "said on stderr"
	assert_eq "$(grep -c '"type":"summary"' "$WS_TMP/out")" 1024 "listeners shown"
	assert_eq "$(jfield "$(grep '"type":"health_summary"' "$WS_TMP/out")" accept_listeners_full)" 76 "listeners left out, in health"
}

# write_ipv6_ext_syn_cfg FILE MAC PORT: a trafgen IPv6 SYN to MAC,
# 2001:db8:1::1 port PORT from 2001:db8:1::2 and a random port, behind a
# destination-options header (8 bytes, PadN).
write_ipv6_ext_syn_cfg() {
	cat >"$1" <<-EOF
	{
	  $(mac_bytes "$2"), 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,
	  0x60, 0x00, 0x00, 0x00, c16(28), 60, 64,
	  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	  6, 0, 0x01, 0x04, 0, 0, 0, 0,
	  drnd(2), c16($3), drnd(4), c32(0), 0x50, 0x02, c16(65535), csumtcp6(14, 62), c16(0)
	}
	EOF
}

# write_tcp_fragment_cfg FILE MAC: the second fragment of an IPv4 TCP
# datagram to MAC, 198.18.0.1 (offset 1,480 bytes): no TCP header in it.
write_tcp_fragment_cfg() {
	cat >"$1" <<-EOF
	{
	  $(mac_bytes "$2"), 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	  0x45, 0x00, c16(60), drnd(2), 0x00, 185, 64, 6, csumip(14, 33),
	  198, 18, 0, 2,  198, 18, 0, 1,
	  fill(0x00, 40)
	}
	EOF
}

# ring_send NS IFACE CFG COUNT: COUNT frames of CFG from trafgen's mapped
# TX ring (no -b), which puts only the Ethernet header in each skb's
# linear head, where tc's direct reads end.
ring_send() {
	timeout 60 ip netns exec "$1" trafgen -o "$2" -i "$3" -n "$4" -q >/dev/null 2>&1 ||
		fail "trafgen failed ($3)"
}

# 2,000 IPv4 SYNs and 500 IPv6 SYNs behind a destination-options header to
# a closed port, then 500 UDP frames and 300 non-first fragments of TCP,
# all from trafgen's ring.  The receiver's tc ingress pulls the SYNs'
# headers in (the IPv6 ones' with the extension header, which the parse
# walks):
# syn_received equals A's OutRsts (each SYN refused), and nothing is
# unread.  tc egress pulls nothing: the sender counts each SYN it could not
# parse in headers_unread, and neither the UDP frames nor the fragments
# (no TCP header: nothing a TCP collector misses).
test_ring_sent_syns_parsed() {
	ip_lab
	syn_flood_sink "$A" a0
	ip -n "$A" addr add 2001:db8:1::1/64 dev a0 nodad
	ip -n "$B" addr add 2001:db8:1::2/64 dev b0 nodad
	local n=2000 n6=500 r0 r4 r6 t0 t unread rx_pid
	ws_start "$A" "$WS_TMP/rx" handshakes -i a0 -j
	rx_pid=$WS_PID
	ws_start "$B" "$WS_TMP/tx" handshakes -i b0 -j
	write_syn_flood_cfg "$WS_TMP/syn.cfg" "$(mac "$A" a0)" 8080
	write_ipv6_ext_syn_cfg "$WS_TMP/syn6.cfg" "$(mac "$A" a0)" 8080
	write_trafgen_cfg "$WS_TMP/udp.cfg"
	write_tcp_fragment_cfg "$WS_TMP/frag.cfg" "$(mac "$A" a0)"
	r0=$(nstat_abs "$A" TcpOutRsts)
	t0=$(ifstat "$B" b0 tx_packets)
	ring_send "$B" b0 "$WS_TMP/syn.cfg" $n
	wait_stable "$A" TcpOutRsts
	r4=$(($(nstat_abs "$A" TcpOutRsts) - r0))
	ring_send "$B" b0 "$WS_TMP/syn6.cfg" $n6
	t=$(($(ifstat "$B" b0 tx_packets) - t0))
	ring_send "$B" b0 "$WS_TMP/udp.cfg" 500
	ring_send "$B" b0 "$WS_TMP/frag.cfg" 300
	wait_stable "$A" TcpOutRsts
	ws_stop
	WS_PID=$rx_pid ws_stop
	r6=$(($(nstat_abs "$A" TcpOutRsts) - r0 - r4))
	log "SYNs refused by A: $r4 IPv4, $r6 IPv6"
	assert_ge "$r4" $((n / 2)) "IPv4 SYNs refused by A (kernel)"
	assert_ge "$r6" $((n6 / 2)) "IPv6 SYNs refused by A (kernel)"
	assert_eq "$(jfield "$(summary "$WS_TMP/rx")" syn_received)" $((r4 + r6)) "receiver's syn_received"
	assert_eq "$(jfield "$(grep health_summary "$WS_TMP/rx")" headers_unread)" 0 "receiver's headers_unread"
	unread=$(jfield "$(grep health_summary "$WS_TMP/tx")" headers_unread)
	assert_ge "$unread" $((r4 + r6)) "sender's headers_unread: every SYN A refused"
	assert_le "$unread" "$t" "sender's headers_unread: frames sent with the SYNs, no UDP frame or fragment"
}
