# SPDX-License-Identifier: GPL-2.0
# Shared by the vmtest scripts; source it.
VMTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VMTEST_CACHE=${VMTEST_CACHE:-/var/cache/wirescope-vmtest}

die() { echo "vmtest: $*" >&2; exit 1; }

all_kernels() { awk '!/^#/ && NF { print $1 }' "$VMTEST_DIR/kernels"; }
kernel_suite() {
	local s
	s=$(awk -v k="$1" '!/^#/ && $1 == k { print $2 }' "$VMTEST_DIR/kernels")
	[ -n "$s" ] || die "unknown kernel '$1' (see $VMTEST_DIR/kernels)"
	echo "$s"
}
# kernel_distro VERSION: the kernels file's third column, debian when absent.
kernel_distro() {
	kernel_suite "$1" >/dev/null
	awk -v k="$1" '!/^#/ && $1 == k { print ($3 == "" ? "debian" : $3) }' "$VMTEST_DIR/kernels"
}
kernel_dir() { echo "$VMTEST_CACHE/kernels/$(kernel_suite "$1")"; }

# list_regex KERNEL: the T regex (tests/run.sh) of every tests.list line
# (VMTEST_LIST: another list) for all kernels or naming KERNEL; for "all",
# every line.
list_regex() {
	local re
	re=$(awk -v k="$1" '
		/^[[:space:]]*(#|$)/ { next }
		{
			name = $0; only = ""
			if (match(name, /\[[^]]*\][[:space:]]*$/)) {
				only = " " substr(name, RSTART + 1, RLENGTH - 2) " "
				name = substr(name, 1, RSTART - 1)
			}
			sub(/[[:space:]]+$/, "", name)
			if (only != "" && k != "all" && index(only, " " k " ") == 0) next
			gsub(/[.]/, "[.]", name)
			printf "%s%s", sep, name; sep = "|"
		}' "${VMTEST_LIST:-$VMTEST_DIR/tests.list}")
	echo "^($re)\$"
}

# select_results REGEX <LOG: the result lines of the e2e tests REGEX names,
# and of every e2e failure not a test's (a file that does not parse,
# programs left behind), each failure with its log lines.
select_results() {
	awk -v re="$1" '/^(PASS|FAIL|SKIP)  / {
		keep = ($2 " " $3) ~ re ||
		       ($1 == "FAIL" && $2 !~ /^test_/ && $3 !~ /^test_/)
	     }
	     keep && /^(PASS|FAIL|SKIP)  |^      [|] /'
}
