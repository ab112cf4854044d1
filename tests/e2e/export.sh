# SPDX-License-Identifier: GPL-2.0
# wirescope export, end to end.  Everything runs inside namespace A: the
# exporter watches a0 and listens on A's loopback; the Prometheus server of
# Debian's package runs in A too and scrapes it; B sends known frames to a0.
#
#   A (exporter + Prometheus on 127.0.0.1) <== veth ==> B (sender, b0)

EXPORTER=127.0.0.1:19460 # the default --listen, free in a fresh namespace
PROM=127.0.0.1:9090

# in_a CMD...: run in namespace A.
in_a() { ip netns exec "$A" "$@"; }

scrape() { # [PATH]
	in_a curl -sS --max-time 10 "http://$EXPORTER${1:-/metrics}"
}

export_start() { # extra args...
	rm -f "$WS_TMP"/ready.*
	ws_start "$A" "$WS_TMP/out" export -i a0 "$@"
	EXPORT_PID=$(cat "$WS_TMP"/ready.*)
}

# series NAME{LABELS}: its value in a scrape, empty if absent.
series() {
	scrape | awk -v n="$1" '$1 == n {print $2}'
}

# wait_series NAME{LABELS} present|absent: until a scrape shows it so (5 s
# at most: accept looks at the listeners every 100 ms).
wait_series() {
	wait_until 5 series_is "$1" "$2" || fail "$1 still not $2"
}

series_is() { # NAME{LABELS} present|absent
	if [ "$2" = present ]; then
		[ -n "$(series "$1")" ]
	else
		[ -z "$(series "$1")" ]
	fi
}

# scraped CMD...: scrape into $WS_TMP/scrape, then CMD (which reads it).
scraped() { scrape >"$WS_TMP/scrape" && "$@"; }

# wait_rx_scraped N: until a scrape (left in $WS_TMP/scrape) counts N frames
# received on a0, 10 s at most.  trafgen may exit with its last frames still
# in a backlog, not yet past our hook; the exact checks after say what is
# missing.
wait_rx_scraped() {
	wait_until 10 scraped grep -qx "wirescope_receive_packets_total{interface=\"a0\"} $1" "$WS_TMP/scrape" ||
		log "a0 receive counter after 10 s: $(grep '^wirescope_receive_packets_total{interface="a0"}' "$WS_TMP/scrape" 2>/dev/null || echo none), expected $1"
}

# scrape_lacks REGEX: no line of a scrape matches REGEX.
scrape_lacks() { ! scrape | has "$1"; }

send_frames() { # COUNT
	write_trafgen_cfg "$WS_TMP/flood.cfg"
	timeout 60 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/flood.cfg" \
		-n "$1" -q -b 20000pps >/dev/null 2>&1
}

prom_start() {
	mkdir -p "$WS_TMP/prom"
	cat >"$WS_TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wirescope
    static_configs:
      - targets: ["$EXPORTER"]
EOF
	bg ip netns exec "$A" prometheus \
		--config.file="$WS_TMP/prom/prometheus.yml" \
		--storage.tsdb.path="$WS_TMP/prom/data" \
		--web.listen-address="$PROM" >"$WS_TMP/prom/log" 2>&1
	wait_until 20 prom_ready || fail "prometheus not ready: $(tail -3 "$WS_TMP/prom/log")"
}

# prom_ready: Prometheus answers; fails the test if it has exited.
prom_ready() {
	in_a curl -sf "http://$PROM/-/ready" >/dev/null 2>&1 && return 0
	kill -0 "$BG_PID" 2>/dev/null || fail "prometheus exited: $(tail -3 "$WS_TMP/prom/log")"
	return 1
}

# The value of an instant query that returns one series, or "none"; at
# $PROM_AT (Unix seconds) when set and not empty, else now.
prom_query() { # PROMQL
	in_a curl -sfG "http://$PROM/api/v1/query" --data-urlencode "query=$1" \
		--data-urlencode "time=${PROM_AT:-$EPOCHREALTIME}" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none" if not r else "many")'
}

# prom_query's answer without its fraction ("none" stays "none").
prom_count() { # PROMQL
	local v
	v=$(prom_query "$1")
	echo "${v%.*}"
}

# Wait until PROMQL gives WANT (Prometheus scrapes every second); PROM_SEEN
# is when it did.
prom_wait() { # PROMQL WANT SECONDS
	wait_until "$3" prom_is "$1" "$2" ||
		fail "prometheus: $1 = $(prom_query "$1"), expected $2"
}

prom_is() { # PROMQL WANT
	local t=$EPOCHREALTIME
	[ "$(PROM_AT=$t prom_query "$1")" = "$2" ] && PROM_SEEN=$t
}

# prom_wait, then pin later queries to the moment PROMQL gave WANT
# (PROM_AT), once it holds there for good: a scrape that began before that
# moment and then timed out (scrape_timeout, 1 s) marks every series stale
# as of its start, as a stalled VM can make one.
prom_pin() { # PROMQL WANT SECONDS
	local try
	for try in 1 2 3; do
		prom_wait "$@"
		sleep 1.5 # past the scrape timeout of any scrape begun before
		PROM_AT=$PROM_SEEN
		[ "$(prom_query "$1")" = "$2" ] && return 0
		log "$1 went stale at $PROM_AT (try $try)"
		PROM_AT=
	done
	fail "prometheus: $1 = $2 did not hold, 3 times"
}

# A real Prometheus scrapes the exporter while B sends 100 frames of each
# size; its HTTP API then shows exactly what the interface counters show.
test_prometheus_sees_exact_counts() {
	pair_lab
	export_start
	prom_start
	prom_wait 'up{job="wirescope"}' 1 15
	prom_wait 'wirescope_receive_packets_total{interface="a0"}' 0 5
	local rx0 n=700 rx
	rx0=$(ifstat "$A" a0 rx_packets)
	send_frames "$n"
	rx=$(($(ifstat "$A" a0 rx_packets) - rx0))
	assert_eq "$rx" "$n" "a0 rx_packets (kernel)"
	local PROM_AT
	prom_pin 'wirescope_receive_packets_total{interface="a0"}' "$n" 10
	# 60+100+192+442+942+1442+1842 bytes, 100 of each.
	assert_eq "$(prom_query 'wirescope_receive_bytes_total{interface="a0"}')" 502000 "rx bytes"
	assert_eq "$(prom_query 'wirescope_transmit_packets_total{interface="a0"}')" 0 "tx packets"
	local le want=100
	for le in 64 127 255 511 1023 1518 +Inf; do
		assert_eq "$(prom_query "wirescope_packet_size_bytes_bucket{interface=\"a0\",dir=\"rx\",le=\"$le\"}")" "$want" "bucket le=$le"
		want=$((want + 100))
	done
	assert_eq "$(prom_query 'wirescope_packet_size_bytes_count{interface="a0",dir="rx"}')" "$n" "_count"
	assert_eq "$(prom_query 'wirescope_packet_size_bytes_sum{interface="a0",dir="rx"}')" 502000 "_sum"
	# The small-packet share the alert rule computes, with its selector
	# (Prometheus 3 stores le="127.0"): 200 of 700 < 128 B.
	assert_eq "$(prom_query 'sum(wirescope_packet_size_bytes_bucket{le=~"127(\\.0)?",dir="rx"}) / sum(wirescope_packet_size_bytes_count{dir="rx"})')" \
		"$(python3 -c 'print(200/700)')" "small share"
	assert_eq "$(prom_query 'wirescope_build_info')" 1 "build_info"
	assert_eq "$(prom_query 'wirescope_programs_attached{hook="xdp"}')" 0 "no xdp program: the default hook is tc"
	assert_eq "$(prom_query 'wirescope_programs_attached{hook="tc"}')" 2 "tc programs, ingress and egress"
	dashboard_queries_valid
}

# Every query of the Grafana dashboard parses and runs on a real server;
# the packet-size ones return data.
dashboard_queries_valid() {
	in_a python3 - "$PROM" tools/deploy/grafana-dashboard.json "${PROM_AT:-$EPOCHREALTIME}" <<'EOF2' || fail "dashboard queries"
import json, sys, urllib.parse, urllib.request
prom, path, at = sys.argv[1:4]
bad = []
for p in json.load(open(path))["panels"]:
    for t in p.get("targets", []):
        q = (t["expr"].replace("$__rate_interval", "1m")
             .replace("$instance", ".*").replace("$interface", ".*"))
        url = "http://%s/api/v1/query?%s" % (prom, urllib.parse.urlencode({"query": q, "time": at}))
        try:
            r = json.load(urllib.request.urlopen(url, timeout=10))
        except Exception as e:
            bad.append("%s: %s: %s" % (p["title"], q, e))
            continue
        if r["status"] != "success":
            bad.append("%s: %s: %s" % (p["title"], q, r))
        elif "wirescope_packet_size" in q and not r["data"]["result"]:
            bad.append("%s: no data: %s" % (p["title"], q))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF2
}

# ListenOverflows of namespace A, from the kernel.
listen_overflows() {
	in_a awk '/^TcpExt:/ { if (!n) { split($0, k); n = 1 } else { for (i = 2; i <= NF; i++) if (k[i] == "ListenOverflows") print $i } }' /proc/net/netstat
}

# A listener with a backlog of 8 that never accepts overflows while a
# healthy one accepts everything; Prometheus's per-port overflow count is
# the kernel's ListenOverflows delta within the accept command's 5%.
test_prometheus_sees_accept_overflows() {
	pair_lab
	lab_addrs
	export_start
	in_a python3 -c '
import socket, time
stuck = socket.socket(); stuck.bind(("198.18.0.1", 8080)); stuck.listen(8)
ok = socket.socket(); ok.bind(("198.18.0.1", 8081)); ok.listen(128)
ok.settimeout(0.1); end = time.time() + 40
while time.time() < end:
    try: ok.accept()[0].close()
    except socket.timeout: pass' &
	WS_PIDS+=($!)
	wait_until 5 listens "$A" 8081 || fail "nothing listens on :8081 in A"
	prom_start
	prom_wait 'up{job="wirescope"}' 1 15
	local o0 o1
	o0=$(listen_overflows)
	ip netns exec "$B" python3 -c '
import socket, time
socks = []
for port, n in ((8080, 40), (8081, 20)):
    for _ in range(n):
        s = socket.socket(); s.setblocking(False)
        s.connect_ex(("198.18.0.1", port)); socks.append(s)
time.sleep(3)'
	# The clients' orphans resend into the full queue: each is one more
	# overflow.  Silenced, the count settles before it is read.
	silence_orphans "$B" 8080
	wait_steady listen_overflows
	o1=$(listen_overflows)
	assert_ge "$((o1 - o0))" 10 "kernel ListenOverflows delta"
	local q='sum(wirescope_listen_overflows_total{port="8080"})'
	wait_until 10 at_least $(((o1 - o0) * 95 / 100)) prom_count "$q" || true
	assert_within_pct "$(prom_count "$q")" "$((o1 - o0))" 5 "Prometheus: $q"
	assert_eq "$(prom_query 'sum(wirescope_listen_overflows_total{port="8081"})')" 0 "healthy listener overflows"
}

# A port's overflow counter never goes back: not when its listener closes,
# nor when one comes back on the port (a restart).  Once the series vanished
# with the listener and came back from 0, which Prometheus reads as a reset.
test_overflow_counter_survives_restart() {
	pair_lab
	lab_addrs
	export_start
	local q='wirescope_listen_overflows_total{port="8080",family="ipv4"}'
	local g='wirescope_listen_queue_length{port="8080",family="ipv4"}'
	local stuck='import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.1", 8080)); s.listen(2); time.sleep(60)'
	bg ip netns exec "$A" python3 -c "$stuck"
	local pid=$BG_PID v1 i
	wait_series "$g" present
	ip netns exec "$B" python3 -c '
import socket, time
socks = []
for _ in range(12):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("198.18.0.1", 8080)); socks.append(s)
time.sleep(2)'
	silence_orphans "$B" 8080
	wait_steady listen_overflows
	wait_steady series "$q"
	v1=$(series "$q")
	assert_ge "${v1:-0}" 1 "overflows before the close"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	wait_series "$g" absent
	assert_eq "$(series "$q")" "$v1" "the counter once its listener closed"
	bg ip netns exec "$A" python3 -c "$stuck"
	wait_series "$g" present
	assert_eq "$(series "$q")" "$v1" "the counter once a listener is back on the port"
}

# Connects from A to B, where nothing listens: B, on-link, refuses each
# (0 hops), and Prometheus counts them as the peer's, as many as A's own
# AttemptFails.
test_prometheus_sees_refused_connects() {
	pair_lab
	lab_addrs
	export_start
	prom_start
	prom_wait 'up{job="wirescope"}' 1 15
	local f0 f1
	f0=$(in_a nstat -az TcpAttemptFails | awk '/TcpAttemptFails/ { print $2 }')
	in_a python3 -c '
import errno, socket
for _ in range(7):
    s = socket.socket(); s.settimeout(3)
    assert s.connect_ex(("198.18.0.2", 5999)) == errno.ECONNREFUSED
    s.close()'
	f1=$(in_a nstat -az TcpAttemptFails | awk '/TcpAttemptFails/ { print $2 }')
	assert_eq "$((f1 - f0))" 7 "kernel AttemptFails delta"
	prom_wait 'wirescope_connects_refused_total{verdict="peer_no_socket"}' 7 15
	assert_eq "$(prom_query 'wirescope_connects_refused_total{verdict="middlebox"}')" 0 "middlebox"
	assert_eq "$(prom_query 'wirescope_connects_refused_total{verdict="unknown"}')" 0 "unknown"
}

# Resets are decided every tick, not only when scraped: 1,200 refused
# connects (2,400 RST events, the wire's and the tracepoint's) with no
# scrape among them, more than the table of undecided events holds (2,048),
# are all counted once scraped.  Paced at 60 a second, under the kernel's
# limit of 200 events a second per CPU.
test_resets_decided_between_scrapes() {
	pair_lab
	lab_addrs
	export_start
	local f0 f1 n=1200
	f0=$(in_a nstat -az TcpAttemptFails | awk '/TcpAttemptFails/ { print $2 }')
	in_a timeout 90 python3 -c '
import errno, socket, sys, time
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.settimeout(3)
    assert s.connect_ex(("198.18.0.2", 5999)) == errno.ECONNREFUSED
    s.close()
    time.sleep(1 / 60)' "$n"
	f1=$(in_a nstat -az TcpAttemptFails | awk '/TcpAttemptFails/ { print $2 }')
	assert_eq "$((f1 - f0))" "$n" "kernel AttemptFails delta"
	wait_until 10 series_is_value 'wirescope_connects_refused_total{verdict="peer_no_socket"}' "$n" ||
		fail "refused connects: $(series 'wirescope_connects_refused_total{verdict="peer_no_socket"}'), expected $n"
	assert_eq "$(series wirescope_resets_events_lost_total)" 0 "events lost in user space"
	assert_eq "$(series 'wirescope_lost_total{counter="resets_rate_limited"}')" 0 "events over the rate limit"
}

series_is_value() { # NAME{LABELS} VALUE
	[ "$(series "$1")" = "$2" ]
}

# promtool and our structural checker accept a live scrape; the checker
# does catch what it is for.
test_scrape_lint() {
	pair_lab
	export_start
	send_frames 70
	local out
	wait_rx_scraped 70
	out=$(promtool check metrics <"$WS_TMP/scrape" 2>&1) || fail "promtool check metrics: $out"
	assert_eq "$out" "" "promtool check metrics output"
	python3 tests/promcheck.py "$WS_TMP/scrape" \
		--expect 'wirescope_receive_packets_total{interface="a0"}=70' \
		--expect 'wirescope_packet_size_bytes_bucket{interface="a0",dir="rx",le="+Inf"}=70' \
		--expect 'wirescope_lost_total{counter="sizes_no_slot"}=0' ||
		fail "promcheck on a live scrape"
	# Every hash map has entries and capacity, entries <= capacity.
	python3 - "$WS_TMP/scrape" <<'EOF2' || fail "map entries vs capacity"
import re, sys
v = {}
for m in re.finditer(r'^wirescope_map_(entries|capacity)\{map="([^"]+)"\} (\d+)$',
                     open(sys.argv[1]).read(), re.M):
    v.setdefault(m.group(2), {})[m.group(1)] = int(m.group(3))
assert v, "no map metrics"
for name, d in v.items():
    assert set(d) == {"entries", "capacity"}, (name, d)
    assert 0 <= d["entries"] <= d["capacity"] and d["capacity"] > 0, (name, d)
EOF2
	# Break the scrape three ways: each must be caught.
	sed 's/\(le="127"} \)[0-9]*/\10/' "$WS_TMP/scrape" | python3 tests/promcheck.py >/dev/null &&
		fail "promcheck missed non-cumulative buckets"
	sed '/_count{interface="a0",dir="rx"}/s/ [0-9]*$/ 71/' "$WS_TMP/scrape" | python3 tests/promcheck.py >/dev/null &&
		fail "promcheck missed +Inf != _count"
	{ cat "$WS_TMP/scrape"; grep '^wirescope_receive_packets_total' "$WS_TMP/scrape"; } |
		python3 tests/promcheck.py >/dev/null && fail "promcheck missed a duplicate series"
	true
}

# map_dump_len PID NAME: the entries bpftool's own walk finds in map NAME
# of process PID.
map_dump_len() {
	map_dump "$1" "$2" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# A SYN flood fills the flow tables past a batch of lookups (1,024):
# wirescope_map_entries counts what bpftool's own walk counts.  (The
# exporter once walked each map a syscall a key, and each collector's
# sample a syscall a key and one a value: half a second a scrape, and half
# a CPU under a flood, with full tables.)
test_map_entries_past_a_batch() {
	pair_lab
	syn_flood_sink "$A" a0
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_syncookies=1
	listeners_in_a 8080
	export_start
	write_syn_flood_cfg "$WS_TMP/syn.cfg" "$(mac "$A" a0)" 8080
	timeout 60 ip netns exec "$B" trafgen -o b0 -i "$WS_TMP/syn.cfg" \
		-n 20000 -q -b 50000pps >/dev/null 2>&1 || fail "trafgen"
	# trafgen may exit with frames still queued: every one past the hook.
	wait_until 10 at_least 20000 series 'wirescope_receive_packets_total{interface="a0"}' ||
		fail "a0 counted $(series 'wirescope_receive_packets_total{interface="a0"}') of 20000 SYNs"
	local map before truth after
	for map in hs_flows rst_flows; do
		before=$(series "wirescope_map_entries{map=\"$map\"}")
		truth=$(map_dump_len "$EXPORT_PID" "$map")
		after=$(series "wirescope_map_entries{map=\"$map\"}")
		log "$map: $before, bpftool $truth, then $after"
		assert_ge "${truth:-0}" 2048 "$map entries (bpftool), past two batches"
		# Stale handshakes may be swept in between, never added.
		assert_ge "$before" "$truth" "$map entries before bpftool's walk"
		assert_le "$after" "$truth" "$map entries after bpftool's walk"
		assert_ge "$after" $((truth - truth / 100)) "$map entries after bpftool's walk"
	done
}

# listeners_in_a PORT...: a process in A listening on each PORT (all
# addresses) for 120 s, killed at cleanup; returns once they listen.
listeners_in_a() {
	bg ip netns exec "$A" python3 -c '
import socket, sys, time
ss = []
for p in sys.argv[1:]:
    s = socket.socket(); s.bind(("0.0.0.0", int(p))); s.listen(8); ss.append(s)
print("listening", flush=True)
time.sleep(120)' "$@" >"$WS_TMP/listeners"
	wait_until 5 grep -q listening "$WS_TMP/listeners" ||
		fail "listeners in A: $(cat "$WS_TMP/listeners")"
}

# Past --max-ports, every per-port family labels the same ports: a port has
# its own series in all of them or in none, so a dashboard can join them.
# (Each family once kept its own first-come set, and the sets differed.)
test_port_labels_one_set() {
	pair_lab
	listeners_in_a 21004 21001 21003 21000 21002
	# Six listeners with the exporter's own: three keep their label.
	export_start --max-ports 3
	wait_until 10 scraped at_least 2 grep -c '^wirescope_listen_[a-z_]*{port="other"' "$WS_TMP/scrape" || true
	python3 - "$WS_TMP/scrape" <<'EOF2' || fail "port labels per family: $(grep -o '^wirescope_listen_[a-z_]*{port="[^"]*"' "$WS_TMP/scrape" | sort -u | tr '\n' ' ')"
import re, sys
fams = {}
for m in re.finditer(r'^(wirescope_listen_[a-z_]+)\{port="([^"]+)"', open(sys.argv[1]).read(), re.M):
    fams.setdefault(m.group(1), set()).add(m.group(2))
assert "wirescope_listen_port_handshakes_total" in fams and "wirescope_listen_queue_length" in fams, fams
assert len({frozenset(v) for v in fams.values()}) == 1, fams
ports = fams["wirescope_listen_queue_length"]
assert "other" in ports and len(ports - {"other"}) == 3, ports
EOF2
}

# --max-ports above the handshakes' own table (256 ports by default): every
# listener still has its series in both families (export sizes the table).
test_port_labels_past_256() {
	pair_lab
	local hs='^wirescope_listen_port_handshakes_total{port="22'
	# shellcheck disable=SC2046
	listeners_in_a $(seq 22000 22299)
	export_start --max-ports 400
	wait_until 10 scraped at_least 300 grep -c "$hs" "$WS_TMP/scrape" || true
	assert_eq "$(grep -c '^wirescope_listen_queue_length{port="22' "$WS_TMP/scrape")" 300 "listeners with a queue series"
	assert_eq "$(grep -c "$hs" "$WS_TMP/scrape")" 300 "listeners with a handshakes series"
}

# Content type, date, landing page, 404, 405, HEAD, and version errors.
test_http_basics() {
	pair_lab
	export_start
	local h d
	h=$(in_a curl -sS -D - -o /dev/null "http://$EXPORTER/metrics")
	assert_match "$h" $'Content-Type: text/plain; version=0.0.4; charset=utf-8\r' "content type"
	d=$(raw_request 'GET /nope HTTP/1.1\r\n\r\n' date)
	assert_match "$d" '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' "Date is an HTTP-date"
	python3 -c 'import sys, time, email.utils as u
sys.exit(abs(u.parsedate_to_datetime(sys.argv[1]).timestamp() - time.time()) > 60)' "$d" ||
		fail "Date '$d' is not within a minute of this clock"
	assert_match "$(scrape /)" '<a href="metrics">' "landing page links /metrics"
	assert_eq "$(in_a curl -s -o /dev/null -w '%{http_code}' "http://$EXPORTER/nope")" 404 "unknown path"
	assert_eq "$(in_a curl -s -o /dev/null -w '%{http_code}' -X POST "http://$EXPORTER/metrics")" 405 "POST"
	assert_eq "$(in_a curl -s -o /dev/null -w '%{http_code}' "http://$EXPORTER/metrics?x=1")" 200 "query string"
	h=$(in_a curl -sS -I "http://$EXPORTER/metrics")
	assert_match "$h" '^HTTP/1.1 200' "HEAD"
	assert_eq "$(raw_request 'GET /metrics HTTP/2.0\r\n\r\n')" "HTTP/1.1 505" "HTTP/2.0 request line"
	assert_eq "$(raw_request 'garbage\r\n\r\n')" "HTTP/1.1 400" "garbage"
	assert_eq "$(raw_request 'GET metrics HTTP/1.1\r\n\r\n')" "HTTP/1.1 400" "relative target"
	assert_eq "$(raw_request 'GET http://x:1/metrics HTTP/1.1\r\n\r\n')" "HTTP/1.1 200" "absolute-form target"
	assert_eq "$(raw_request 'OPTIONS * HTTP/1.1\r\n\r\n')" "HTTP/1.1 405" "OPTIONS"
	assert_eq "$(raw_request 'GET /metrics HTTP/1.0\n\n')" "HTTP/1.1 200" "HTTP/1.0 with bare LF"
	assert_eq "$(raw_request 'GET /\0 HTTP/1.1\r\n\r\n')" "HTTP/1.1 400" "NUL in the request"
}

# IPv6 and all-address listeners.
test_listen_addresses() {
	pair_lab
	export_start --listen '[::1]:19461'
	assert_match "$(in_a curl -sS -g 'http://[::1]:19461/metrics')" '^# HELP wirescope_' "scrape over IPv6"
	ws_stop
	export_start --listen :19462
	assert_match "$(in_a curl -sS http://127.0.0.1:19462/metrics)" '^# HELP wirescope_' "scrape of :PORT"
	assert_match "$(in_a ss -ltnH sport = :19462)" '0\.0\.0\.0:19462' ":PORT listens on every address"
}

# raw_request TEXT [HEADER]: send TEXT (with escapes); print the status
# line, or the value of response header HEADER ("-" if absent).
raw_request() {
	in_a python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 19460), timeout=10)
s.sendall(sys.argv[1].encode().decode("unicode_escape").encode())
f = s.makefile("rb")
status = f.readline().decode().strip()
if len(sys.argv) < 3:
    print(status[:12]); sys.exit()
for line in iter(f.readline, b"\r\n"):
    k, v = line.decode().split(":", 1)
    if k.lower() == sys.argv[2].lower():
        print(v.strip()); sys.exit()
print("-")' "$@"
}

# gzip when the client asks for it (Prometheus does): the same metrics.
test_gzip() {
	pair_lab
	export_start
	send_frames 7
	wait_rx_scraped 7
	local h
	h=$(in_a curl -sS --compressed -D - -o "$WS_TMP/gz" "http://$EXPORTER/metrics")
	assert_match "$h" $'Content-Encoding: gzip\r' "gzip encoding"
	python3 tests/promcheck.py "$WS_TMP/gz" \
		--expect 'wirescope_receive_packets_total{interface="a0"}=7' ||
		fail "gzip body"
	local r='GET /metrics HTTP/1.1\r\nAccept-Encoding: '
	assert_eq "$(raw_request "${r}deflate, gzip\r\n\r\n" content-encoding)" gzip "deflate, gzip"
	assert_eq "$(raw_request "${r}gzip;q=0.5\r\n\r\n" content-encoding)" gzip "gzip;q=0.5"
	assert_eq "$(raw_request "${r}gzip;q=0\r\n\r\n" content-encoding)" - "gzip;q=0"
	assert_eq "$(raw_request "${r}br\r\nAccept-Encoding: gzip\r\n\r\n" content-encoding)" gzip "gzip in a second Accept-Encoding"
	assert_eq "$(raw_request "${r}gzipx\r\n\r\n" content-encoding)" - "gzipx"
	assert_eq "$(raw_request 'GET /metrics HTTP/1.1\r\n\r\n' content-encoding)" - "no Accept-Encoding"
	assert_eq "$(raw_request 'GET /metrics HTTP/1.0\n\n' content-encoding)" - "HTTP/1.0, bare LF"
}

# 50 concurrent scrapes; a stalled half request is dropped after --timeout
# while other scrapes go on; an oversized header gets 431; none of it kills
# the exporter.
test_robustness() {
	pair_lab
	export_start --timeout 2
	in_a python3 - <<'EOF' || fail "robustness"
import socket, threading, time

ADDR = ("127.0.0.1", 19460)

def scrape():
    s = socket.create_connection(ADDR, timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data

results = []
def worker():
    try:
        d = scrape()
        results.append(d.startswith(b"HTTP/1.1 200") and
                       b"\nwirescope_scrape_duration_seconds " in d)
    except Exception as e:
        results.append(repr(e))

threads = [threading.Thread(target=worker) for _ in range(50)]
for t in threads: t.start()
for t in threads: t.join()
ok = results.count(True)
assert ok == 50, "concurrent scrapes: %d of 50 ok: %s" % (ok, results)

# A client that sends half a request and stalls.
stall = socket.create_connection(ADDR, timeout=10)
stall.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
t0 = time.monotonic()
for _ in range(5):
    assert scrape().startswith(b"HTTP/1.1 200"), "scrape during a stall"
stall_answer = stall.recv(4096)
waited = time.monotonic() - t0
assert stall_answer.startswith(b"HTTP/1.1 408"), stall_answer
assert stall.recv(4096) == b"", "stalled client not closed"
assert 1.5 <= waited <= 4, "stalled client dropped after %.1f s" % waited
print("# stalled client dropped after %.2f s" % waited)

# More stalled clients than connection slots: the oldest make room, and
# a scrape still gets through at once.
stalled = []
for _ in range(300):
    c = socket.create_connection(ADDR, timeout=10)
    c.sendall(b"GET /metrics HTTP/1.1\r\n")
    stalled.append(c)
t0 = time.monotonic()
assert scrape().startswith(b"HTTP/1.1 200"), "scrape behind 300 stalled clients"
took = time.monotonic() - t0
assert took < 1, "scrape behind 300 stalled clients took %.1f s" % took
for c in stalled: c.close()

# An oversized header: an error, not a crash.
s = socket.create_connection(ADDR, timeout=10)
s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
line = s.makefile("rb").readline()
assert line.startswith(b"HTTP/1.1 431"), line
assert scrape().startswith(b"HTTP/1.1 200"), "scrape after the big header"
EOF
	kill -0 "$EXPORT_PID" || fail "exporter died"
	python3 tests/promcheck.py --expect 'wirescope_http_responses_total{code="431"}=1' \
		< <(scrape) || fail "431 counted"
	assert_ge "$(scrape | sed -n 's/^wirescope_http_responses_total{code="408"} //p')" 45 "408s counted"
}

# Every connection slot taken: a scrape whose answer is being written is
# never cut short to make room (a stalled request is: 408); with all 256
# slots writing, a newcomer gets 503.  The exporter's namespace keeps TCP
# send buffers at 4 KiB, and each client reads nothing (SO_RCVBUF 4 KiB)
# after the answer's first bytes, so each answer stays mid-write: 63
# listeners make the body over 3 times what those buffers hold (before,
# the first part failed: the answer was cut to make room for the stalled
# requests).
test_answer_never_cut_for_room() {
	pair_lab
	in_a sysctl -qw net.ipv4.tcp_wmem="4096 4096 4096"
	listeners_in_a $(seq 21000 21062)
	export_start --timeout 20
	wait_until 10 scraped at_least 64 grep -c '^wirescope_listen_queue_length{port=' "$WS_TMP/scrape" ||
		fail "listeners not scraped: $(grep -c '^wirescope_listen_queue_length{port=' "$WS_TMP/scrape")"
	in_a python3 - <<'EOF' || fail "answers cut short"
import socket

ADDR = ("127.0.0.1", 19460)

def slow_reader():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(ADDR)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    head = s.recv(1024)  # the answer has begun: the exporter is writing
    assert head.startswith(b"HTTP/1.1 200"), head
    return s, head

def read_rest(s, head):
    data = head
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    h, _, body = data.partition(b"\r\n\r\n")
    n = int([l for l in h.split(b"\r\n")
             if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    assert n > 3 * 12288, "a body of %d bytes fits the buffers" % n
    return len(body) == n, len(body), n

slow, head = slow_reader()
stalled = []
for _ in range(300):
    c = socket.create_connection(ADDR, timeout=10)
    c.sendall(b"GET /metrics HTTP/1.1\r\n")
    stalled.append(c)
ok, got, n = read_rest(slow, head)
assert ok, "the answer being written was cut: %d of %d bytes" % (got, n)
for c in stalled:
    c.close()
slow.close()

writers = [slow_reader() for _ in range(256)]
late = socket.create_connection(ADDR, timeout=10)
answer = late.recv(4096)
assert answer.startswith(b"HTTP/1.1 503"), answer
late.close()
cut = [r for r in (read_rest(s, h) for s, h in writers) if not r[0]]
assert not cut, "%d answers cut short: %s" % (len(cut), cut[:3])
print("# 300 stalled requests made room, 256 answers whole, a 503 past them")
EOF
	python3 tests/promcheck.py --expect 'wirescope_http_responses_total{code="503"}=1' \
		< <(scrape) || fail "503 counted"
	assert_ge "$(scrape | sed -n 's/^wirescope_http_responses_total{code="408"} //p')" 45 "408s counted"
}

# Once serving: no capabilities at all, an unprivileged user, no_new_privs;
# the counters, read through the fds held from before, still come.
test_privileges_dropped() {
	pair_lab
	export_start
	local st
	st=$(cat "/proc/$EXPORT_PID/status")
	assert_match "$st" $'CapEff:\t0000000000000000' "CapEff"
	assert_match "$st" $'CapPrm:\t0000000000000000' "CapPrm"
	assert_match "$st" $'CapBnd:\t0000000000000000' "CapBnd"
	assert_match "$st" $'CapAmb:\t0000000000000000' "CapAmb"
	assert_match "$st" $'NoNewPrivs:\t1' "NoNewPrivs"
	assert_match "$st" "Uid:.$(id -u nobody).$(id -u nobody)" "runs as nobody"
	# Every thread, the HTTP one included.
	for t in /proc/"$EXPORT_PID"/task/*; do
		assert_match "$(cat "$t/status")" $'CapEff:\t0000000000000000' "CapEff of thread $t"
	done
	assert_ge "$(ls /proc/"$EXPORT_PID"/task | wc -l)" 2 "HTTP thread running"
	send_frames 7
	wait_rx_scraped 7
	python3 tests/promcheck.py --expect 'wirescope_receive_packets_total{interface="a0"}=7' \
		< <(scrape) || fail "counters after the privilege drop"
}

# Without tcx our clsact filters outlive us unless removed at exit, which
# takes CAP_NET_ADMIN: the exporter keeps exactly that (says so in one
# line), the HTTP thread not even that, and the exit leaves nothing.
test_privileges_clsact_keeps_net_admin() {
	pair_lab
	export WIRESCOPE_TEST_NO_TCX=1
	export_start
	local st t net_admin=0000000000001000
	st=$(cat "/proc/$EXPORT_PID/status")
	assert_match "$st" $'CapEff:\t'$net_admin "CapEff"
	assert_match "$st" $'CapPrm:\t'$net_admin "CapPrm"
	assert_match "$st" $'CapInh:\t0000000000000000' "CapInh"
	assert_match "$st" $'CapBnd:\t0000000000000000' "CapBnd"
	assert_match "$st" $'CapAmb:\t0000000000000000' "CapAmb"
	assert_match "$st" $'NoNewPrivs:\t1' "NoNewPrivs"
	assert_match "$st" "Uid:.$(id -u nobody).$(id -u nobody)" "runs as nobody"
	assert_eq "$(grep -c 'keeping CAP_NET_ADMIN, and no other capability' "$WS_TMP/out.err")" 1 "one-line notice"
	assert_ge "$(ls /proc/"$EXPORT_PID"/task | wc -l)" 2 "HTTP thread running"
	for t in /proc/"$EXPORT_PID"/task/*; do
		[ "${t##*/}" = "$EXPORT_PID" ] && continue
		assert_match "$(cat "$t/status")" $'CapPrm:\t0000000000000000' "CapPrm of HTTP thread $t"
		assert_match "$(cat "$t/status")" $'CapEff:\t0000000000000000' "CapEff of HTTP thread $t"
	done
	send_frames 7
	wait_rx_scraped 7
	python3 tests/promcheck.py --expect 'wirescope_receive_packets_total{interface="a0"}=7' \
		< <(scrape) || fail "counters after the privilege drop"
	ws_stop
	assert_eq "$(attached_progs "$A")" "" "attached after exit"
}

test_kill9_leaves_nothing() {
	pair_lab
	export_start
	kill9_leaves_nothing "$A" "$EXPORT_PID"
}

# SIGTERM: exit 0, nothing left attached.
test_sigterm_clean_exit() {
	pair_lab
	export_start
	kill -TERM "$EXPORT_PID"
	wait_exit "$WS_PID" 30
	assert_eq "$EXIT_RC" 0 "exit code after SIGTERM"
	assert_eq "$(attached_progs "$A")" "" "attached after SIGTERM"
}

# An HTTP thread that stops on its own (here it cannot start:
# WIRESCOPE_TEST_HTTP_FAIL) must not leave an exporter that serves nothing
# and looks alive to systemd: one line, exit 8, nothing attached.  Before,
# it warned and served nothing until stopped.
test_http_thread_death_exits() {
	local rc=0
	pair_lab
	WIRESCOPE_TEST_HTTP_FAIL=1 ip netns exec "$A" "$WS" export -i a0 >"$WS_TMP/out" 2>"$WS_TMP/err" &
	WS_PIDS+=($!)
	wait_until 10 pid_gone "$!" || fail "still running 10 s after its HTTP thread stopped"
	wait "$!" || rc=$?
	assert_eq "$rc" 8 "exit code"
	assert_match "$(tail -n1 "$WS_TMP/err")" "^wirescope: error: export: the HTTP thread stopped: Operation not permitted; exiting$" "exit message"
	assert_eq "$(attached_progs "$A")" "" "attached after the exit"
}

# The series of an interface go away with it, and its watched gauge says
# so (0); one re-created under its name cannot be attached to (no
# privileges left): the exporter exits 9 with one line, for its service
# manager to restart it, and leaves nothing attached.
test_interface_series_disappear() {
	local rc=0
	pair_lab
	veth "$A" a1 "$B" b1
	ws_start "$A" "$WS_TMP/out" export -i a0 -i a1
	assert_match "$(scrape)" 'wirescope_receive_packets_total\{interface="a1"\}' "a1 series"
	assert_eq "$(series 'wirescope_interface_watched{interface="a1"}')" 1 "a1 watched"
	ip -n "$A" link del a1
	wait_until 5 scrape_lacks 'wirescope_receive_packets_total.interface="a1"' || fail "a1 series still exported"
	assert_match "$(scrape)" 'wirescope_receive_packets_total\{interface="a0"\}' "a0 series kept"
	assert_eq "$(series 'wirescope_interface_watched{interface="a1"}')" 0 "a1 gone"
	assert_eq "$(series 'wirescope_interface_watched{interface="a0"}')" 1 "a0 still watched"
	veth "$A" a1 "$B" b1
	wait_until 5 pid_gone "$WS_PID" || fail "still serving with a1 back: $(cat "$WS_TMP/out.err")"
	wait "$WS_PID" || rc=$?
	assert_eq "$rc" 9 "exit code once a1 is back"
	assert_match "$(tail -n1 "$WS_TMP/out.err")" "^wirescope: export: a1 is back \\(ifindex $(ip netns exec "$A" cat /sys/class/net/a1/ifindex)\\); exiting so the service manager restarts wirescope to attach to it$" "exit message"
	assert_eq "$(grep -c 'is back' "$WS_TMP/out.err")" 1 "lines saying so"
	assert_eq "$(attached_progs "$A")" "" "attached after the exit"
}

test_export_bad_input() {
	pair_lab
	local x="ip netns exec $A $WS"
	in_a python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 19460)); s.listen(1); time.sleep(30)' &
	WS_PIDS+=($!)
	wait_until 5 listens "$A" 19460 || fail "nothing listens on :19460 in A"
	expect_error 8 'cannot listen on 127.0.0.1:19460: address already in use' $x export -i a0
	expect_error 3 "bad --listen 'nowhere'" $x export -i a0 --listen nowhere
	expect_error 3 "bad --listen 'localhost:80'" $x export -i a0 --listen localhost:80
	expect_error 3 "bad --max-ports 'many'" $x export -i a0 --max-ports many
	expect_error 3 "bad --max-ports '2000'" $x export -i a0 --max-ports 2000
	expect_error 3 "--user 'root' is root" $x export -i a0 --user root
	expect_error 3 "unknown --user 'no-such-user'" $x export -i a0 --user no-such-user
	expect_error 3 "-T and -j do not apply" $x export -i a0 -j
	expect_error 3 "unexpected argument '5'" $x export -i a0 5
	expect_error 3 "at least one -i IFACE" $x export
	# Not root: a privileged port is a privilege error (4), not a runtime one.
	expect_error 4 "cannot listen on 127.0.0.1:80: must run as root" \
		ip netns exec "$A" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all "$WS" export -i a0 --listen 127.0.0.1:80
	assert_eq "$(attached_progs "$A")" "" "programs left after bad input"
	assert_match "$("$WS" export --help)" 'Usage: wirescope export -i IFACE' "export --help"
}

# The systemd unit's command line (its ExecStart with the flags of its
# EnvironmentFile) and capability bounding set are enough:
# run its ExecStart (on a0) under that bounding set, on port 80 as a unit
# might; without CAP_SETPCAP the drop fails loudly and attaches nothing.
test_systemd_unit_capabilities() {
	pair_lab
	local unit=tools/deploy/wirescope-exporter.service caps cmd args
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" |
		tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -)
	args=$(. tools/deploy/wirescope-exporter.default && echo "$WIRESCOPE_ARGS")
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed 's/\$WIRESCOPE_ARGS/'"$args"'/' |
		sed -e "s|/usr/sbin/wirescope|$WS|" -e 's/-i eth0/-i a0/' \
			-e 's/127.0.0.1:19460/127.0.0.1:80/')
	bg ip netns exec "$A" setpriv --bounding-set "-all,$caps" $cmd \
		--ready-file "$WS_TMP/unit.ready"
	wait_file "$WS_TMP/unit.ready"
	assert_match "$(cat "/proc/$(cat "$WS_TMP/unit.ready")/status")" \
		$'CapEff:\t0000000000000000' "CapEff under the unit's bounding set"
	assert_match "$(in_a curl -sS http://127.0.0.1:80/metrics)" \
		'wirescope_programs_attached\{hook="tc"\} 2' "scrape on port 80"
	kill -TERM "$BG_PID"
	wait "$BG_PID" || fail "exit code after SIGTERM"
	caps=$(sed 's/,+setpcap//' <<<"$caps")
	expect_error 4 'cannot drop privileges: Operation not permitted' \
		ip netns exec "$A" setpriv --bounding-set "-all,$caps" "$WS" export -i a0
	assert_eq "$(attached_progs "$A")" "" "attached after a failed drop"
}

# Failures no restart mends end the unit at once, with the one-line error:
# their exit codes are in its RestartPreventExitStatus.  Any other code
# restarts every RestartSec=5s forever (systemd's default start limit, 5
# in 10 s, never trips at that pace).  Exit 9, a deleted interface back
# under its name, is one a restart mends: it must not be in the list.
test_systemd_unit_no_restart_loop() {
	pair_lab
	local unit=tools/deploy/wirescope-exporter.service x="ip netns exec $A $WS" prevent code
	prevent=" $(sed -n 's/^RestartPreventExitStatus=//p' "$unit") "
	expect_error 3 "unknown option --bogus" $x export -i a0 --bogus
	expect_error 5 "no such interface: 'nosuch0'" $x export -i nosuch0
	# The unit's --wait-interface waits for a missing name; a bad one is 5.
	expect_error 5 "interface name too long: 'nosuch0nosuch0nosuch0'" \
		$x export --wait-interface -i nosuch0nosuch0nosuch0
	expect_error 6 'this kernel has no BTF' \
		ip netns exec "$A" env WIRESCOPE_TEST_NO_BTF=1 "$WS" export -i a0
	# lo has no native XDP: what a NIC without an XDP driver does.
	expect_error 7 'lo: cannot attach XDP \(native mode\): .* \(the driver has no native XDP: use -m tc' $x export -i lo -m native
	for code in 3 5 6 7; do
		[[ $prevent == *" $code "* ]] || fail "exit $code is not in RestartPreventExitStatus:$prevent"
	done
	[[ $prevent == *" 9 "* ]] && fail "exit 9 is in RestartPreventExitStatus:$prevent"
	grep -qx 'Restart=on-failure' "$unit" || fail "the unit does not restart on exit 9"
	# systemd would delete the clsact lock files a crashed run leaves for
	# the restart (hardening: test_kill9_random_moments_clsact).
	grep -qx 'RuntimeDirectoryPreserve=yes' "$unit" || fail "the unit removes /run/wirescope on stop"
	assert_eq "$(attached_progs "$A")" "" "programs left after the failures"
}

# The alert rules load and behave as their unit tests say.
test_alert_rules() {
	local out
	out=$(promtool check rules tools/deploy/wirescope-rules.yml 2>&1) || fail "promtool check rules: $out"
	out=$(promtool test rules tests/prom/rules_test.yml 2>&1) || fail "promtool test rules: $out"
	assert_match "$out" SUCCESS "promtool test rules"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' tools/deploy/grafana-dashboard.json ||
		fail "dashboard is not JSON"
	# A query grouping by a label its metric lacks runs, and shows nothing.
	out=$(python3 tests/prom/query_labels.py docs/metrics.md tools/deploy/grafana-dashboard.json \
		tools/deploy/wirescope-rules.yml) || fail "queries on labels their metrics lack: $out"
	# shellcheck disable=SC2016 # backquotes of a Markdown table
	printf '| `wirescope_x_total` | counter | `a` | x |\n' >"$WS_TMP/m.md"
	printf 'expr: sum by (b) (rate(wirescope_x_total{a=\"1\"}[5m]))\n' >"$WS_TMP/r.yml"
	python3 tests/prom/query_labels.py "$WS_TMP/m.md" "$WS_TMP/r.yml" >/dev/null &&
		fail "query_labels.py missed a label its metric lacks"
	# shellcheck disable=SC2016 # backquotes of a Markdown table
	printf '| `wirescope_q` | gauge | `a` | q |\n' >>"$WS_TMP/m.md"
	printf 'expr: sum by (a) (rate(wirescope_q[5m]))\n' >"$WS_TMP/r.yml"
	python3 tests/prom/query_labels.py "$WS_TMP/m.md" "$WS_TMP/r.yml" >/dev/null &&
		fail "query_labels.py missed the rate() of a gauge"
	# A dashboard query that mixes the hosts of $instance looks like one
	# host's numbers: every selector filters on it, every sum keeps it.
	# shellcheck disable=SC2016 # Grafana's $instance, not the shell's
	local q='rate(wirescope_x_total{instance=~\"$instance\"}[5m])' d
	for d in "sum($q)|{{instance}}" "sum by (a) ($q)|{{instance}} {{a}}" \
		"sum by (instance) (rate(wirescope_x_total[5m]))|{{instance}}" \
		"sum by (instance) ($q)|rx"; do
		printf '{"panels": [{"targets": [{"expr": "%s", "legendFormat": "%s"}]}]}\n' \
			"${d%|*}" "${d#*|}" >"$WS_TMP/d.json"
		python3 tests/prom/query_labels.py "$WS_TMP/m.md" "$WS_TMP/d.json" >/dev/null &&
			fail "query_labels.py missed a dashboard query across instances: ${d%|*}"
	done
	printf '{"panels": [{"targets": [{"expr": "%s", "legendFormat": "%s"}]}, {"repeat": "instance", "targets": [{"expr": "%s", "legendFormat": "%s"}]}]}\n' \
		"sum by (instance, a) ($q)" "{{instance}} {{a}}" "sum by (le) ($q)" "{{le}}" >"$WS_TMP/d.json"
	out=$(python3 tests/prom/query_labels.py "$WS_TMP/m.md" "$WS_TMP/d.json") ||
		fail "query_labels.py refused per-instance dashboard queries: $out"
	out=$(promtool check config tools/deploy/prometheus.yml 2>&1) || fail "promtool check config: $out"
}
