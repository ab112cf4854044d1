# SPDX-License-Identifier: GPL-2.0
# Helpers for end-to-end tests.  Each test function runs in its own bash
# process (tests/run_one.sh) with `set -euo pipefail`; everything made through
# these helpers is torn down by ws_cleanup on exit, pass or fail.
#
# Addresses: 198.18.0.0/15 and 2001:db8::/32 only, inside our namespaces.

WS=${WS:-$PWD/wirescope}
WS_TMP=$(mktemp -d /tmp/wstest.XXXXXX)
: >"$WS_TMP/started" # what changed since (ws_forget_locks)
# Namespace names unique to this test (run.sh passes one and checks that
# nothing with it survives the test).
WS_NS_PREFIX=${WS_NS_PREFIX:-ws$$}
# What a test creates is recorded in files, not arrays: `A=$(ns a)` runs in
# a subshell, and an array there would be lost before cleanup.
WS_NS_LIST="$WS_TMP/namespaces"
WS_PIDS=()

log() { echo "# $*" >&2; }
fail() {
	echo "FAIL: $*" | tee -a "$WS_TMP/failed" >&2 2>/dev/null
	exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }

assert_eq() { # actual expected message
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
assert_ge() { # actual minimum message
	[ "$1" -ge "$2" ] || fail "$3: got $1, expected >= $2"
}
assert_le() { # actual maximum message
	[ "$1" -le "$2" ] || fail "$3: got $1, expected <= $2"
}
assert_match() { # text regex message
	grep -Eq -- "$2" <<<"$1" || fail "$3: '$1' does not match /$2/"
}
# expect_error RC REGEX CMD...: one line on stderr, exit code RC.
expect_error() {
	local want=$1 re=$2 rc=0
	shift 2
	"$@" >"$WS_TMP/stdout" 2>"$WS_TMP/stderr" || rc=$?
	assert_eq "$rc" "$want" "exit code of '$*'"
	assert_eq "$(wc -l <"$WS_TMP/stderr")" 1 "stderr lines of '$*'"
	assert_match "$(cat "$WS_TMP/stderr")" "$re" "message of '$*'"
}

# assert_passive_opens DELTA HANDSHAKES MESSAGE: the kernel counts
# PassiveOpens when it builds a child socket, before it learns whether
# another CPU's packet for the same request (the final ACK and the FIN right
# behind it) already built one (tcp_check_req's req_stolen).  The loser is
# freed, but stays counted: PassiveOpens may exceed the handshakes by a few.
assert_passive_opens() {
	assert_ge "$1" "$2" "$3"
	assert_le "$1" "$(($2 + 2))" "$3"
}

# |actual - expected| <= pct% of expected
assert_within_pct() { # actual expected pct message
	local a=$1 e=$2 p=$3 d
	d=$((a > e ? a - e : e - a))
	[ $((d * 100)) -le $((e * p)) ] || fail "$4: got $a, expected $e ±$p%"
}

# ns NAME: namespace $WS_NS_PREFIX-NAME, lo up, removed at cleanup; prints
# its name.  veth NS1 IF1 NS2 IF2: a veth pair between two of them, both ends
# up, no IPv6 autoconfiguration.  wait_until SECONDS CMD...: CMD every 50 ms
# until it succeeds (false after SECONDS).  at_least N CMD...: CMD printed a
# number >= N.  nft_chain NS TABLE HOOK RULE: a table in NS with one filter
# chain on HOOK holding RULE.  All come from tools/nslib.sh.
NSLIB_PREFIX=$WS_NS_PREFIX
NSLIB_LIST=$WS_NS_LIST
source "$(dirname "${BASH_SOURCE[0]}")/../tools/nslib.sh"
# CPUs the kernel may bring up ("0-N"): the count of per-CPU map slots.
possible_cpus() { echo $(($(cut -d- -f2 /sys/devices/system/cpu/possible) + 1)); }

ns() { nslib_ns "$@"; }
veth() { nslib_veth "$@"; }
wait_until() { nslib_wait_until "$@"; }
at_least() { nslib_at_least "$@"; }
nft_chain() { nslib_nft_chain "$@"; }

# pair_lab: namespaces $A and $B joined by veth a0 <-> b0.  MTU 3000: room
# for the 1519+ size bucket (native XDP on veth allows up to ~3.5 KB).
pair_lab() {
	A=$(ns a)
	B=$(ns b)
	veth "$A" a0 "$B" b0
	ip -n "$A" link set a0 mtu 3000
	ip -n "$B" link set b0 mtu 3000
}

# lab_addrs: 198.18.0.1/24 on A's a0, 198.18.0.2/24 on B's b0.
lab_addrs() {
	ip -n "$A" addr add 198.18.0.1/24 dev a0
	ip -n "$B" addr add 198.18.0.2/24 dev b0
}

# lab_static_neigh: permanent ARP entries for lab_addrs' two addresses.  A
# test that compares counters over a window needs a silent link: otherwise
# the neighbour probe the kernel sends ~5 s after a TCP exchange (DELAY ->
# PROBE) may cross a0 between wirescope's detach and the counters' read.
lab_static_neigh() {
	ip -n "$A" neigh replace 198.18.0.2 lladdr "$(mac "$B" b0)" dev a0 nud permanent
	ip -n "$B" neigh replace 198.18.0.1 lladdr "$(mac "$A" a0)" dev b0 nud permanent
}

# ip_lab: namespaces $A and $B joined by veth a0 <-> b0, with lab_addrs.
ip_lab() {
	A=$(ns a)
	B=$(ns b)
	veth "$A" a0 "$B" b0
	lab_addrs
}

# write_trafgen_cfg FILE: one UDP frame per size bucket, 60, 100, 192, 442,
# 942, 1442 and 1842 bytes (5020 in all).  The destination MAC is not a0's,
# so A's stack drops them silently: no replies, nothing on a0's tx side.
write_trafgen_cfg() {
	local pad
	: >"$1"
	for pad in 18 58 150 400 900 1400 1800; do
		echo "{ eth(da=02:00:00:00:00:99, type=0x0800), ipv4(sa=198.18.0.2, da=198.18.0.1, proto=17), udp(sp=1000, dp=2000), fill(0x00, $pad) }" >>"$1"
	done
}

# mac NS IFACE: the interface's MAC address.
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

# map_ids PID: the ids of the BPF maps that process holds open.
map_ids() {
	grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}

# map_dump PID NAME: bpftool's JSON dump of the map NAME that PID holds.
map_dump() {
	local id
	for id in $(map_ids "$1"); do
		bpftool -j map show id "$id" | grep -q "\"name\":\"$2\"" || continue
		bpftool -j map dump id "$id"
		return
	done
}

# mac_bytes MAC: MAC as a trafgen config's bytes ("0x02, 0x00, ...").
mac_bytes() { sed 's/^/0x/; s/:/, 0x/g' <<<"$1"; }

# write_syn_flood_cfg FILE MAC PORT: a trafgen SYN to MAC, 198.18.0.1:PORT,
# from a random 198.19.x.y address and port each (raw bytes: trafgen's
# ipv4() cannot randomise an address).  The receiver needs syn_flood_sink.
write_syn_flood_cfg() {
	cat >"$1" <<-EOF
	{
	  $(mac_bytes "$2"), 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	  0x45, 0x00, c16(40), drnd(2), 0x40, 0x00, 64, 6, csumip(14, 33),
	  198, 19, drnd(), drnd(),  198, 18, 0, 1,
	  drnd(2), c16($3), drnd(4), c32(0), 0x50, 0x02, c16(65535), csumtcp(14, 34), c16(0)
	}
	EOF
}

# syn_flood_sink NS IFACE [PREFIX]: the flood's SYNs from made-up sources in
# PREFIX (198.19.0.0/16) reach TCP whatever the host's rp_filter (a new
# namespace copies it; their reverse path is a blackhole), and the replies
# die there, without an ARP storm.
syn_flood_sink() {
	ip -n "$1" route add blackhole "${3:-198.19.0.0/16}"
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		"net.ipv4.conf.$2.rp_filter=0"
}

# bg CMD...: run in the background, killed at cleanup.  Sets $BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	WS_PIDS+=("$BG_PID")
}

# fresh_path PREFIX: a path in WS_TMP that no earlier step of this test
# used.  A ready file left by an earlier start would read as ready at once
# ($RANDOM names collide: 24 starts in one test collide 1 time in 120).
fresh_path() { mktemp -u "$WS_TMP/$1.XXXXXXXX"; }

# wait_file PATH [SECONDS]: the explicit readiness signal of --ready-file.
wait_file() {
	wait_until "${2:-10}" test -s "$1" || fail "timed out waiting for $1"
}

# has REGEX: true if a line of stdin matches REGEX (ERE), reading all of it.
# `cmd | grep -q` stops at the first match; under pipefail a writer still
# writing (nft writes line by line) then dies of SIGPIPE and fails the pipe.
has() { awk -v re="$1" '$0 ~ re { f = 1 } END { exit !f }'; }

# wait_steady CMD...: until CMD's output (a counter) stays put for 0.5 s, at
# most 10 s: packets still in flight or in a backlog have been counted.
wait_steady() {
	local prev cur i
	prev=$("$@")
	for ((i = 0; i < 20; i++)); do
		sleep 0.5
		cur=$("$@")
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
	done
	fail "'$*' still moving"
}

# "dropped squeezed" summed over CPUs: /proc/net/softnet_stat is per host,
# so other tests running on the machine can raise it under ours.
softnet_totals() {
	python3 -c '
d = q = 0
for l in open("/proc/net/softnet_stat"):
    f = l.split()
    d += int(f[1], 16); q += int(f[2], 16)
print(d, q)'
}

# The finding ids of a diag -j run, sorted, space-separated.  softnet_drops
# and softnet_squeeze are left out when the host's own counters rose since
# SOFTNET0 (softnet_totals before the run): that is someone else's traffic,
# and diag was right to say so.  With "all", nothing is left out.
finding_ids() { # FILE [all]
	python3 -c '
import json, sys
d0, q0 = map(int, sys.argv[2].split())
d1, q1 = map(int, sys.argv[3].split())
skip = {"softnet_drops"} if d1 != d0 and len(sys.argv) < 5 else set()
skip |= {"softnet_squeeze"} if q1 != q0 and len(sys.argv) < 5 else set()
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if "\"finding\"" in l]
print(" ".join(sorted(i for i in ids if i not in skip)))' "$1" "$SOFTNET0" "$(softnet_totals)" ${2:+"$2"}
}

# silence_orphans NS PORT: drop what NS sends to PORT.  Clients gone from a
# full listener leave orphaned sockets that resend FINs and ACKs into its
# queue for minutes, each one another overflow: the counter then stops.
silence_orphans() {
	ip netns exec "$1" nft -f - <<NFT
table inet wsquiet {
	chain out {
		type filter hook output priority 0;
		tcp dport $2 drop
	}
}
NFT
}

# kernel_btf_has NAME: the running kernel's BTF names NAME (a type, an
# enumerator): what a tracepoint or a drop reason can tell us here.
kernel_btf_has() {
	grep -qa "$1" /sys/kernel/btf/vmlinux
}

# wait_tcp_gone NS DST SECONDS [SS-FILTER...]: until NS has no TCP socket to
# DST (ADDR:PORT) that ss's filter (e.g. "exclude time-wait") keeps.
wait_tcp_gone() {
	local ns=$1 dst=$2 secs=$3
	shift 3
	wait_until "$secs" no_tcp_to "$ns" "$dst" "$@" ||
		fail "a socket to $dst is still open: $(ip netns exec "$ns" ss -Htan dst "$dst")"
}

# listens NS PORT: a TCP socket in NS listens on PORT.
listens() { ip netns exec "$1" ss -Hltn "sport = :$2" | has .; }

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

no_tcp_to() { # NS DST [SS-FILTER...]
	[ -z "$(ip netns exec "$1" ss -Htan "${@:3}" dst "$2")" ]
}

# ws_start NS OUTFILE ARGS...: start wirescope in NS, wait until attached.
# Sets $WS_PID, and $WS_READY: its ready file, written as the watch begins.
ws_start() {
	local n=$1 out=$2 ready
	ready=$(fresh_path ready)
	WS_READY=$ready
	shift 2
	echo "$out" >>"$WS_TMP/ws_outputs"
	bg ip netns exec "$n" "$WS" "$@" --ready-file "$ready" >"$out" 2>"$out.err"
	WS_PID=$BG_PID
	# A deadline, not a count: under TCG loading every program takes
	# seconds, and each turn of a polling loop costs more than its sleep.
	local end=$((SECONDS + ${WS_READY_SECS:-60}))
	while [ "$SECONDS" -lt "$end" ]; do
		[ -s "$ready" ] && return 0
		kill -0 "$WS_PID" 2>/dev/null || fail "wirescope exited early: $(cat "$out.err")"
		sleep 0.05
	done
	[ -s "$ready" ] && return 0
	fail "wirescope did not become ready in ${WS_READY_SECS:-60} s: $(cat "$out.err")"
}

# wait_exit PID SECONDS: sets $EXIT_RC, or fails if it still runs by then.
wait_exit() {
	wait_until "$2" pid_gone "$1" ||
		fail "still running after $2 s: $(cat "$WS_TMP"/*.err 2>/dev/null)"
	EXIT_RC=0
	wait "$1" || EXIT_RC=$?
}

# ws_stop: SIGINT wirescope and wait for its summary (WS_STOP_SECS, 60 s
# at most: a hang fails here, named); returns its exit code.
ws_stop() {
	kill -INT "$WS_PID" 2>/dev/null || true
	wait_exit "$WS_PID" "${WS_STOP_SECS:-60}"
	return $EXIT_RC
}

# The packet counts of the nft listing on stdin, one per counter, in order.
nft_packets() {
	grep -o 'packets [0-9]*' | cut -d' ' -f2
}

# nstat_abs NS NAME: the absolute value of nstat counter NAME (TcpOutRsts,
# IpReasmFails...) in NS.
nstat_abs() {
	ip netns exec "$1" nstat -asz "$2" | awk -v k="$2" '$1 == k {print $2}'
}

# Interface counter from /sys, inside a namespace.
ifstat() { # NS IFACE COUNTER
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# JSON field extraction without jq: jfield JSONLINE KEY
jfield() {
	python3 -c 'import json,sys
o=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    o=o[int(k)] if isinstance(o, list) else o[k]
print(o)' "$1" "$2"
}

# What netlink shows attached in namespace NS: "xdp:ID" per XDP program and
# the names of tc filters.  (bpftool 7.1 cannot see tcx links: use
# prog_ids/progs_alive for those.)
attached_progs() {
	ip netns exec "$1" bpftool -j net 2>/dev/null | python3 -c '
import json, sys
for ns in json.load(sys.stdin):
    for x in ns.get("xdp", []):
        print("xdp:%s" % x.get("id"))
    for t in ns.get("tc", []):
        print(t.get("name", "?"))' | sort -u
}

# prog_ids PID: ids of the BPF programs a process holds (prog and link fds).
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}

# progs_alive ID...: the ids among these that still exist in the kernel.
progs_alive() {
	local id
	for id in "$@"; do
		bpftool prog show id "$id" >/dev/null 2>&1 && echo "$id"
	done
	true
}

no_progs_alive() { [ -z "$(progs_alive "$@")" ]; } # IDS...

# tcx_progs NS IFACE: ids of the programs on IFACE's tcx ingress and egress
# (BPF_PROG_QUERY; bpftool 7.1 cannot show them).
tcx_progs() {
	ip netns exec "$1" python3 - "$2" <<'EOF'
import ctypes, platform, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
nr = {"x86_64": 321, "aarch64": 280}[platform.machine()]
ifindex = socket.if_nametoindex(sys.argv[1])
for attach_type in (46, 47):  # BPF_TCX_INGRESS, BPF_TCX_EGRESS
    ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(64)
    struct.pack_into("IIIIQI", attr, 0, ifindex, attach_type, 0, 0,
                     ctypes.addressof(ids), 64)
    if libc.syscall(nr, 16, attr, 64) != 0:  # BPF_PROG_QUERY
        sys.exit("BPF_PROG_QUERY: errno %d" % ctypes.get_errno())
    count = struct.unpack_from("I", attr, 24)[0]
    for i in range(count):
        print("tcx:%d:%d" % (attach_type, ids[i]))
EOF
}

# kill9_leaves_nothing NS PID [IFACE]: PID holds our programs and has
# them on IFACE's (a0's) tcx ingress and egress in NS; after kill -9 no
# program of it is alive and nothing is attached.
kill9_leaves_nothing() {
	local ids tcx dir id ifc=${3:-a0}
	ids=$(prog_ids "$2")
	assert_ge "$(wc -w <<<"$ids")" 2 "programs held while running"
	tcx=$(tcx_progs "$1" "$ifc")
	for dir in 46 47; do # BPF_TCX_INGRESS, BPF_TCX_EGRESS
		id=$(grep -Eo "^tcx:$dir:[0-9]+$" <<<"$tcx" | cut -d: -f3)
		assert_eq "$(wc -w <<<"$id")" 1 "one tcx:$dir program while running: '$tcx'"
		grep -qx "$id" <<<"$ids" || fail "tcx:$dir program $id is not one PID $2 holds ($ids)"
	done
	kill -KILL "$2"
	wait "$2" 2>/dev/null || true
	# shellcheck disable=SC2086
	wait_until 5 no_progs_alive $ids || true
	assert_eq "$(progs_alive $ids)" "" "programs alive after kill -9"
	assert_eq "$(tcx_progs "$1" "$ifc")" "" "tcx programs after kill -9"
	assert_eq "$(attached_progs "$1")" "" "attached after kill -9"
}

# The host-global sysctls (only the initial namespace has them) a test may
# change for a moment; tests/run.sh checks and restores them after each test.
GUARDED_SYSCTLS=${GUARDED_SYSCTLS:-"net.core.netdev_max_backlog net.core.netdev_budget net.core.rmem_max"}
HOST_SYSCTL_LOCK=${HOST_SYSCTL_LOCK:-/run/wirescope-tests.host-sysctl.lock}

# host_sysctl NAME VALUE: set a guarded host sysctl for this test, holding a
# lock that every suite's run.sh takes before it reads or restores the
# host's values.
# host_sysctls_restore (or cleanup) puts the old values back.
host_sysctl() {
	host_sysctl_guarded "$1"
	host_sysctl_lock
	echo "$1 $(sysctl -n "$1")" >>"$WS_TMP/sysctls"
	sysctl -qw "$1=$2"
}

# host_sysctl_min NAME MIN: host_sysctl NAME MIN if the host's value is
# below MIN; read under the lock, so never another test's temporary value.
host_sysctl_min() {
	host_sysctl_guarded "$1"
	host_sysctl_lock
	[ "$(sysctl -n "$1")" -ge "$2" ] || host_sysctl "$1" "$2"
}

# host_sysctl_lock: take the lock now (host_sysctl does), held until this
# test exits: before starting what must watch only our own changes.  Once:
# opening fd 9 again would let go of it for a moment.
host_sysctl_lock() {
	[ -n "${HOST_SYSCTL_HELD:-}" ] && return 0
	exec 9>"$HOST_SYSCTL_LOCK"
	flock -w 60 9 || fail "host_sysctl: lock busy"
	HOST_SYSCTL_HELD=1
}

host_sysctl_guarded() {
	[[ " $GUARDED_SYSCTLS " == *" $1 "* ]] || fail "host_sysctl: $1 is not guarded"
}

host_sysctls_restore() {
	local n v
	[ -f "$WS_TMP/sysctls" ] || return 0
	tac "$WS_TMP/sysctls" | while read -r n v; do
		sysctl -qw "$n=$v" || true
	done
	rm -f "$WS_TMP/sysctls"
}

# The resets lab's client (tools/lab.sh): it talks, then waits for "go"
# ($CLIENT_PRE: steps before), and says it woke.  Its waits end after
# $CLIENT_TIMEOUT wall seconds, long enough for the turns of wait_until
# under TCG (each forks a process or two).
client_wait_go() { # STEPS_AFTER_GO
	bg lab_client "${CLIENT_PRE:-}send:hi,recv,touch:$WS_TMP/ready,wait:$WS_TMP/go,touch:$WS_TMP/woke,$1" --timeout "${CLIENT_TIMEOUT:-60}" >"$WS_TMP/client"
	CLIENT_PID=$BG_PID
	wait_file "$WS_TMP/ready"
}

client_go() {
	touch "$WS_TMP/go"
	wait "$CLIENT_PID" || true
}

# r2's NAT forgets the waiting client's flow once it idled SECONDS (while
# STEP, a function and its arguments, runs), and has forgotten it when
# this returns.
nat_forget_client() { # SECONDS [STEP...]
	local port
	NAT_IDLE_S=$1
	port=$(sed -n 's/^connected //p' "$WS_TMP/client")
	lab_r2_nat_idle "$1" "$port" || fail "r2's NAT holds no entry for the client's flow"
	"${@:2}"
	wait_until 10 lab_r2_forgets_client "$1" "$port" ||
		fail "r2's NAT still holds the idle flow"
}

# IDLE_S (a resets record's idle_s, or diag's idle_min_s) is the waiting
# client's idle time: at least the NAT's (nat_forget_client), at most the
# time from its "ready" to its waking (the files' mtimes) and a second.
assert_idle_s() { # IDLE_S
	local waited
	waited=$(mtime_gap "$WS_TMP/ready" "$WS_TMP/woke")
	assert_ge "${1%%.*}" "$NAT_IDLE_S" "idle seconds before the reset (the NAT's timeout)"
	assert_le "${1%%.*}" $((waited + 1)) "idle seconds before the reset (the client waited $waited)"
}

# Whole seconds from FILE1's last change to FILE2's.
mtime_gap() { # FILE1 FILE2
	python3 -c 'import os, sys; print(int(os.stat(sys.argv[2]).st_mtime - os.stat(sys.argv[1]).st_mtime))' "$1" "$2"
}

# ws_dump_outputs: on a failed test, the tail of what the last two
# wirescope starts wrote (their records, the summary and stderr), so a
# failure CI saw once can be read from its log.  It stays under the 25 lines
# of a test's log that run.sh shows, and ends with the FAIL line again:
# make vmtest's summary keeps a failure's last lines only.
ws_dump_outputs() {
	local out
	[ -s "$WS_TMP/ws_outputs" ] || return 0
	tail -n 2 "$WS_TMP/ws_outputs" | while read -r out; do
		echo "--- $(basename "$out"): its last lines, and stderr's"
		tail -n 6 "$out" 2>/dev/null | cut -c1-1000 || true
		tail -n 3 "$out.err" 2>/dev/null | cut -c1-300 || true
	done >&2
	tail -n 1 "$WS_TMP/failed" >&2 2>/dev/null || true
}

# ws_forget_locks: the clsact lock files this test's namespaces left (a
# kill -9 on the clsact path, or a stop without the right to unlink them).
# Named by a namespace cookie (or inode, before 5.14) that is gone with the
# namespace: no later start can take them back.  Run once the namespaces
# are deleted; the host's own namespace keeps its files.
ws_forget_locks() {
	local f files host
	files=$(find /run/wirescope -maxdepth 1 -name 'clsact-*.lock' \
		-newer "$WS_TMP/started" 2>/dev/null) || return 0
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2119
	host=c$(netns_cookie) || host=
	for f in $files; do
		case ${f##*/} in
		clsact-"${host:-c0}"-* | clsact-"$(stat -L -c %i /proc/self/ns/net)"-*) continue ;;
		esac
		flock -n "$f" rm -f "$f" || true # a holder is still running
	done
}

# netns_cookie [NS]: the cookie of NS (default: this namespace), which names
# the clsact lock files; fails before 5.14 (no SO_NETNS_COOKIE).
# shellcheck disable=SC2120 # the tests pass NS; cleanup asks for its own
netns_cookie() {
	local run=()
	[ -z "${1:-}" ] || run=(ip netns exec "$1")
	"${run[@]}" python3 -c 'import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
print(struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0])' 2>/dev/null
}

# ws_cleanup [STATUS]: the test's exit status (default: $? as the EXIT trap
# sees it) decides whether its outputs are dumped.
ws_cleanup() {
	local rc=${1:-$?} p n
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		ws_dump_outputs || true
	fi
	for p in "${WS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${WS_PIDS[@]}"; do
		wait_until 2 pid_gone "$p" || true
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -f "$WS_NS_LIST" ] && while read -r n; do
		# Kill anything still running inside, then delete.
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done <"$WS_NS_LIST"
	ws_forget_locks
	host_sysctls_restore
	rm -rf "$WS_TMP"
}
