#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch.sh KERNEL...: download and unpack Debian's generic amd64 kernel for
# each KERNEL (a version from tools/vmtest/kernels, e.g. 5.10) into the cache
# ($VMTEST_CACHE, default /var/cache/wirescope-vmtest).  Prints nothing but
# errors; a kernel already unpacked is reused.
#
# apt runs with a private configuration (state, cache, sources and trust
# under the cache directory), so the host's apt state is not touched.  The
# mirror is the host's own Debian mirror, read from its apt sources; only
# the suite name changes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"

# The host's Debian mirror: the first URIs/deb line that is not -security.
host_mirror() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
			/Suites:/ && !/Suites:[^\n]*-security/ {
				for (i = 1; i <= NF; i++)
					if ($i ~ /^URIs:/) { split($i, a, " "); print a[2]; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" && $0 !~ /-security/ {
				for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	die "no Debian mirror in the host's apt sources (set VMTEST_MIRROR)"
}

KEYRING=${VMTEST_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# apt_cfg SUITE: private apt options for SUITE, in the array APT.
apt_cfg() {
	local suite=$1 d="$VMTEST_CACHE/apt/$1"
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial" "$d/etc/sources.list.d" \
		"$d/etc/preferences.d" "$d/etc/trusted.gpg.d" "$d/etc/apt.conf.d"
	: >"$d/state/status"
	echo "deb [signed-by=$KEYRING] $MIRROR $suite main" >"$d/etc/sources.list"
	APT=(-o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status"
		-o "Dir::Cache=$d/cache" -o "Dir::Etc=$d/etc"
		-o "Dir::Etc::SourceList=$d/etc/sources.list"
		-o "Dir::Etc::SourceParts=$d/etc/sources.list.d"
		-o "Dir::Etc::Preferences=$d/etc/preferences"
		-o "Dir::Etc::PreferencesParts=$d/etc/preferences.d"
		-o "Dir::Etc::Trusted=$d/etc/trusted.gpg"
		-o "Dir::Etc::TrustedParts=$d/etc/trusted.gpg.d"
		-o "Dir::Etc::Parts=$d/etc/apt.conf.d"
		-o "APT::Architecture=amd64" -o "APT::Architectures=amd64"
		-o "Acquire::Languages=none" -o "Debug::NoLocking=1"
		-o "APT::Sandbox::User=root")
}

fetch_one() {
	local kernel=$1 suite dir pkg meta deb kver
	suite=$(kernel_suite "$kernel")
	dir=$(kernel_dir "$kernel")
	if [ -f "$dir/kver" ] && [ -f "$dir/vmlinuz" ]; then
		return 0
	fi
	apt_cfg "$suite"
	# Refresh the index at most once a day.
	if [ -z "$(find "$VMTEST_CACHE/apt/$suite/state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "${APT[@]}" -qq update >&2 || die "apt-get update for $suite failed"
	fi
	# linux-image-amd64 depends on the signed image; its -unsigned twin is
	# the same kernel without the shim signature (the -cloud- flavour lacks
	# 9p, so it is not used).
	meta=$(apt-cache "${APT[@]}" depends linux-image-amd64 |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$meta" ] || die "$suite: no linux-image-amd64 dependency"
	pkg="${meta%-unsigned}-unsigned"
	apt-cache "${APT[@]}" show "$pkg" >/dev/null 2>&1 || pkg=$meta
	mkdir -p "$VMTEST_CACHE/debs"
	(cd "$VMTEST_CACHE/debs" && ls "${pkg}"_*.deb >/dev/null 2>&1 ||
		apt-get "${APT[@]}" -qq download "$pkg" >&2) || die "$suite: download of $pkg failed"
	deb=$(ls -t "$VMTEST_CACHE/debs/${pkg}"_*.deb | head -1)
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp/root"
	dpkg-deb -x "$deb" "$dir.tmp/root"
	kver=$(basename "$(ls -d "$dir.tmp"/root/{usr/,}lib/modules/*/ 2>/dev/null | head -1)")
	[ -n "$kver" ] || die "$suite: no modules in $deb"
	# One place for the modules whatever the package's layout.
	if [ -d "$dir.tmp/root/usr/lib/modules/$kver" ]; then
		mkdir -p "$dir.tmp/root/lib/modules"
		mv "$dir.tmp/root/usr/lib/modules/$kver" "$dir.tmp/root/lib/modules/"
	fi
	depmod -b "$dir.tmp/root" "$kver"
	cp "$dir.tmp/root/boot/vmlinuz-$kver" "$dir.tmp/vmlinuz"
	echo "$pkg" >"$dir.tmp/package"
	echo "$kver" >"$dir.tmp/kver"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

MIRROR=${VMTEST_MIRROR:-$(host_mirror)}
[ -r "$KEYRING" ] || die "no keyring $KEYRING (apt-get install debian-archive-keyring)"
[ $# -gt 0 ] || set -- $(all_kernels)
for k in "$@"; do
	fetch_one "$k"
done
