# SPDX-License-Identifier: GPL-2.0
# The resets lab, shared by tools/demo.sh and tests/e2e/resets.sh.  Source
# it, then:
#
#   lab_up PREFIX      client — r1 — r2 — server in namespaces PREFIX-c,
#                      PREFIX-r1, PREFIX-r2, PREFIX-s (PREFIX keeps parallel
#                      runs apart; tests pass their own)
#   lab_down PREFIX    delete them (tests/lib.sh's and tools/nslib.sh's
#                      cleanups do it too)
#
#   198.18.0.0/24  client c0 .2  — r1 r1a .1
#   198.18.1.0/24  r1 r1b .1     — r2 r2a .2
#   198.18.2.0/24  r2 r2b .1     — server s0 .2
#   and the same in 2001:db8:0::/64, 2001:db8:1::/64, 2001:db8:2::/64
#
# Default TTL 64 everywhere; r1 and r2 forward.  Scenario helpers below
# change one thing each: a reject on r2, NAT with a short conntrack idle
# timeout on r2, a black hole on r1, the client's own firewall.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_C_IP=198.18.0.2
LAB_R1_IP=198.18.0.1
LAB_R2_IP=198.18.1.2 # r2 as seen from r1 and the client's side
LAB_S_IP=198.18.2.2
LAB_S_IP6=2001:db8:2::2 # IPv6 too: 2001:db8:0::/64, :1::/64, :2::/64
LAB_PORT=5001

# Record each namespace where the caller's cleanup looks: tests/lib.sh
# (WS_NS_LIST) or tools/nslib.sh (NSLIB_LIST).
lab_ns() { # PREFIX ROLE
	local n="$1-$2"
	ip netns add "$n"
	[ -z "${WS_NS_LIST:-}" ] || echo "$n" >>"$WS_NS_LIST"
	[ -z "${NSLIB_LIST:-}" ] || echo "$n" >>"$NSLIB_LIST"
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv4.ip_default_ttl=64
}

lab_link() { # NS1 IF1 NS2 IF2
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" addrgenmode none
	ip -n "$3" link set "$4" addrgenmode none
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

lab_up() { # PREFIX
	local p=$1
	LAB_C=$p-c LAB_R1=$p-r1 LAB_R2=$p-r2 LAB_S=$p-s
	lab_ns "$p" c
	lab_ns "$p" r1
	lab_ns "$p" r2
	lab_ns "$p" s
	lab_link "$LAB_C" c0 "$LAB_R1" r1a
	lab_link "$LAB_R1" r1b "$LAB_R2" r2a
	lab_link "$LAB_R2" r2b "$LAB_S" s0
	ip -n "$LAB_C" addr add $LAB_C_IP/24 dev c0
	ip -n "$LAB_R1" addr add $LAB_R1_IP/24 dev r1a
	ip -n "$LAB_R1" addr add 198.18.1.1/24 dev r1b
	ip -n "$LAB_R2" addr add $LAB_R2_IP/24 dev r2a
	ip -n "$LAB_R2" addr add 198.18.2.1/24 dev r2b
	ip -n "$LAB_S" addr add $LAB_S_IP/24 dev s0
	ip -n "$LAB_C" route add default via $LAB_R1_IP
	ip -n "$LAB_S" route add default via 198.18.2.1
	ip -n "$LAB_R1" route add 198.18.2.0/24 via $LAB_R2_IP
	ip -n "$LAB_R2" route add 198.18.0.0/24 via 198.18.1.1
	ip netns exec "$LAB_R1" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$LAB_R2" sysctl -qw net.ipv4.ip_forward=1
	lab_up6
	# One path each way: no route caching surprises, ARP resolved.
	ip netns exec "$LAB_C" ping -c1 -W2 -q $LAB_S_IP >/dev/null
}

# Routers need a link-local address to resolve neighbours for forwarded
# packets: fe80::HOST next to each global address.
lab_addr6() { # NS IFACE ADDR
	ip -n "$1" addr add "$3/64" dev "$2" nodad
	ip -n "$1" addr add "fe80::${3##*:}/64" dev "$2" nodad
}

lab_up6() {
	local ns
	for ns in "$LAB_C" "$LAB_R1" "$LAB_R2" "$LAB_S"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.hop_limit=64
	done
	lab_addr6 "$LAB_C" c0 2001:db8:0::2
	lab_addr6 "$LAB_R1" r1a 2001:db8:0::1
	lab_addr6 "$LAB_R1" r1b 2001:db8:1::1
	lab_addr6 "$LAB_R2" r2a 2001:db8:1::2
	lab_addr6 "$LAB_R2" r2b 2001:db8:2::1
	lab_addr6 "$LAB_S" s0 $LAB_S_IP6
	ip -n "$LAB_C" -6 route add default via 2001:db8:0::1
	ip -n "$LAB_S" -6 route add default via 2001:db8:2::1
	ip -n "$LAB_R1" -6 route add 2001:db8:2::/64 via 2001:db8:1::2
	ip -n "$LAB_R2" -6 route add 2001:db8:0::/64 via 2001:db8:1::1
	ip netns exec "$LAB_R1" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec "$LAB_R2" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec "$LAB_C" ping -6 -c1 -W2 -q $LAB_S_IP6 >/dev/null
}

lab_down() { # PREFIX
	local r
	for r in c r1 r2 s; do
		ip netns pids "$1-$r" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$1-$r" 2>/dev/null || true
	done
}

# The namespace of a lab ROLE: c r1 r2 s.
lab_role_ns() {
	case $1 in c) echo "$LAB_C" ;; r1) echo "$LAB_R1" ;; r2) echo "$LAB_R2" ;; s) echo "$LAB_S" ;; *) return 1 ;; esac
}

# Run in a lab namespace: lab_exec ROLE CMD...
lab_exec() {
	local ns
	ns=$(lab_role_ns "$1") || return 1
	shift
	ip netns exec "$ns" "$@"
}

# The lab's TCP ends (tools/lab_tcp.py).
lab_server() { lab_exec s python3 "$LAB_DIR/lab_tcp.py" server "$LAB_PORT" "$@"; }
# Short connections on LAB_PORT + 1: the closer accepts and closes N, the
# churn connects N times and reads each to the closer's FIN (four-way
# closes), or with --abort resets each once connected.
lab_closer() { # N
	lab_exec s python3 "$LAB_DIR/lab_tcp.py" closer $((LAB_PORT + 1)) "$1" --timeout 30
}
lab_churn() { # N [--abort]
	lab_exec c python3 "$LAB_DIR/lab_tcp.py" churn "$LAB_S_IP" $((LAB_PORT + 1)) "$@" --timeout 30
}
lab_client() { # STEPS (to $LAB_TARGET, the server's IPv4 address by default)
	lab_exec c python3 "$LAB_DIR/lab_tcp.py" client "${LAB_TARGET:-$LAB_S_IP}" "$LAB_PORT" "$@"
}

# The client asks for a push, waits until the server's 4 KB are all in
# (peek) and acknowledged (nothing unacked on the server's socket), then
# closes with them unread: one RST, TCP_ABORT_ON_CLOSE.  Closing before the
# server has its ACK lets a retransmission (a stalled VM) reach the closed
# socket and draw a second RST, NO_SOCKET.
lab_client_abort_on_close() {
	local peeked acked pid rc=0
	peeked=$(mktemp -u "${WS_TMP:-/tmp}/lab_peeked.XXXXXX")
	acked=$(mktemp -u "${WS_TMP:-/tmp}/lab_acked.XXXXXX")
	lab_client "send:push,peek,touch:$peeked,wait:$acked,close" --timeout 30 &
	pid=$!
	if ! nslib_wait_until 5 test -e "$peeked"; then
		echo "lab: the client never had the server's data" >&2
		rc=1
	elif ! nslib_wait_until 5 lab_server_acked; then
		echo "lab: the server's data was never all acknowledged" >&2
		rc=1
	fi
	touch "$acked"
	wait "$pid" || rc=$?
	rm -f "$peeked" "$acked"
	return $rc
}

# The server's socket on $LAB_PORT has nothing unacknowledged.
lab_server_acked() {
	[ "$(lab_exec s ss -tinH "sport = :$LAB_PORT" | grep -c unacked:)" = 0 ]
}

# A Tcp counter of /proc/net/snmp in the client (or ROLE).
lab_tcp_snmp() { # FIELD [ROLE]
	lab_exec "${2:-c}" awk -v f="$1" '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) h[i] = $i; n = 1 } else for (i = 1; i <= NF; i++) if (h[i] == f) print $i }' /proc/net/snmp
}

# N connects from ROLE to ADDR, one at a time, to PORT, PORT + STEP, ...;
# prints how many were refused (ECONNREFUSED).
lab_connect_loop() { # ROLE ADDR N PORT STEP
	lab_exec "$1" python3 -c '
import errno, socket, sys
addr, n, port, step = sys.argv[1], *map(int, sys.argv[2:])
refused = 0
for i in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.settimeout(3)
    refused += s.connect_ex((addr, port + i * step)) == errno.ECONNREFUSED
    s.close()
print(refused)' "$2" "$3" "$4" "$5"
}

# N connects from the client to ADDR:$LAB_PORT.
lab_connects() { lab_connect_loop c "$1" "${2:-1}" "$LAB_PORT" 0; } # ADDR [N]

# A connect scan (nmap -sT) from ROLE of ADDR's ports FIRST..FIRST+N-1.
lab_scan() { lab_connect_loop "$1" "$2" "$4" "$3" 1; } # ROLE ADDR FIRST N

# r1 or r2 refuses new connections to the lab port with a TCP reset (on
# the forwarded path, as a firewall's reject rule), counting them; with
# "noecho", it drops echo requests too.
lab_router_refuse() { # r1|r2 [noecho]
	local echo=""
	[ "${2:-}" != noecho ] || echo="icmp type echo-request drop; icmpv6 type echo-request drop"
	lab_filter "$1" lab_refuse forward "tcp dport $LAB_PORT tcp flags syn counter reject with tcp reset; $echo"
}

# One filter chain in a lab namespace: lab_filter ROLE TABLE HOOK RULE [POLICY]
lab_filter() {
	local ns
	ns=$(lab_role_ns "$1") || return 1
	shift
	nslib_nft_chain "$ns" "$@"
}

# r2 answers the flow's next client segment with a TCP reset.
lab_r2_reject() {
	lab_filter r2 lab_reject forward \
		"ip saddr $LAB_C_IP tcp dport $LAB_PORT reject with tcp reset"
}
lab_r2_reject6() {
	lab_filter r2 lab_reject6 forward \
		"ip6 saddr 2001:db8::2 tcp dport $LAB_PORT reject with tcp reset"
}

# r2 masquerades toward the server and forgets idle flows after SECONDS
# (tests pass a long one and shorten one flow's with lab_r2_nat_idle); with
# tcp_loose=0 a segment of a forgotten flow is "invalid" and rejected
# with a reset, as NAT gateways and cloud NATs do.
lab_r2_nat() { # SECONDS
	lab_exec r2 nft -f - <<EOF
table ip lab_nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "r2b" masquerade
	}
	chain forward_filter {
		type filter hook forward priority 0;
		ct state invalid meta l4proto tcp reject with tcp reset
	}
}
EOF
	lab_exec r2 sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	lab_exec r2 sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established="$1"
}

# r2 forgets the client's flow from PORT after SECONDS idle from now,
# while every other flow keeps lab_r2_nat's timeout.  Tests shorten it only
# once the flow has exchanged its data, and for it alone: a VM under TCG
# can stall for seconds, and a NAT with the short timeout from the start,
# or for every flow, forgot a flow between two of its packets.  A packet
# of the flow after this restarts the long timeout: lab_r2_forgets_client
# shortens it again.  conntrack -U updates a NAT's entry only when given
# its whole tuple.
lab_r2_nat_idle() { # SECONDS PORT
	lab_exec r2 conntrack -U -p tcp -s $LAB_C_IP -d $LAB_S_IP --sport "$2" \
		--dport $LAB_PORT --timeout "$1" >/dev/null 2>&1
}

# The seconds r2 keeps the client's flow from PORT if it stays idle; empty
# once r2 forgot it.
lab_r2_flow_timeout() { # PORT
	lab_exec r2 conntrack -L -p tcp -s $LAB_C_IP --sport "$1" --dport $LAB_PORT \
		2>/dev/null | awk '{ print $3 }'
}

# True once r2 forgot the client's flow from PORT; until then it keeps
# the flow's timeout at SECONDS at most.
lab_r2_forgets_client() { # SECONDS PORT
	local left
	left=$(lab_r2_flow_timeout "$2")
	[ -n "$left" ] || return 0
	[ "$left" -le "$1" ] || lab_r2_nat_idle "$1" "$2" || true
	return 1
}

# r1 forwards nothing any more.
lab_r1_blackhole() { lab_filter r1 lab_hole forward "" drop; }

# The client's own firewall rejects its outgoing segments to the server.
lab_client_reject() {
	lab_filter c lab_local output \
		"ip daddr $LAB_S_IP tcp dport $LAB_PORT reject with tcp reset"
}

# The server sends no RST (so its socket can vanish silently), or again.
lab_server_mute_rst() { lab_filter s lab_mute output "tcp flags rst drop"; }
lab_server_unmute_rst() { lab_exec s nft delete table inet lab_mute; }

# Injectors (tools/rst_inject.py): an LB idle reset on r2, a forger on r1.
lab_lb_injector() { # IDLE_SECONDS
	lab_exec r2 python3 "$LAB_DIR/rst_inject.py" lb r2a "$LAB_PORT" --idle "$1"
}
lab_forger() { # [rst_inject.py forge options]
	lab_exec r1 python3 "$LAB_DIR/rst_inject.py" forge r1a "$LAB_PORT" "$@"
}
# COUNT IPv6 RSTs from the server's address to the client's PORT, each
# behind a destination-options header, sent by r1.
lab_ext6_rsts() { # PORT COUNT
	lab_exec r1 python3 "$LAB_DIR/rst_inject.py" ext6 r1a "$1" \
		--src "$LAB_S_IP6" --dst 2001:db8:0::2 --count "$2"
}
