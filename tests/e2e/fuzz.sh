# SPDX-License-Identifier: GPL-2.0
# Run every libFuzzer target (tests/fuzz/fuzz_NAME.c, built by `make fuzz`
# into $OUT/fuzz/) for a bounded time from its committed seed corpus
# (tests/fuzz/corpus/NAME/).  A crash, leak, ASan or UBSan report fails the
# test and leaves the crashing input in the log.  One test per target,
# defined from the sources, so a new target needs no edit here.
#   FUZZ_SECONDS=N   time per target (default 10)

run_fuzzer() { # NAME
	local name=$1 bin="$PWD/${OUT:-build}/fuzz/fuzz_$1" seeds="$PWD/tests/fuzz/corpus/$1"
	local secs=${FUZZ_SECONDS:-10} rc=0 log="$WS_TMP/fuzz.log"
	[ -x "$bin" ] || skip "$bin not built (make fuzz)"
	[ -d "$seeds" ] || fail "no seed corpus $seeds"
	mkdir "$WS_TMP/corpus" "$WS_TMP/artifacts"
	# New inputs go to the scratch corpus; the committed seeds stay as they are.
	(cd "$WS_TMP" && timeout -k 5 $((secs + 60)) "$bin" -max_total_time="$secs" \
		-timeout=10 -error_exitcode=1 -rss_limit_mb=1024 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$WS_TMP/artifacts/" "$WS_TMP/corpus" "$seeds") >"$log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ in ' "$log" | head -20 >&2
		ls "$WS_TMP/artifacts" >&2
		fail "fuzz_$name exited $rc"
	fi
	local runs
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	log "fuzz_$name: $runs inputs in ${secs}s, $(ls "$WS_TMP/corpus" | wc -l) new corpus entries"
	assert_ge "${runs:-0}" 1000 "inputs executed by fuzz_$name"
}

for _src in tests/fuzz/fuzz_*.c; do
	[ -f "$_src" ] || continue
	_name=$(basename "$_src" .c)
	_name=${_name#fuzz_}
	eval "test_fuzz_$_name() { run_fuzzer $_name; }"
done
unset _src _name
