# SPDX-License-Identifier: GPL-2.0
# Namespaces and background processes for the lab scripts (demo, bench):
# everything made through these helpers goes away in nslib_cleanup, which
# the caller runs from an EXIT trap.  Source it; set NSLIB_PREFIX first.

# The tools as sudo's secure_path finds them, the packages tools/deps.sh
# installs: root without sudo (CI) may have a version manager's shim first,
# and pyenv's python3 shim costs 0.4 s a call against 0.03.  A PATH without
# the system's directories is a caller's choice (a test's missing tool).
case ":$PATH:" in
*:/usr/bin:*) PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH ;;
esac

NSLIB_PREFIX=${NSLIB_PREFIX:-wslab$$}
# A file, not an array: `X=$(nslib_ns x)` runs in a subshell.  The test
# harness points it at its own list (tests/lib.sh).
NSLIB_LIST=${NSLIB_LIST:-$(mktemp /tmp/nslib.XXXXXX)}
NSLIB_PIDS=()

# nslib_ns NAME: create $NSLIB_PREFIX-NAME with lo up; prints the name.
nslib_ns() {
	local n="$NSLIB_PREFIX-$1"
	ip netns add "$n"
	echo "$n" >>"$NSLIB_LIST"
	ip -n "$n" link set lo up
	echo "$n"
}

# nslib_veth NS1 IF1 NS2 IF2: a veth pair, both ends up.  No IPv6
# link-local address (addrgenmode none), so no MLD, RS or DAD: only the
# traffic we send crosses the link; IPv6 addresses added by hand still work.
nslib_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" addrgenmode none up
	ip -n "$3" link set "$4" addrgenmode none up
}

nslib_track() { NSLIB_PIDS+=("$@"); }

# nslib_wait_until SECONDS CMD...: run CMD every 50 ms until it succeeds, at
# most SECONDS (whole); false if it never did: the caller says what is missing.
nslib_wait_until() {
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# nslib_at_least N CMD...: true if CMD prints a whole number of at least N.
nslib_at_least() {
	local v
	v=$("${@:2}") && [[ $v =~ ^-?[0-9]+$ ]] && [ "$v" -ge "$1" ]
}

# nslib_nft_chain NS TABLE HOOK RULE [POLICY]: a table in NS with one filter
# chain on HOOK (named after it) holding RULE; policy accept unless given.
# It goes with the namespace.
nslib_nft_chain() {
	ip netns exec "$1" nft -f - <<-EOF
	table inet $2 {
		chain $3 {
			type filter hook $3 priority 0; policy ${5:-accept};
			$4
		}
	}
	EOF
}

nslib_cleanup() {
	local p n
	for p in "${NSLIB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${NSLIB_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	while read -r n; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done <"$NSLIB_LIST"
	rm -f "$NSLIB_LIST"
}
