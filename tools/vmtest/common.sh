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
