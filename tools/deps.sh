#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what building, testing and the demo need on Debian 12, with
# apt-get; does nothing when everything is already there.
#
#   tools/deps.sh          everything (make test, bench, vmtest, deb)
#   tools/deps.sh demo     only what make demo needs: no service packages
#                          (nginx, prometheus start or enable services)
#   tools/deps.sh --list [demo]   print the packages, install nothing
set -euo pipefail

LIST=
[ "${1:-}" != --list ] || { LIST=1 && shift; }
DEMO=(
	# build
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool file
	# the lab: ip, nft, trafgen, python3, ping, sysctl, timeout, mountpoint
	iproute2 nftables netsniff-ng python3 iputils-ping procps coreutils
	util-linux
)
PACKAGES=(
	"${DEMO[@]}"
	# tests
	tcpdump kmod conntrack iperf3 curl ethtool
	# diag tests: script(1), man -l for the dist check
	bsdutils man-db
	# hardening: libFuzzer runtime, valgrind
	libclang-rt-14-dev valgrind
	# accept tests: a real nginx under a real load generator
	nginx-light wrk
	# exporter tests
	prometheus
	# make deb and its test: lintian; dpkg-deb, deb-systemd-helper and
	# systemd-analyze (verify) come with dpkg, init-system-helpers, systemd
	lintian systemd
	# make vmtest: qemu, the initramfs' busybox, apt-get download's keys;
	# gpgv checks Ubuntu's InRelease (its keys come from Debian trixie's
	# ubuntu-keyring, tools/vmtest/fetch.sh: bookworm has none)
	qemu-system-x86 busybox-static debian-archive-keyring xz-utils zstd gpgv
)

case ${1:-} in
demo) PACKAGES=("${DEMO[@]}") ;;
"") ;;
*) echo "deps: unknown set '$1' (demo, or nothing for all)" >&2 && exit 2 ;;
esac
if [ -n "$LIST" ]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi
# nginx and prometheus start a daemon when installed (nginx on the host's
# port 80) and at every boot; the tests run their own in namespaces.  What
# this script installs starts nothing, now or later; a service the host
# had before is left as it was.
SERVICES="nginx prometheus"
enabled_services() {
	local u
	for u in $SERVICES; do
		systemctl is-enabled -q "$u" 2>/dev/null && echo "$u"
	done
	true
}

# Debian's maintainer scripts ask policy-rc.d first: 101 means "do not".
# One the host has already is its own policy, and stays.
POLICY_RC=${POLICY_RC:-/usr/sbin/policy-rc.d}
without_services() {
	local rc=0
	if [ -e "$POLICY_RC" ]; then
		"$@"
		return
	fi
	trap 'rm -f "$POLICY_RC"' EXIT
	printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
	chmod 755 "$POLICY_RC"
	"$@" || rc=$?
	rm -f "$POLICY_RC"
	trap - EXIT
	return $rc
}

disable_new_services() { # ENABLED_BEFORE
	local u
	command -v systemctl >/dev/null || return 0
	for u in $(enabled_services); do
		grep -qx "$u" <<<"$1" || systemctl disable -q "$u" 2>/dev/null || true
	done
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing ${missing[*]}; run as root (sudo make ...)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	before=$(enabled_services)
	without_services apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	disable_new_services "$before"
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
