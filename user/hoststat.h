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
#include "findings.h"
#include "procfs.h"

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
	int64_t speed_mbps; /* <= 0: unknown (veth, tun...) */
	/* root qdisc; kind[0] == 0 when there is none (noqueue) */
	char qdisc[16];
	uint64_t q_packets, q_drops, q_overlimits, q_requeues;
	uint32_t q_backlog_max, q_qlen_max;
};

struct ws_softnet_delta {
	double secs;
	uint64_t processed, dropped, time_squeeze;
	int worst_cpu; /* the CPU with the most drops, -1 if none */
	uint64_t worst_cpu_dropped;
	int64_t netdev_max_backlog, netdev_budget, netdev_budget_usecs;
};

/* Deltas of 32-bit wrapping softnet rows, summed over CPUs. */
void softnet_delta(const struct ws_softnet *a, const struct ws_softnet *b,
		   int n, struct ws_softnet_delta *d);

void find_iface_drops(const struct ws_iface_delta *d, uint64_t softnet_dropped,
		      struct ws_findings *f);
void find_softnet(const struct ws_softnet_delta *d, struct ws_findings *f);
void find_egress(const struct ws_iface_delta *d, struct ws_findings *f);

/* Kernel TCP counters (per network namespace) diag watches. */
enum ws_tcpstat {
	WS_TCP_OUT_SEGS,
	WS_TCP_RETRANS_SEGS,
	WS_TCP_LISTEN_OVERFLOWS,
	WS_TCP_LISTEN_DROPS,
	WS_TCP_REQQ_FULL_DROP,
	WS_TCP_PRUNE_CALLED,
	WS_TCP_RCV_PRUNED,
	WS_TCP_RCVQ_DROP,
	WS_TCP_DSACK_RECV, /* the peer got a segment twice: spurious */
	WS_TCP_NSTATS,
};

/* Reads every ws_tcpstat; a counter the kernel lacks reads as 0. */
void ws_tcp_counters(uint64_t out[WS_TCP_NSTATS]);

/* Sysctls that contradict the TCP counters' deltas. */
void find_sysctl_contradictions(const uint64_t tcp_delta[WS_TCP_NSTATS],
				struct ws_findings *f);

/* One TCP sender's run (user/sndbuf.c): times from tcp_info, in usec. */
struct ws_sndbuf_delta {
	uint64_t busy_us;    /* sending data */
	uint64_t limited_us; /* of which waiting for send-buffer space */
	uint32_t sndbuf;     /* its buffer at the end (ss: tb) */
	uint32_t rtt_us;
	char peer[64];
};

/* The senders that waited for a buffer at a sysctl's cap. */
struct ws_sndbuf_report {
	int64_t tcp_wmem_max; /* autotuning's cap (tcp_wmem[2]) */
	int64_t wmem_max;     /* SO_SNDBUF's cap (doubled by the kernel) */
	int senders_limited;
	bool untracked; /* some sockets were not read at the start */
	struct ws_sndbuf_delta worst;
};

/* Waited for buffer space >= 100 ms and >= 20% of its busy time. */
bool sndbuf_limited(const struct ws_sndbuf_delta *d);
/* @sndbuf is as large as tcp_wmem or wmem_max lets it grow. */
bool sndbuf_at_cap(uint32_t sndbuf, int64_t tcp_wmem_max, int64_t wmem_max);
void find_sndbuf(const struct ws_sndbuf_report *r, struct ws_findings *f);

/* For the resets wiring: keepalive against a middlebox idle timeout. */
void ws_advise_keepalive(struct ws_finding *x, double idle_timeout_s);

#endif
