/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for /proc and /sys text.  Each parse_* is a pure function over a
 * NUL-terminated buffer (fuzzed by tests): no I/O, no allocation, never
 * reads past the terminator, and rejects what it does not understand.
 */
#ifndef WS_PROCFS_H
#define WS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define WS_SOFTNET_MAX_CPUS 1024

/* One row of /proc/net/softnet_stat: 32-bit counters that wrap. */
struct ws_softnet {
	uint32_t processed;
	uint32_t dropped;      /* backlog full: netdev_max_backlog */
	uint32_t time_squeeze; /* NAPI budget or time ran out */
	/*
	 * Column 13 where the kernel prints it, else the row: rows are the
	 * online CPUs only, so a row is not a CPU once one is offline.
	 */
	uint32_t cpu;
};

/* Rows parsed (<= @max) or -EINVAL. */
int parse_softnet(const char *buf, struct ws_softnet *rows, int max);

/*
 * /proc/net/snmp and /proc/net/netstat: pairs of "Proto: names" and
 * "Proto: values" lines.  0 and *out set, or -ENOENT / -EINVAL.
 */
int parse_snmp(const char *buf, const char *proto, const char *field,
	       uint64_t *out);

/* One integer, as /sys and /proc/sys print them ("1000\n", "-1\n"). */
int parse_i64(const char *buf, int64_t *out);
/* The @idx-th (from 0) of whitespace-separated integers ("4096 131072"). */
int parse_i64_field(const char *buf, int idx, int64_t *out);

/* The interface of the IPv4 default route with the lowest metric. */
int parse_route_default(const char *buf, char *ifname, size_t len);
/* The same for /proc/net/ipv6_route (prefix ::/0, not via lo). */
int parse_ipv6_route_default(const char *buf, char *ifname, size_t len);

/* Reads a whole small file; bytes read or -errno.  Always terminated. */
int ws_read_text(const char *path, char *buf, size_t len);
/* A sysctl by its dotted name ("net.core.somaxconn"); 0 or -errno. */
int ws_sysctl(const char *name, int64_t *out);
/* One field of a multi-value sysctl (net.ipv4.tcp_rmem 2: the maximum). */
int ws_sysctl_field(const char *name, int idx, int64_t *out);
/* /sys/class/net/IFACE/FILE as an integer; 0 or -errno. */
int ws_sysfs_net(const char *iface, const char *file, int64_t *out);

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
	WS_TCP_DSACK_SEGS, /* segments the peer got twice: spurious */
	WS_TCP_NSTATS,
};

/*
 * Kernel TCP counters over a run: each one's growth since its first good
 * read.  A read that fails, or a counter the kernel lacks, keeps the last
 * good value, so a delta neither wraps nor jumps by the whole counter.
 */
struct ws_tcp_counters {
	uint64_t base[WS_TCP_NSTATS], last[WS_TCP_NSTATS];
	uint32_t known;	 /* bit i: counter i was read at least once */
	uint32_t unread; /* bit i: a read lacked it (its file or the line) */
};

/* Folds the text of /proc/net/snmp and netstat ("" if unread) into @c. */
void parse_tcp_counters(struct ws_tcp_counters *c, const char *snmp,
			const char *netstat);
/* Reads both files and folds them into @c. */
void ws_tcp_counters_read(struct ws_tcp_counters *c);
/* Counter @i's growth since its first good read; 0 if never read. */
uint64_t ws_tcp_delta(const struct ws_tcp_counters *c, int i);
struct ws_findings;
/* The counters of @mask a read lacked, unknown in "evidence_unread". */
void ws_tcp_counters_unread(const struct ws_tcp_counters *c, uint32_t mask,
			    struct ws_findings *f);

/* The kernel's tick (a jiffy): the coarse clocks' resolution; 0 if odd. */
uint64_t ws_kernel_tick_ns(void);

#endif
