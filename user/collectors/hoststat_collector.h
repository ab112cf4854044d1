/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host collector: interface statistics, softnet, the root qdisc and the
 * kernel's TCP counters, read before and after the run.  The judgements are
 * pure functions over the deltas so unit tests can feed them numbers.
 */
#ifndef WS_HOSTSTAT_H
#define WS_HOSTSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/findings.h"
#include "core/netlink.h"
#include "core/procfs.h"

extern const struct ws_collector ws_host_collector;

/* /sys/class/net/IFACE/statistics files, in this order. */
enum ws_ifstat {
	WS_IF_RX_PACKETS,
	WS_IF_TX_PACKETS,
	WS_IF_RX_BYTES,
	WS_IF_TX_BYTES,
	WS_IF_RX_DROPPED,
	WS_IF_RX_MISSED,
	WS_IF_RX_FIFO,
	WS_IF_RX_OVER,
	WS_IF_RX_CRC,
	WS_IF_RX_ERRORS,
	WS_IF_TX_DROPPED,
	WS_IF_TX_FIFO,
	WS_IF_TX_CARRIER,
	WS_IF_TX_ERRORS,
	WS_IF_NSTATS,
};
extern const char *const ws_ifstat_names[WS_IF_NSTATS];

/* What one interface did during the run. */
struct ws_iface_delta {
	const char *name;
	double secs;
	uint64_t st[WS_IF_NSTATS];
	uint32_t unread;    /* bit k: st[k] (0) is unknown, a read failed */
	int64_t speed_mbps; /* <= 0: unknown (veth, tun...) */
	/* root qdisc; kind[0] == 0 when there is none (noqueue) */
	char qdisc[16];
	uint64_t q_packets, q_drops, q_overlimits, q_requeues;
	uint32_t q_backlog_max, q_qlen_max;
	bool qdisc_unread; /* a qdisc read failed: q_* are floors */
};

struct ws_softnet_delta {
	double secs;
	uint64_t processed, dropped, time_squeeze;
	int worst_cpu;	    /* the CPU with the most drops, -1 if none */
	int cpus_unmatched; /* rows at the end of no CPU at the start */
	bool unread;	    /* a read of softnet_stat failed: a floor */
	uint64_t worst_cpu_dropped;
	int64_t netdev_max_backlog, netdev_budget, netdev_budget_usecs; /* -1 */
};

/* Deltas of 32-bit wrapping softnet rows, summed over CPUs, row by CPU. */
void softnet_delta(const struct ws_softnet *a, int na,
		   const struct ws_softnet *b, int nb,
		   struct ws_softnet_delta *d);

/* The root qdisc's delta into @d; false if none, or replaced meanwhile. */
bool root_qdisc_delta(const struct nl_qdisc_stats *a,
		      const struct nl_qdisc_stats *b, struct ws_iface_delta *d);

void find_iface_drops(const struct ws_iface_delta *d, uint64_t softnet_dropped,
		      struct ws_findings *f);
void find_softnet(const struct ws_softnet_delta *d, struct ws_findings *f);
void find_egress(const struct ws_iface_delta *d, struct ws_findings *f);

/* Receive buffers that overflowed (PruneCalled, TCPRcvQDrop), by the caps. */
void find_rcvbuf(const uint64_t tcp_delta[WS_TCP_NSTATS], int64_t rmem_max,
		 int64_t tcp_rmem_max, struct ws_findings *f);

/*
 * Sysctls that contradict the TCP counters' deltas.  @capped: listeners
 * that dropped with their accept queue limit at somaxconn (not their own
 * listen() backlog), or -1 if unknown: with none, somaxconn is no cause.
 */
void find_sysctl_contradictions(const uint64_t tcp_delta[WS_TCP_NSTATS],
				int capped, struct ws_findings *f);

/*
 * The @n listeners' drops at the start (ws_session_listeners(); @n < 0:
 * unread): what listeners_capped_at() compares with.
 */
void listeners_note_drops(const struct nl_listener *v, int n);
/* Of @n listeners now, those whose queue limit is @somaxconn and that
 * dropped; @n if negative (the dump's -errno). */
int listeners_capped_at(const struct nl_listener *v, int n, int64_t somaxconn);

#endif
