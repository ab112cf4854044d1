#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# matrix.sh [KERNEL...]: run the tests of tools/vmtest/tests.list with
# ./wirescope inside a VM of each kernel (default: all of
# tools/vmtest/kernels), VMTEST_JOBS VMs at a time (default 2 with 4+ CPUs, else 1).  Prints a
# line per kernel, then "N passed, N failed" (without a host row taken from
# the host suite, which counted it); exits 1 if any kernel fails.
# Then the same list on this machine's kernel (VMTEST_NO_HOST=1: not;
# VMTEST_HOST_RESULTS=FILE: taken from a host suite's output), and
# README.md's kernel table from the results (tools/vmtest/table.py).
# Per kernel, in build/vmtest/: KERNEL.results (one PASS/FAIL/SKIP line per
# test, after a "# kernel" header) and KERNEL/ (console.log, output).
#   VMTEST_TIMEOUT  per-VM hard limit in seconds (default 1200)
#   TEST_TIMEOUT    per-test limit inside the VM (default 300)
#   BENCH_OUT       where make built the bench tools (default build/bench)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"
cd "$HERE/../.."
# Two TCG VMs on two cores only slow each other down.
JOBS=${VMTEST_JOBS:-$(( $(nproc) >= 4 ? 2 : 1 ))}
VM_TIMEOUT=${VMTEST_TIMEOUT:-1200}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
WS=${WS:-$PWD/wirescope}
[ -x "$WS" ] || die "no $WS (make first)"
[ $# -gt 0 ] || set -- $(all_kernels)
mkdir -p build/vmtest

# Fetch first, one at a time: apt's private state is per suite, but the
# downloads share one directory.
"$HERE/fetch.sh" "$@" || exit 1

run_kernel() {
	local k=$1 out="build/vmtest/$1" res="build/vmtest/$1.results" rc start
	start=$SECONDS
	"$HERE/run.sh" --kernel "$k" --quiet --timeout "$VM_TIMEOUT" --out "$out" -- \
		env T="$(list_regex "$k")" TEST_TIMEOUT="$TEST_TIMEOUT" DIAG_SECS="${DIAG_SECS:-8}" WS="$WS" OUT=build/vmtest/no-unit-tests BENCH_OUT="${BENCH_OUT:-build/bench}" \
		tests/run.sh >"$out.log" 2>&1
	rc=$?
	{
		echo "# kernel $k $(cat "$(kernel_dir "$k")/kver") $(cat "$(kernel_dir "$k")/package")"
		echo "# boot $(cat "$out/boot-seconds" 2>/dev/null || echo -)s, vm $((SECONDS - start))s, exit $rc$([ -f "$out/console-first-boot.log" ] && echo ", booted twice")"
		grep -E '^(PASS|FAIL|SKIP)  |^      [|] ' "$out/output" 2>/dev/null
		# The VM died or hung: that is a failure of its own.
		[ -f "$out/rc" ] || echo "FAIL  vm: no result (exit $rc; see $out/console.log)"
	} >"$res"
}

# This machine's own kernel runs the whole list natively, as one more row:
# taken from the host suite that make test has just run
# (VMTEST_HOST_RESULTS, its output), else run here.
run_host() {
	local k res start how
	k=$(uname -r | cut -d. -f1,2)
	res="build/vmtest/$k.results"
	start=$SECONDS
	if [ -s "${VMTEST_HOST_RESULTS:-}" ]; then
		cp "$VMTEST_HOST_RESULTS" "build/vmtest/$k.log"
		how="the host suite's results, counted there"
	else
		env T="$(list_regex all)" TEST_TIMEOUT="$TEST_TIMEOUT" WS="$WS" OUT=build/vmtest/no-unit-tests BENCH_OUT="${BENCH_OUT:-build/bench}" \
			tests/run.sh >"build/vmtest/$k.log" 2>&1
		how="$((SECONDS - start))s"
	fi
	{
		echo "# kernel $k $(uname -r) this-machine"
		echo "# no VM, $how"
		select_results "$(list_regex all)" <"build/vmtest/$k.log"
	} >"$res"
	echo "$k"
}

# Each FAIL line of a results file with the last lines of its test's log:
# the reason shows in CI's output, not only in build/vmtest.
failures_with_reasons() {
	awk '/^FAIL/ { flush(); print; next }
	     /^      [|] / { tail[n++ % 6] = $0; next }
	     { flush() }
	     function flush(  i) {
		for (i = (n > 6 ? n - 6 : 0); i < n; i++) print tail[i % 6]
		n = 0
	     }
	     END { flush() }' "$1"
}

pids=()
for k in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	mkdir -p "build/vmtest/$k"
	run_kernel "$k" &
	pids+=($!)
done
wait
[ -n "${VMTEST_NO_HOST:-}" ] || set -- "$@" "$(run_host)"

total_p=0 total_f=0 bad=0
for k in "$@"; do
	res="build/vmtest/$k.results"
	p=$(grep -c '^PASS' "$res")
	f=$(grep -c '^FAIL' "$res")
	s=$(grep -c '^SKIP' "$res")
	failures_with_reasons "$res" | sed "s/^/  $k: /"
	printf '%-5s %-26s %3d passed, %d failed, %d skipped  (%s)\n' "$k" "$(awk 'NR == 1 { print $4 }' "$res")" \
		"$p" "$f" "$s" "$(sed -n '2s/^# //p' "$res")"
	[ "$f" -eq 0 ] && [ "$p" -gt 0 ] || bad=1
	# The host suite's own line has counted them once already.
	grep -q "^# no VM, the host suite's results" "$res" && continue
	total_p=$((total_p + p))
	total_f=$((total_f + f))
done
python3 "$HERE/table.py" build/vmtest README.md >/dev/null ||
	echo "vmtest: README kernel table not written" >&2
echo "$total_p passed, $total_f failed"
exit $bad
