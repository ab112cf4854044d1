#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch.sh KERNEL...: download and unpack Debian's or Ubuntu's generic
# amd64 kernel for each KERNEL (a version from tools/vmtest/kernels, e.g.
# 5.10) into the cache ($VMTEST_CACHE, default /var/cache/wirescope-vmtest).
# Prints nothing but errors; a kernel already unpacked is reused.
#
# Debian: apt runs with a private configuration (state, cache, sources and
# trust under the cache directory), so the host's apt state is not touched.
# The mirror is the host's own Debian mirror, read from its apt sources;
# only the suite name changes.
#
# Ubuntu ($VMTEST_UBUNTU_MIRROR, default http://archive.ubuntu.com/ubuntu):
# each pocket's InRelease must verify (gpgv) against Ubuntu's archive
# keyring, its Packages.xz against the Release's SHA256, and each .deb
# against the Packages' SHA256.  The keyring is the host's
# ($VMTEST_UBUNTU_KEYRING, default /usr/share/keyrings/ubuntu-archive-keyring.gpg)
# or, when it has none (Debian 12 has no such package), Debian trixie's
# ubuntu-keyring package, fetched by the private apt with Debian's keys.
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

# debian_debs SUITE: download the suite's kernel; print the package name,
# then the .deb.
debian_debs() {
	local suite=$1 pkg meta
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
	echo "$pkg"
	ls -t "$VMTEST_CACHE/debs/${pkg}"_*.deb | head -1
}

UBUNTU_MIRROR=${VMTEST_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}
UBUNTU_KEYRING=${VMTEST_UBUNTU_KEYRING:-/usr/share/keyrings/ubuntu-archive-keyring.gpg}

# ubuntu_keyring: the path of Ubuntu's archive keyring, from the host or
# from Debian trixie's ubuntu-keyring (cached).
ubuntu_keyring() {
	local d="$VMTEST_CACHE/ubuntu-keyring" deb
	if [ -r "$UBUNTU_KEYRING" ]; then
		echo "$UBUNTU_KEYRING"
		return
	fi
	if [ ! -s "$d/ubuntu-archive-keyring.gpg" ]; then
		apt_cfg trixie
		if [ -z "$(find "$VMTEST_CACHE/apt/trixie/state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
			apt-get "${APT[@]}" -qq update >&2 || die "apt-get update for trixie failed"
		fi
		rm -rf "$d.tmp"
		mkdir -p "$d.tmp/root"
		(cd "$d.tmp" && apt-get "${APT[@]}" -qq download ubuntu-keyring >&2) ||
			die "download of Debian's ubuntu-keyring failed"
		deb=$(ls "$d.tmp"/ubuntu-keyring_*.deb)
		dpkg-deb -x "$deb" "$d.tmp/root"
		cp "$d.tmp/root/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$d.tmp/" ||
			die "no ubuntu-archive-keyring.gpg in $deb"
		rm -rf "$d.tmp/root" "$d"
		mv "$d.tmp" "$d"
	fi
	echo "$d/ubuntu-archive-keyring.gpg"
}

# ubuntu_index POCKET KEYRING: POCKET's verified main amd64 Packages, at
# most a day old, into $VMTEST_CACHE/ubuntu/POCKET/Packages.
ubuntu_index() {
	local pocket=$1 keyring=$2 d="$VMTEST_CACHE/ubuntu/$1" sum
	mkdir -p "$d"
	[ -n "$(find "$d" -maxdepth 1 -name Packages -mtime -1 2>/dev/null)" ] && return 0
	curl -fsS -o "$d/InRelease.new" "$UBUNTU_MIRROR/dists/$pocket/InRelease" ||
		die "$pocket: no InRelease at $UBUNTU_MIRROR"
	# Only what the signature covers is read: gpgv writes it out.
	gpgv --quiet --keyring "$keyring" --output "$d/Release.new" "$d/InRelease.new" 2>"$d/gpgv.log" ||
		die "$pocket: InRelease does not verify with $keyring ($(tail -1 "$d/gpgv.log"))"
	sum=$(awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 }
		s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' "$d/Release.new")
	[ -n "$sum" ] || die "$pocket: no main/binary-amd64/Packages.xz in the Release"
	curl -fsS -o "$d/Packages.xz" "$UBUNTU_MIRROR/dists/$pocket/main/binary-amd64/Packages.xz" ||
		die "$pocket: Packages.xz download failed"
	echo "$sum  $d/Packages.xz" | sha256sum -c --quiet - >&2 ||
		die "$pocket: Packages.xz does not match the Release's SHA256"
	xz -dc "$d/Packages.xz" >"$d/Packages.new"
	mv "$d/Release.new" "$d/Release"
	mv "$d/Packages.new" "$d/Packages"
	rm -f "$d/InRelease.new" "$d/Packages.xz"
}

# pkg_field NAME FIELD PACKAGES: FIELD of NAME's paragraphs in the file
# PACKAGES, one a line with the version before it ("VERSION VALUE").
pkg_field() {
	awk -v n="$1" -v f="$2" 'BEGIN { RS = ""; FS = "\n" }
		{ p = v = x = ""
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^Package: /) p = substr($i, 10)
			else if ($i ~ /^Version: /) v = substr($i, 10)
			else if (index($i, f ": ") == 1) x = substr($i, length(f) + 3)
		  }
		  if (p == n) print v, x }' "$3"
}

# ubuntu_deb NAME: download NAME (any pocket, checked against its
# Packages' SHA256); print the .deb's path.
ubuntu_deb() {
	local name=$1 pocket file sum deb
	for pocket in "${POCKETS[@]}"; do
		read -r _ file < <(pkg_field "$name" Filename "$VMTEST_CACHE/ubuntu/$pocket/Packages" | sort -V | tail -1) || continue
		[ -n "$file" ] || continue
		read -r _ sum < <(pkg_field "$name" SHA256 "$VMTEST_CACHE/ubuntu/$pocket/Packages" | sort -V | tail -1)
		deb="$VMTEST_CACHE/debs/$(basename "$file")"
		mkdir -p "$VMTEST_CACHE/debs"
		if ! echo "$sum  $deb" | sha256sum -c --quiet - >/dev/null 2>&1; then
			curl -fsS -o "$deb.part" "$UBUNTU_MIRROR/$file" || die "download of $file failed"
			echo "$sum  $deb.part" | sha256sum -c --quiet - >&2 ||
				{ rm -f "$deb.part"; die "$file does not match its Packages' SHA256"; }
			mv "$deb.part" "$deb"
		fi
		echo "$deb"
		return
	done
	die "${POCKETS[*]}: no package $name"
}

# ubuntu_debs SUITE: the newest linux-image-generic of SUITE-updates and
# SUITE-security names the ABI; download its image, modules and extra
# modules, as linux-image-generic installs them.  Print the image
# package's name, then the .debs.
ubuntu_debs() {
	local suite=$1 keyring pocket best="" ver abi p
	keyring=$(ubuntu_keyring)
	POCKETS=("$suite-updates" "$suite-security")
	for pocket in "${POCKETS[@]}"; do
		ubuntu_index "$pocket" "$keyring"
		grep -q "^Codename: $suite\$" "$VMTEST_CACHE/ubuntu/$pocket/Release" ||
			die "$pocket: the Release is not $suite's"
		while read -r ver p; do
			if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "${best%% *}"; then
				best="$ver $p"
			fi
		done < <(pkg_field linux-image-generic Depends "$VMTEST_CACHE/ubuntu/$pocket/Packages")
	done
	abi=$(grep -o 'linux-image-[0-9][^ ,]*-generic' <<<"$best" | head -1)
	[ -n "$abi" ] || die "$suite: no linux-image-generic in ${POCKETS[*]}"
	abi=${abi#linux-image-}
	echo "linux-image-$abi"
	for p in "linux-image-$abi" "linux-modules-$abi" "linux-modules-extra-$abi"; do
		ubuntu_deb "$p"
	done
}

fetch_one() {
	local kernel=$1 suite dir pkg deb kver out debs
	suite=$(kernel_suite "$kernel")
	dir=$(kernel_dir "$kernel")
	if [ -f "$dir/kver" ] && [ -f "$dir/vmlinuz" ]; then
		return 0
	fi
	case $(kernel_distro "$kernel") in
	debian) out=$(debian_debs "$suite") || exit 1 ;;
	ubuntu) out=$(ubuntu_debs "$suite") || exit 1 ;;
	*) die "$kernel: unknown distribution $(kernel_distro "$kernel")" ;;
	esac
	mapfile -t debs <<<"$out"
	[ ${#debs[@]} -ge 2 ] || die "$suite: no kernel package"
	pkg=${debs[0]}
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp/root"
	for deb in "${debs[@]:1}"; do
		dpkg-deb -x "$deb" "$dir.tmp/root"
	done
	kver=$(basename "$(ls -d "$dir.tmp"/root/{usr/,}lib/modules/*/ 2>/dev/null | head -1)")
	[ -n "$kver" ] || die "$suite: no modules in ${debs[*]:1}"
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
