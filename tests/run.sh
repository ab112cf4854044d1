#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every test: unit binaries (build/tests/*) and e2e functions
# (tests/e2e/*.sh, test_*).  Ends with "N passed, N failed, N skipped".
#   T=REGEX   run only tests whose name matches
#   V=1       show each test's output
#   TEST_TIMEOUT=SECONDS per e2e test (default 300)
#   OUT=DIR   build directory (default build; make test SANITIZE=1: build-san)
#   WS=PATH   the wirescope binary under test (default ./wirescope)
#   WS_RESULTS=FILE  a copy of this output (make vmtest's host row)
set -uo pipefail
cd "$(dirname "$0")/.."
[ -n "${WS_RESULTS:-}" ] && exec > >(tee "$WS_RESULTS")
export OUT=${OUT:-build}
# Sanitized runs: any ASan, LSan or UBSan report fails the test that hit it.
if [ "${WS_SANITIZE:-}" = 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

T=${T:-.}
V=${V:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
passed=0 failed=0 skipped=0
failures=()
logdir=$(mktemp -d /tmp/wstest-logs.XXXXXX)

[ "$(id -u)" = 0 ] || { echo "tests must run as root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true

record() { # name status seconds log
	case $2 in
	pass) passed=$((passed + 1)); printf "PASS  %-52s %5s\n" "$1" "$3" ;;
	skip) skipped=$((skipped + 1)); printf 'SKIP  %-52s %s\n' "$1" "$(grep -m1 '^SKIP' "$4" | cut -c7-)" ;;
	*) failed=$((failed + 1)); failures+=("$1")
	   printf "FAIL  %-52s %5s\n" "$1" "$3"
	   sed 's/^/      | /' "$4" | tail -n 25 ;;
	esac
	[ "$V" = 1 ] && sed 's/^/      > /' "$4"
	return 0
}

# Unit binaries print one "ok - NAME", "not ok - NAME" or "skip - NAME" line
# per case; each case counts as a test.  A timeout, or a non-zero exit that
# no "not ok" line accounts for (a sanitizer report at exit, a crash), is
# one more failure.
run_unit() {
	local bin=$1 name log line
	name=$(basename "$bin")
	log="$logdir/$name.log"
	timeout -k 5 "$TEST_TIMEOUT" "$bin" >"$log" 2>&1
	local rc=$?
	local cases=0 failed_cases=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) cases=$((cases + 1)); grep -Eq -- "$T" <<<"$name: ${line#ok - }" && record "$name: ${line#ok - }" pass "" "$log" ;;
		"not ok - "*) cases=$((cases + 1)); failed_cases=$((failed_cases + 1)); grep -Eq -- "$T" <<<"$name: ${line#not ok - }" && record "$name: ${line#not ok - }" fail "" "$log" ;;
		"skip - "*) cases=$((cases + 1)); grep -Eq -- "$T" <<<"$name" && { echo "SKIP: ${line#skip - }" >"$log.skip"; record "$name: ${line#skip - }" skip "" "$log.skip"; } ;;
		esac
	done <"$log"
	[ $rc -ne 0 ] && grep -Eq -- "$T" <<<"$name" || return 0
	if [ $cases -eq 0 ] || [ $rc -ge 124 ]; then
		record "$name (exit $rc)" fail "" "$log"
	elif [ $failed_cases -eq 0 ]; then
		record "$name: exited $rc after its cases" fail "" "$log"
	fi
}

# The host-global sysctls tests may change for a moment (tests/lib.sh
# host_sysctl), as "name=value" lines.  A test holds HOST_SYSCTL_LOCK from
# its first host_sysctl to its exit; every read and restore here takes it
# too, so another suite's test, running beside this one, is never caught
# with its temporary values in place: they would read as a leak of ours,
# and be put back under it.  It holds the lock at most as long as it may
# run (TEST_TIMEOUT, then killed 10 s later): that is how long we wait.
export GUARDED_SYSCTLS="net.core.netdev_max_backlog net.core.netdev_budget net.core.rmem_max"
export HOST_SYSCTL_LOCK=/run/wirescope-tests.host-sysctl.lock
HOST_SYSCTL_WAIT=$((TEST_TIMEOUT + 30))
host_sysctls() { sysctl $GUARDED_SYSCTLS | tr -d ' '; }
HOST_SYSCTLS=$(flock -w "$HOST_SYSCTL_WAIT" "$HOST_SYSCTL_LOCK" sysctl $GUARDED_SYSCTLS | tr -d ' ') ||
	{ echo "cannot read the host sysctls: $HOST_SYSCTL_LOCK held for ${HOST_SYSCTL_WAIT}s" >&2; exit 1; }

# check_host_sysctls LOG [SECONDS]: under the lock, false if the host
# sysctls differ from the suite's start, after putting them back and
# saying so in LOG; false too if the lock stayed busy (nothing checked,
# nothing written).
check_host_sysctls() {
	local now rc=0
	exec 8>"$HOST_SYSCTL_LOCK"
	if ! flock -w "${2:-$HOST_SYSCTL_WAIT}" 8; then
		echo "host sysctls not checked: $HOST_SYSCTL_LOCK held for ${2:-$HOST_SYSCTL_WAIT}s" >>"$1"
		exec 8>&-
		return 1
	fi
	now=$(host_sysctls)
	if [ "$now" != "$HOST_SYSCTLS" ]; then
		echo "left host sysctls changed: $now (were: $HOST_SYSCTLS)" >>"$1"
		sysctl -qw $HOST_SYSCTLS
		rc=1
	fi
	exec 8>&- # unlocks
	return $rc
}
trap 'check_host_sysctls /dev/stderr 10; exit 130' INT TERM

run_e2e() {
	local file=$1 fn=$2 base=${1##*/} name log start rc
	# No fork before the match: one per test (~550) costs half a minute
	# in a VM under TCG.
	name="${base%.sh}: $fn"
	[[ $name =~ $T ]] || return 0
	log="$logdir/${name//[^a-zA-Z0-9_]/_}.log"
	start=$SECONDS
	local prefix="wst$$x$RANDOM"
	WS_NS_PREFIX=$prefix timeout -k 10 "$TEST_TIMEOUT" tests/run_one.sh "$file" "$fn" >"$log" 2>&1 </dev/null
	rc=$?
	# A test must tear down every namespace it made and put back every
	# host sysctl it changed (host_sysctl), pass or fail.
	local leaked
	if ! check_host_sysctls "$log"; then
		[ $rc -eq 0 ] && rc=1
	fi
	leaked=$(ip netns list | awk '{print $1}' | grep "^$prefix-" || true)
	if [ -n "$leaked" ]; then
		echo "left namespaces behind: $leaked" >>"$log"
		for n in $leaked; do ip netns del "$n" 2>/dev/null || true; done
		[ $rc -eq 0 ] && rc=1
	fi
	case $rc in
	0) record "$name" pass "$((SECONDS - start))s" "$log" ;;
	77) record "$name" skip "$((SECONDS - start))s" "$log" ;;
	124|137) echo "timed out after ${TEST_TIMEOUT}s" >>"$log"; record "$name" fail "$((SECONDS - start))s" "$log" ;;
	*) record "$name" fail "$((SECONDS - start))s" "$log" ;;
	esac
}

for bin in "$OUT"/tests/*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case $bin in *.d) continue ;; esac
	run_unit "$bin"
done

for file in tests/e2e/*.sh; do
	[ -f "$file" ] || continue
	# A syntax error would end the file's sourcing there, and every test
	# after it would silently not exist.
	if ! bash -n "$file" 2>"$logdir/syntax.log"; then
		record "$(basename "$file" .sh): (the file does not parse)" fail "" "$logdir/syntax.log"
		continue
	fi
	for fn in $(bash -c "source '$file'; declare -F" | awk '$3 ~ /^test_/ {print $3}'); do
		run_e2e "$file" "$fn"
	done
done

# Nothing of ours may be left attached in the root namespace.
if bpftool -j net 2>/dev/null | grep -q '"ws_'; then
	echo "FAIL  leftover wirescope programs in the root namespace"
	failed=$((failed + 1))
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
rm -rf "$logdir"
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
