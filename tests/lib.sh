# SPDX-License-Identifier: GPL-2.0
# Helpers for end-to-end tests.  Each test function runs in its own bash
# process (tests/run_one.sh) with `set -euo pipefail`; everything made through
# these helpers is torn down by ws_cleanup on exit, pass or fail.
#
# Addresses: 198.18.0.0/15 and 2001:db8::/32 only, inside our namespaces.

WS=${WS:-$PWD/wirescope}
WS_TMP=$(mktemp -d /tmp/wstest.XXXXXX)
# Namespace names unique to this test process.
WS_NS_PREFIX="ws$$"
WS_NAMESPACES=()
WS_PIDS=()

log() { echo "# $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
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

# |actual - expected| <= pct% of expected
assert_within_pct() { # actual expected pct message
	local a=$1 e=$2 p=$3 d
	d=$((a > e ? a - e : e - a))
	[ $((d * 100)) -le $((e * p)) ] || fail "$4: got $a, expected $e ±$p%"
}

# ns NAME: create namespace $WS_NS_PREFIX-NAME with lo up; prints its name.
ns() {
	local n="$WS_NS_PREFIX-$1"
	ip netns add "$n"
	WS_NAMESPACES+=("$n")
	ip -n "$n" link set lo up
	echo "$n"
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
# No IPv6 link-local address (addrgenmode none), so no MLD, RS or DAD: only
# the traffic a test sends crosses the link.  IPv6 addresses added by hand
# still work (nodad).
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" addrgenmode none
	ip -n "$3" link set "$4" addrgenmode none
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# mac NS IFACE: the interface's MAC address.
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

# bg CMD...: run in the background, killed at cleanup.  Sets $BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	WS_PIDS+=("$BG_PID")
}

# wait_file PATH [SECONDS]: the explicit readiness signal of --ready-file.
wait_file() {
	local i n=$(( ${2:-10} * 20 ))
	for ((i = 0; i < n; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1"
}

# ws_start NS OUTFILE ARGS...: start wirescope in NS, wait until attached.
# Sets $WS_PID.
ws_start() {
	local n=$1 out=$2 ready="$WS_TMP/ready.$RANDOM"
	shift 2
	bg ip netns exec "$n" "$WS" "$@" --ready-file "$ready" >"$out" 2>"$out.err"
	WS_PID=$BG_PID
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$ready" ] && return 0
		kill -0 "$WS_PID" 2>/dev/null || fail "wirescope exited early: $(cat "$out.err")"
		sleep 0.05
	done
	fail "wirescope did not become ready: $(cat "$out.err")"
}

# ws_stop: SIGINT wirescope and wait for its summary; returns its exit code.
ws_stop() {
	kill -INT "$WS_PID" 2>/dev/null || true
	local rc=0
	wait "$WS_PID" || rc=$?
	return $rc
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
    o=o[k]
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

ws_cleanup() {
	local p n
	for p in "${WS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${WS_PIDS[@]}"; do
		for _ in $(seq 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null || true
	done
	for n in "${WS_NAMESPACES[@]}"; do
		# Kill anything still running inside, then delete.
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	rm -rf "$WS_TMP"
}
