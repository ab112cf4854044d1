# SPDX-License-Identifier: GPL-2.0
# The kernel matrix's bookkeeping (tools/vmtest/common.sh) on a made-up
# list and log: which tests each kernel runs, and which result lines of a
# suite's output count in a row.

source tools/vmtest/common.sh

# A tests.list line runs on every kernel, or on the kernels it names.
test_regex_per_kernel() {
	local re
	cat >"$WS_TMP/list" <<-'EOF'
	# a comment, and a blank line

	sizes: test_everywhere
	resets: test_old [5.10 6.1]
	diag: test_new [6.12]
	EOF
	re=$(VMTEST_LIST=$WS_TMP/list list_regex 6.1)
	[[ "sizes: test_everywhere" =~ $re ]] || fail "6.1 skips a line for all: $re"
	[[ "resets: test_old" =~ $re ]] || fail "6.1 skips its own line: $re"
	[[ "diag: test_new" =~ $re ]] && fail "6.1 runs 6.12's line: $re"
	[[ "sizes: test_everywhere_else" =~ $re ]] && fail "a longer name matches: $re"
	re=$(VMTEST_LIST=$WS_TMP/list list_regex 6.12)
	[[ "resets: test_old" =~ $re ]] && fail "6.12 runs the old kernels' line: $re"
	[[ "diag: test_new" =~ $re ]] || fail "6.12 skips its own line: $re"
	re=$(VMTEST_LIST=$WS_TMP/list list_regex all)
	[[ "resets: test_old" =~ $re && "diag: test_new" =~ $re ]] ||
		fail "all skips a line: $re"
}

# A host row keeps the listed tests' lines and every failure that is no
# test's (a file that does not parse, programs left behind), each with its
# log lines; not an unlisted e2e test, nor a unit test's case.
test_select_results_keeps_file_failures() {
	cat >"$WS_TMP/log" <<-'EOF'
	PASS  sizes: test_a                                          1s
	FAIL  sizes: test_b                                          2s
	      | why b failed
	FAIL  sizes: test_unlisted                                   2s
	      | not ours
	PASS  test_verdict: a unit case
	FAIL  test_verdict: a failing unit case
	      | unit why
	FAIL  resets: (the file does not parse)
	      | syntax error
	FAIL  leftover wirescope programs in the root namespace

	512 passed, 5 failed, 0 skipped
	EOF
	assert_eq "$(select_results '^(sizes: test_a|sizes: test_b)$' <"$WS_TMP/log")" \
		"PASS  sizes: test_a                                          1s
FAIL  sizes: test_b                                          2s
      | why b failed
FAIL  resets: (the file does not parse)
      | syntax error
FAIL  leftover wirescope programs in the root namespace" "lines kept"
}
