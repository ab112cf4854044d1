#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# probe.sh [KERNEL...]: what each kernel of the matrix offers wirescope and
# what the current ./wirescope does on it.  In each VM: BTF, kprobe/fentry/
# tp_btf/tcx attach tests (tools/vmtest/probe/attach), the tracepoint
# prototypes wirescope reads, then every command briefly with -vv (libbpf's
# debug output and the verifier log).  Reports in build/vmtest/probe-KERNEL/
# output; tools/vmtest/FINDINGS.md is written from them by hand.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/common.sh"
cd "$HERE/../.."

if [ "${1:-}" = --inside ]; then
	P=build/vmtest/probe
	sec() { echo; echo "===== $*"; }
	sec "kernel"; uname -r
	sec "btf"; ls -l /sys/kernel/btf/vmlinux 2>&1
	sec "kprobe_events"; ls -l /sys/kernel/tracing/kprobe_events /sys/kernel/debug/tracing/kprobe_events 2>&1
	sec "attach tests"
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >/tmp/vmlinux.h 2>/dev/null
	tcx=$(awk '$1 == "BPF_TCX_INGRESS" { sub(/,/, "", $3); print $3 }' /tmp/vmlinux.h)
	echo "BPF_TCX_INGRESS in kernel BTF: ${tcx:-absent}"
	$P/attach $P/attach.bpf.o $tcx 2>&1
	sec "bpftool feature probe (selected)"
	bpftool feature probe kernel >/tmp/features 2>&1
	grep -E "program_type (tracing|xdp|sched_cls|kprobe|raw_tracepoint) |map_type (ringbuf|lru_hash) " /tmp/features
	helpers() { # PROG-TYPE: helpers the kernel offers it
		awk -v t="$1" '/helpers supported for program type/ { on = ($NF == t ":") } on && /^[[:space:]]*- / { print $2 }' /tmp/features
	}
	for h in bpf_ktime_get_coarse_ns bpf_ktime_get_boot_ns bpf_loop bpf_get_current_task_btf bpf_xdp_get_buff_len bpf_get_func_ip; do
		printf '%-28s xdp: %-3s sched_cls: %-3s kprobe: %s\n' "$h" \
			"$(helpers xdp | grep -qx "$h" && echo yes || echo no)" \
			"$(helpers sched_cls | grep -qx "$h" && echo yes || echo no)" \
			"$(helpers kprobe | grep -qx "$h" && echo yes || echo no)"
	done
	sec "tracepoint prototypes (kernel BTF)"
	for tp in kfree_skb tcp_send_reset tcp_retransmit_skb tcp_receive_reset tcp_retransmit_synack inet_sock_set_state inet_csk_accept; do
		grep -E "^typedef .*\(\*btf_trace_$tp\)" /tmp/vmlinux.h || echo "btf_trace_$tp: absent"
	done
	for e in skb/kfree_skb tcp/tcp_send_reset tcp/tcp_retransmit_skb tcp/tcp_receive_reset tcp/tcp_retransmit_synack sock/inet_sock_set_state; do
		printf '%-28s tracefs: %s\n' "$e" "$([ -e /sys/kernel/tracing/events/$e/format ] && echo yes || echo no)"
	done
	grep -E "^enum (skb_drop_reason|sk_rst_reason) \{" /tmp/vmlinux.h || echo "no enum skb_drop_reason / sk_rst_reason"
	grep -cE "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW" /tmp/vmlinux.h | sed 's/^/SKB_DROP_REASON_TCP_LISTEN_OVERFLOW mentions: /'
	sec "wirescope's BPF programs loaded one at a time (rodata at defaults)"
	$P/attach --load build/wirescope.bpf.o 2>&1 | grep -vE '^libbpf: (failed to load object|prog .*: failed to load: -)'
	sec "the same with every *_enabled flag of .rodata set (no collector pruned)"
	$P/attach --load-enabled build/wirescope.bpf.o 2>&1 | grep -vE '^libbpf: (failed to load object|prog .*: failed to load: -)'
	WS=./wirescope
	run() {
		sec "wirescope $*"
		timeout -s INT -k 5 30 $WS "$@" 2>&1 | tail -n 400
		echo "exit ${PIPESTATUS[0]}"
	}
	run sizes -i lo -vv 1 1
	run handshakes -i lo -vv 1 1
	run accept -vv 1 1
	run resets -i lo -vv -d 1
	run diag -i lo -vv -d 1
	sec "wirescope export -i lo -vv (3 s)"
	timeout -s INT -k 5 3 $WS export -i lo -vv --user nobody 2>&1 | tail -n 400
	echo "exit ${PIPESTATUS[0]}"
	exit 0
fi

mkdir -p build/vmtest/probe
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu \
	-c "$HERE/probe/attach.bpf.c" -o build/vmtest/probe/attach.bpf.o || exit 1
cc -O2 -Wall "$HERE/probe/attach.c" -o build/vmtest/probe/attach -l:libbpf.a -lelf -lz || exit 1
[ $# -gt 0 ] || set -- $(all_kernels)
for k in "$@"; do
	"$HERE/run.sh" --kernel "$k" --quiet --timeout 600 --out "build/vmtest/probe-$k" -- tools/vmtest/probe.sh --inside
	echo "probe $k: exit $?, output in build/vmtest/probe-$k/output"
done
