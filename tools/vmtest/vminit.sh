#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 inside a vmtest VM, after switch_root onto the host's / (read-only
# 9p under a tmpfs overlay): mount the usual filesystems, run the output
# share's cmd.sh in the project directory, record its exit code and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
mount -t proc proc /proc
for a in $(</proc/cmdline); do
	case $a in ws.*=*) k=${a%%=*}; declare "ws_${k#ws.}=${a#*=}" ;; esac
done
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
# The overlay makes /tmp writable already; a tmpfs there would hide a
# project directory or output share under /tmp (a CI clone may live there).
case "$ws_dir $ws_out" in
*/tmp/*) ;;
*)
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t tmpfs -o mode=1777 tmpfs /var/tmp
	;;
esac
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
	mount -t tracefs tracefs /sys/kernel/debug/tracing
mkdir -p /run/lock /run/netns
ln -sf /proc/self/fd /dev/fd 2>/dev/null
hostname "vmtest-$ws_name" 2>/dev/null
ip link set lo up
ulimit -l unlimited
echo "vmtest: up after $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)"
echo "$(cut -d' ' -f1 /proc/uptime)" >"$ws_out/boot-seconds"
cd "$ws_dir" || cd /
bash "$ws_out/cmd.sh" 2>&1 </dev/null | tee "$ws_out/output"
rc=${PIPESTATUS[0]}
echo "$rc" >"$ws_out/rc"
sync
echo "vmtest: command exited $rc"
echo o >/proc/sysrq-trigger
sleep 30
