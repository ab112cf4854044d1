// SPDX-License-Identifier: GPL-2.0
/*
 * The host collector: what the kernel already counts, read around the run.
 * Findings: iface_drops, softnet_drops, softnet_squeeze, egress_saturated
 * and sysctl_* contradictions (docs/diag.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include "core/core.h"
#include "collectors/hoststat_collector.h"
#include "core/netlink.h"

const char *const ws_ifstat_names[WS_IF_NSTATS] = {
	"rx_packets",	     "tx_packets",     "rx_bytes",
	"tx_bytes",	     "rx_dropped",     "rx_missed_errors",
	"rx_fifo_errors",    "rx_over_errors", "rx_crc_errors",
	"rx_errors",	     "tx_dropped",     "tx_fifo_errors",
	"tx_carrier_errors", "tx_errors",
};

struct iface_snap {
	uint64_t st[WS_IF_NSTATS];
	uint32_t known; /* bit k: st[k] was read, now or before */
	struct nl_qdisc_stats root;
};

struct host_snap {
	struct iface_snap ifc[WS_MAX_IFACES];
	struct ws_softnet softnet[WS_SOFTNET_MAX_CPUS];
	int ncpus;
};

static struct host_snap base, cur;
static struct ws_tcp_counters tcp_counters;
/* The ones find_sysctl_contradictions() judges. */
#define HOST_TCP_COUNTERS                                                      \
	(1U << WS_TCP_LISTEN_OVERFLOWS | 1U << WS_TCP_LISTEN_DROPS |           \
	 1U << WS_TCP_REQQ_FULL_DROP | 1U << WS_TCP_PRUNE_CALLED |             \
	 1U << WS_TCP_RCV_PRUNED | 1U << WS_TCP_RCVQ_DROP)
static uint32_t backlog_max[WS_MAX_IFACES], qlen_max[WS_MAX_IFACES];
/* Reads that failed during the run: what they count is unknown. */
static uint32_t iface_unread[WS_MAX_IFACES];
static bool qdisc_unread[WS_MAX_IFACES];
static bool softnet_unread;

/* False, and @root as it was, when the dump failed: none is not unread. */
static bool read_root_qdisc(int ifindex, struct nl_qdisc_stats *root)
{
	struct nl_qdisc_stats q[16];
	int i, n = nl_qdisc_stats(ifindex, q, 16);

	if (n < 0)
		return false;
	memset(root, 0, sizeof(*root));
	for (i = 0; i < n; i++)
		if (q[i].parent == TC_H_ROOT)
			*root = q[i];
	return true;
}

/* Is @ifc's name still @ifc's?  Deleted, or re-created: no longer. */
static bool still_ours(const struct ws_iface *ifc)
{
	int64_t v;

	return !ws_sysfs_net(ifc->name, "ifindex", &v) && v == ifc->ifindex;
}

/*
 * @ifc's counters into @s; false, and @s as it was, when its name has
 * gone or names another interface (counters of its own from 0).  A
 * counter that does not read keeps its last value, and its bit in
 * @unread (the root qdisc's, @qdisc_failed): never a 0 that would read as
 * nothing counted.
 */
static bool read_iface(const struct ws_iface *ifc, struct iface_snap *s,
		       uint32_t *unread, bool *qdisc_failed)
{
	struct iface_snap now = *s;
	uint32_t failed = 0;
	char file[64];
	int64_t v;
	int k;

	if (!still_ours(ifc))
		return false;
	for (k = 0; k < WS_IF_NSTATS; k++) {
		snprintf(file, sizeof(file), "statistics/%s",
			 ws_ifstat_names[k]);
		if (ws_sysfs_net(ifc->name, file, &v)) {
			failed |= 1U << k;
			continue;
		}
		now.st[k] = (uint64_t)v;
		now.known |= 1U << k;
	}
	if (!read_root_qdisc(ifc->ifindex, &now.root))
		*qdisc_failed = true;
	if (!still_ours(ifc))
		return false;
	*s = now;
	*unread |= failed;
	return true;
}

/* /proc/net/softnet_stat into @s; false, and @s as it was, if unread. */
static bool read_softnet(struct host_snap *s)
{
	static char buf[WS_SOFTNET_MAX_CPUS * 160];
	int n = ws_read_text("/proc/net/softnet_stat", buf, sizeof(buf));

	if (n >= 0)
		n = parse_softnet(buf, s->softnet, WS_SOFTNET_MAX_CPUS);
	if (n <= 0)
		return false;
	s->ncpus = n;
	return true;
}

static int host_sample(struct ws_session *s)
{
	int i;

	for (i = 0; i < s->o->n_ifaces; i++) {
		struct ws_iface *ifc = &s->o->ifaces[i];

		if (ifc->gone || !read_iface(ifc, &cur.ifc[i], &iface_unread[i],
					     &qdisc_unread[i]))
			continue; /* what it counted until then stands */
		if (cur.ifc[i].root.backlog > backlog_max[i])
			backlog_max[i] = cur.ifc[i].root.backlog;
		if (cur.ifc[i].root.qlen > qlen_max[i])
			qlen_max[i] = cur.ifc[i].root.qlen;
	}
	if (!read_softnet(&cur))
		softnet_unread = true; /* the last good rows stand */
	ws_tcp_counters_read(&tcp_counters);
	return 0;
}

static int host_start(struct ws_session *s)
{
	const struct nl_listener *v;
	int n;

	memset(&cur, 0, sizeof(cur));
	memset(&tcp_counters, 0, sizeof(tcp_counters));
	memset(iface_unread, 0, sizeof(iface_unread));
	memset(qdisc_unread, 0, sizeof(qdisc_unread));
	softnet_unread = false;
	host_sample(s);
	base = cur;
	n = ws_session_listeners(s, &v);
	listeners_note_drops(v, n);
	return 0;
}

/* @b's row of the same CPU in @a, or NULL (it came online meanwhile). */
static const struct ws_softnet *same_cpu(const struct ws_softnet *a, int na,
					 const struct ws_softnet *b)
{
	int i;

	for (i = 0; i < na; i++)
		if (a[i].cpu == b->cpu)
			return &a[i];
	return NULL;
}

void softnet_delta(const struct ws_softnet *a, int na,
		   const struct ws_softnet *b, int nb,
		   struct ws_softnet_delta *d)
{
	const struct ws_softnet *o;
	int i;

	d->processed = d->dropped = d->time_squeeze = 0;
	d->worst_cpu = -1;
	d->worst_cpu_dropped = 0;
	d->cpus_unmatched = 0;
	for (i = 0; i < nb; i++) {
		uint32_t dropped;

		o = same_cpu(a, na, &b[i]);
		if (!o) {
			d->cpus_unmatched++;
			continue;
		}
		dropped = b[i].dropped - o->dropped;
		d->processed += (uint32_t)(b[i].processed - o->processed);
		d->time_squeeze +=
		    (uint32_t)(b[i].time_squeeze - o->time_squeeze);
		d->dropped += dropped;
		if (dropped > d->worst_cpu_dropped) {
			d->worst_cpu_dropped = dropped;
			d->worst_cpu = b[i].cpu;
		}
	}
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / whole : 0;
}

/*
 * Drops and errors the driver and the stack count on the interface.  A few
 * rx_dropped are normal (frames of protocols nobody listens to), so it
 * takes 10 and 0.05% of the packets; 1% is critical.  Backlog drops also
 * show as rx_dropped: those belong to softnet_drops, not here.
 */
void find_iface_drops(const struct ws_iface_delta *d, uint64_t softnet_dropped,
		      struct ws_findings *f)
{
	const uint64_t *st = d->st;
	uint64_t rx_dropped = st[WS_IF_RX_DROPPED], drops, errors, pkts;
	struct ws_finding *x;
	enum ws_severity sev;
	char key[32];
	double sh;
	int k;

	if (d->unread) { /* the sums below are floors */
		snprintf(key, sizeof(key), "statistics:%s", d->name);
		ws_evidence_unread(f, key);
	}
	rx_dropped -=
	    rx_dropped < softnet_dropped ? rx_dropped : softnet_dropped;
	drops = rx_dropped + st[WS_IF_TX_DROPPED] + st[WS_IF_RX_MISSED] +
		st[WS_IF_RX_FIFO] + st[WS_IF_RX_OVER];
	errors = st[WS_IF_RX_ERRORS] + st[WS_IF_TX_ERRORS];
	/* Frames in error are in no packet counter: all it saw holds them. */
	pkts = st[WS_IF_RX_PACKETS] + st[WS_IF_TX_PACKETS] + drops + errors;
	sh = share(drops + errors, pkts);
	if (drops + errors < 10 || sh < 0.0005)
		return;
	sev = sh >= 0.01 ? WS_SEV_CRITICAL : WS_SEV_WARNING;
	x = ws_finding_add(f, "iface_drops", sev, 0.9,
			   "%s dropped or failed %llu of %llu packets (%.2f%%)",
			   d->name, (unsigned long long)(drops + errors),
			   (unsigned long long)pkts, 100 * sh);
	ws_evidence_str(x, "iface", d->name);
	for (k = WS_IF_RX_DROPPED; k < WS_IF_NSTATS; k++)
		if (d->unread & 1U << k)
			ws_evidence_unknown(x, ws_ifstat_names[k]);
		else if (st[k])
			ws_evidence_num(x, ws_ifstat_names[k], st[k]);
	if (softnet_dropped && st[WS_IF_RX_DROPPED])
		ws_evidence_num(x, "rx_dropped_by_backlog",
				st[WS_IF_RX_DROPPED] - rx_dropped);
	ws_evidence_num(x, "drop_pct", 100 * sh);
	if (st[WS_IF_RX_MISSED] + st[WS_IF_RX_FIFO] + st[WS_IF_RX_OVER])
		ws_advice(x,
			  "the NIC ran out of receive descriptors: raise the "
			  "ring (`ethtool -G %s rx 4096`, see `ethtool -g "
			  "%s` for the maximum) and spread interrupts over "
			  "CPUs (RSS, irqbalance); `ethtool -S %s` names "
			  "the exact counter",
			  d->name, d->name, d->name);
	else if (errors > drops)
		ws_advice(x,
			  "frames failed on the link itself (errors, not "
			  "drops): CRC and frame errors point at a cable, "
			  "optic or port, carrier errors at a link going down; "
			  "`ethtool -S %s` names the counter, `ethtool %s` "
			  "shows speed and duplex against the peer's",
			  d->name, d->name);
	else if (st[WS_IF_TX_DROPPED] >= rx_dropped)
		ws_advice(x,
			  "the driver refused packets on transmit: the "
			  "link or its peer is down or the device queue is "
			  "full; check `ip -s link show %s`, the carrier and "
			  "the peer; for a NIC, raise the tx ring (`ethtool "
			  "-G %s tx 4096`)",
			  d->name, d->name);
	else
		ws_advice(x,
			  "the stack dropped received frames (unknown "
			  "protocol, bad checksum or a full queue): `ip -s "
			  "-s link show %s` and `nstat -az | grep -i drop` "
			  "tell which; frames for no listener point at a "
			  "misconfigured sender",
			  d->name);
}

/*
 * Any backlog drop is a lost packet on its way in: a warning; 1% of what
 * the CPUs processed is critical.  time_squeeze alone costs latency, not
 * packets: info.
 */
void find_softnet(const struct ws_softnet_delta *d, struct ws_findings *f)
{
	struct ws_finding *x;
	double sh = share(d->dropped, d->processed + d->dropped);
	int64_t backlog = d->netdev_max_backlog;
	int64_t want = backlog < 1000 ? 2000 : backlog * 2;
	char now[48] = "";

	if (d->unread) /* a drop count is then a floor */
		ws_evidence_unread(f, "softnet_stat");
	if (d->dropped) {
		x = ws_finding_add(
		    f, "softnet_drops",
		    sh >= 0.01 ? WS_SEV_CRITICAL : WS_SEV_WARNING, 0.95,
		    "the per-CPU input backlog overflowed: %llu packets "
		    "dropped (%.2f%%)",
		    (unsigned long long)d->dropped, 100 * sh);
		ws_evidence_num(x, "dropped", d->dropped);
		ws_evidence_num(x, "processed", d->processed);
		ws_evidence_num(x, "drop_pct", 100 * sh);
		ws_evidence_num(x, "time_squeeze", d->time_squeeze);
		ws_evidence_num(x, "worst_cpu", d->worst_cpu);
		ws_evidence_num(x, "worst_cpu_dropped", d->worst_cpu_dropped);
		if (d->cpus_unmatched) /* online only for part of the run */
			ws_evidence_num(x, "cpus_not_counted",
					d->cpus_unmatched);
		/* only the initial network namespace shows it */
		ws_evidence_sysctl(x, "netdev_max_backlog", backlog);
		if (backlog > 0)
			snprintf(now, sizeof(now), " = %lld",
				 (long long)backlog);
		ws_advice(
		    x,
		    "net.core.netdev_max_backlog%s is too small for "
		    "the bursts this host receives: `sysctl -w "
		    "net.core.netdev_max_backlog=%lld` (and in "
		    "/etc/sysctl.d/)%s; if one CPU takes most drops, "
		    "spread receive work with RSS or RPS "
		    "(/sys/class/net/IFACE/queues/rx-*/rps_cpus)",
		    now, (long long)want,
		    backlog > 0 && backlog < 1000
			? ": the value is below the kernel default of 1000"
			: "");
		return;
	}
	if (d->time_squeeze < 10)
		return;
	if (d->netdev_budget >= 0)
		snprintf(now, sizeof(now), " (net.core.netdev_budget = %lld)",
			 (long long)d->netdev_budget);
	x = ws_finding_add(f, "softnet_squeeze", WS_SEV_INFO, 0.7,
			   "receive processing ran out of budget %llu times%s",
			   (unsigned long long)d->time_squeeze, now);
	ws_evidence_num(x, "time_squeeze", d->time_squeeze);
	ws_evidence_num(x, "processed", d->processed);
	ws_evidence_sysctl(x, "netdev_budget", d->netdev_budget);
	ws_evidence_sysctl(x, "netdev_budget_usecs", d->netdev_budget_usecs);
	ws_advice(x,
		  "packets waited for the next softirq round, no loss yet; "
		  "if latency matters, `sysctl -w net.core.netdev_budget=600 "
		  "net.core.netdev_budget_usecs=4000`");
}

/*
 * The seed's router: output queue 39/40, 22M drops.  The root qdisc
 * dropping at least 10 packets and 0.1% of what it sent is a saturated
 * egress (1% is critical: TCP throughput falls fast past it); so is 90% of
 * a known link speed, drops or not.
 */
void find_egress(const struct ws_iface_delta *d, struct ws_findings *f)
{
	double bps = d->secs > 0 ? d->st[WS_IF_TX_BYTES] * 8.0 / d->secs : 0;
	double util = d->speed_mbps > 0 ? bps / (d->speed_mbps * 1e6) : 0;
	double sh = share(d->q_drops, d->q_packets + d->q_drops);
	bool dropping = d->q_drops >= 10 && sh >= 0.001;
	struct ws_finding *x;
	enum ws_severity sev;
	char key[32];

	if (d->qdisc_unread) { /* its drops are a floor */
		snprintf(key, sizeof(key), "qdisc:%s", d->name);
		ws_evidence_unread(f, key);
	}
	if (!dropping && util < 0.9)
		return;
	sev = sh >= 0.01 || (dropping && util >= 0.9) ? WS_SEV_CRITICAL
						      : WS_SEV_WARNING;
	x = ws_finding_add(
	    f, "egress_saturated", sev, dropping ? 0.9 : 0.6,
	    "%s egress is saturated: %s qdisc dropped %llu packets (%.2f%%), "
	    "%.1f Mbit/s sent%s",
	    d->name, d->qdisc[0] ? d->qdisc : "no",
	    (unsigned long long)d->q_drops, 100 * sh, bps / 1e6,
	    util >= 0.9 ? " near the link speed" : "");
	ws_evidence_str(x, "iface", d->name);
	ws_evidence_num(x, "tx_bps", bps);
	if (d->speed_mbps > 0) {
		ws_evidence_num(x, "link_mbps", d->speed_mbps);
		ws_evidence_num(x, "utilization_pct", 100 * util);
	} else {
		ws_evidence_unknown(x, "link_mbps");
	}
	ws_evidence_str(x, "qdisc", d->qdisc[0] ? d->qdisc : "none");
	ws_evidence_num(x, "qdisc_sent_packets", d->q_packets);
	ws_evidence_num(x, "qdisc_drops", d->q_drops);
	ws_evidence_num(x, "qdisc_drop_pct", 100 * sh);
	ws_evidence_num(x, "qdisc_overlimits", d->q_overlimits);
	ws_evidence_num(x, "qdisc_requeues", d->q_requeues);
	ws_evidence_num(x, "backlog_max_bytes", d->q_backlog_max);
	ws_evidence_num(x, "qlen_max", d->q_qlen_max);
	ws_advice(x,
		  "more is offered than %s can send: a deeper queue only adds "
		  "latency.  Find the senders (`wirescope sizes -i %s`), "
		  "raise the capacity (the shaper's rate or the link) or "
		  "spread the load; `tc -s qdisc show dev %s` shows the "
		  "queue",
		  d->name, d->name, d->name);
}

/*
 * Received data overflowed a socket's buffer.  Autotuning stops at
 * tcp_rmem's maximum: below 4 MiB (one BDP at 1 Gbit/s and 30 ms) that is
 * the sysctl to raise, unless the application pinned SO_RCVBUF, which the
 * counters cannot tell apart (less confidence).  rmem_max caps SO_RCVBUF
 * only, never autotuning: alone it is no cause.
 */
/* tcp_rmem unread: that autotuning could have grown the buffer is unproven. */
static double rcvbuf_confidence(bool small, int64_t tmax)
{
	if (small)
		return 0.6;
	return tmax < 0 ? 0.5 : 0.8;
}

void find_rcvbuf(const uint64_t t[WS_TCP_NSTATS], int64_t rmax, int64_t tmax,
		 struct ws_findings *f)
{
	const int64_t enough = 4 << 20;
	bool small = tmax > 0 && tmax < enough;
	struct ws_finding *x;
	char cap[128] = "", r[24], m[24];

	x = ws_finding_add(f, small ? "sysctl_rmem_max" : "rcvbuf_overflow",
			   WS_SEV_WARNING, rcvbuf_confidence(small, tmax),
			   "TCP receive buffers overflowed (net.core.rmem_max "
			   "= %s, net.ipv4.tcp_rmem max = %s)",
			   ws_fmt_sysctl(rmax, r, sizeof(r)),
			   ws_fmt_sysctl(tmax, m, sizeof(m)));
	ws_evidence_sysctl(x, "net.core.rmem_max", rmax);
	ws_evidence_sysctl(x, "tcp_rmem_max", tmax);
	ws_evidence_num(x, "prune_called", t[WS_TCP_PRUNE_CALLED]);
	ws_evidence_num(x, "rcv_pruned", t[WS_TCP_RCV_PRUNED]);
	ws_evidence_num(x, "rcvq_drops", t[WS_TCP_RCVQ_DROP]);
	if (rmax > 0 && rmax < enough)
		snprintf(cap, sizeof(cap),
			 "; an SO_RCVBUF asked of the kernel gets at most "
			 "net.core.rmem_max (%lld): raise it for one that "
			 "asks more",
			 (long long)rmax);
	if (small)
		ws_advice(x,
			  "autotuned receive buffers stop at tcp_rmem's "
			  "maximum: `sysctl -w net.ipv4.tcp_rmem='4096 131072 "
			  "16777216'` (and in /etc/sysctl.d/); if the "
			  "application sets its own SO_RCVBUF (`ss -tm` shows "
			  "rb) that is the limit instead%s",
			  cap);
	else
		ws_advice(x,
			  "autotuning may grow buffers to tcp_rmem's maximum, "
			  "so the application caps its own or reads too "
			  "slowly: look for a small SO_RCVBUF (`ss -tm` shows "
			  "rb; nginx `rcvbuf=`, Java setReceiveBufferSize) or "
			  "a reader that falls behind%s",
			  cap);
}

/*
 * The listeners' drops (sk_drops) at the start: a listener capped at
 * somaxconn counts only if its drops rose during the run.  One with no
 * start value (new, past the table's end, or the start dump failed)
 * counts if it ever dropped.
 */
#define DROPS_MAX 4096
static struct listener_drops {
	uint32_t inode, drops;
} drops0[DROPS_MAX];
static int n_drops0;

void listeners_note_drops(const struct nl_listener *v, int n)
{
	int i;

	for (i = 0; i < n && i < DROPS_MAX; i++)
		drops0[i] = (struct listener_drops){ v[i].inode, v[i].drops };
	n_drops0 = i;
}

static bool dropped_since_start(const struct nl_listener *l)
{
	int i;

	for (i = 0; i < n_drops0; i++)
		if (drops0[i].inode == l->inode)
			return l->drops != drops0[i].drops;
	return l->drops;
}

int listeners_capped_at(const struct nl_listener *v, int n, int64_t somaxconn)
{
	int i, capped = 0;

	for (i = 0; i < n; i++)
		capped += v[i].wqueue == (uint32_t)somaxconn &&
			  dropped_since_start(&v[i]);
	return n < 0 ? n : capped;
}

static struct ws_finding *sysctl_finding(struct ws_findings *f, const char *id,
					 const char *name, int64_t val,
					 const char *why)
{
	struct ws_finding *x;

	x = ws_finding_add(f, id, WS_SEV_WARNING, 0.8, "%s = %lld, yet %s",
			   name, (long long)val, why);
	ws_evidence_num(x, name, val);
	return x;
}

/*
 * Only where a counter contradicts a setting: a queue that overflowed
 * while its sysctl cap is below today's defaults.  The accept and resets
 * collectors give the per-listener and keepalive findings.
 */
void find_sysctl_contradictions(const uint64_t t[WS_TCP_NSTATS], int capped,
				struct ws_findings *f)
{
	struct ws_finding *x;
	int64_t v;

	if (t[WS_TCP_LISTEN_OVERFLOWS] && capped &&
	    !ws_sysctl("net.core.somaxconn", &v) && v < 4096) {
		x = sysctl_finding(f, "sysctl_somaxconn", "net.core.somaxconn",
				   v, "accept queues overflowed");
		ws_evidence_num(x, "listen_overflows",
				t[WS_TCP_LISTEN_OVERFLOWS]);
		ws_evidence_num(x, "listen_drops", t[WS_TCP_LISTEN_DROPS]);
		if (capped > 0)
			ws_evidence_num(x, "listeners_capped", capped);
		else
			ws_evidence_unknown(x, "listeners_capped");
		ws_advice(x, "every listen() backlog is capped at somaxconn: "
			     "`sysctl -w net.core.somaxconn=4096`, then raise "
			     "the application's backlog (nginx: `listen 80 "
			     "backlog=4096;`, its default is 511)");
	}
	if (t[WS_TCP_REQQ_FULL_DROP] &&
	    !ws_sysctl("net.ipv4.tcp_max_syn_backlog", &v)) {
		int64_t cookies = -1, somax = -1;

		ws_sysctl("net.ipv4.tcp_syncookies", &cookies);
		ws_sysctl("net.core.somaxconn", &somax);
		x = sysctl_finding(f, "sysctl_tcp_max_syn_backlog",
				   "net.ipv4.tcp_max_syn_backlog", v,
				   "SYNs were dropped with a SYN queue full");
		ws_evidence_num(x, "reqq_full_drops", t[WS_TCP_REQQ_FULL_DROP]);
		ws_evidence_sysctl(x, "net.ipv4.tcp_syncookies", cookies);
		ws_evidence_sysctl(x, "net.core.somaxconn", somax);
		ws_advice(x,
			  "a SYN queue is as long as the listen() backlog "
			  "(capped by somaxconn); with syncookies off a full "
			  "queue drops SYNs, and tcp_max_syn_backlog drops "
			  "unproven peers from 3/4 full: `sysctl -w "
			  "net.ipv4.tcp_syncookies=1 "
			  "net.ipv4.tcp_max_syn_backlog=%lld`, and raise the "
			  "application's backlog",
			  (long long)(v < 4096 ? 8192 : v * 2));
	}
	if (t[WS_TCP_PRUNE_CALLED] + t[WS_TCP_RCVQ_DROP]) {
		int64_t rmax = -1, tmax = -1;

		ws_sysctl("net.core.rmem_max", &rmax);
		ws_sysctl_field("net.ipv4.tcp_rmem", 2, &tmax);
		find_rcvbuf(t, rmax, tmax, f);
	}
}

/*
 * The root qdisc's counters over the run, false when there is none or it
 * was replaced while we ran: another kind or handle, or counters that went
 * back (a default qdisc re-created has the same kind and handle 0).  The
 * kernel's drops are 32 bits and wrap: a step back by less than half their
 * range is a reset, one by more is the wrap.
 */
bool root_qdisc_delta(const struct nl_qdisc_stats *a,
		      const struct nl_qdisc_stats *b, struct ws_iface_delta *d)
{
	uint32_t drops = b->drops - a->drops;

	if (!b->kind[0] || strcmp(a->kind, b->kind) || a->handle != b->handle ||
	    b->packets < a->packets || drops > INT32_MAX)
		return false;
	memcpy(d->qdisc, b->kind, sizeof(d->qdisc));
	d->q_packets = b->packets - a->packets;
	d->q_drops = drops;
	d->q_overlimits = (uint32_t)(b->overlimits - a->overlimits);
	d->q_requeues = (uint32_t)(b->requeues - a->requeues);
	return true;
}

static void iface_delta(struct ws_session *s, int i, struct ws_iface_delta *d)
{
	const struct iface_snap *a = &base.ifc[i], *b = &cur.ifc[i];
	uint32_t both = a->known & b->known;
	int k;

	memset(d, 0, sizeof(*d));
	d->name = s->o->ifaces[i].name;
	d->secs = s->elapsed;
	d->unread = iface_unread[i] | (~both & ((1U << WS_IF_NSTATS) - 1));
	d->qdisc_unread = qdisc_unread[i];
	for (k = 0; k < WS_IF_NSTATS; k++)
		if (both & 1U << k && b->st[k] >= a->st[k])
			d->st[k] = b->st[k] - a->st[k];
	if (!still_ours(&s->o->ifaces[i]) ||
	    ws_sysfs_net(d->name, "speed", &d->speed_mbps))
		d->speed_mbps = -1;
	if (!root_qdisc_delta(&a->root, &b->root, d))
		return;
	d->q_backlog_max = backlog_max[i];
	d->q_qlen_max = qlen_max[i];
}

static void host_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_softnet_delta sd = { .secs = s->elapsed,
				       .netdev_max_backlog = -1,
				       .netdev_budget = -1,
				       .netdev_budget_usecs = -1 };
	struct ws_iface_delta d;
	uint64_t tcp[WS_TCP_NSTATS];
	const struct nl_listener *v;
	int64_t somaxconn;
	int i, n, capped;

	softnet_delta(base.softnet, base.ncpus, cur.softnet, cur.ncpus, &sd);
	sd.unread = softnet_unread;
	ws_sysctl("net.core.netdev_max_backlog", &sd.netdev_max_backlog);
	ws_sysctl("net.core.netdev_budget", &sd.netdev_budget);
	ws_sysctl("net.core.netdev_budget_usecs", &sd.netdev_budget_usecs);
	find_softnet(&sd, f);
	for (i = 0; i < s->o->n_ifaces; i++) {
		iface_delta(s, i, &d);
		find_iface_drops(&d, sd.dropped, f);
		find_egress(&d, f);
	}
	for (i = 0; i < WS_TCP_NSTATS; i++)
		tcp[i] = ws_tcp_delta(&tcp_counters, i);
	ws_tcp_counters_unread(&tcp_counters, HOST_TCP_COUNTERS, f);
	n = ws_session_listeners(s, &v); /* accept's, in diag */
	if (ws_sysctl("net.core.somaxconn", &somaxconn) ||
	    (capped = listeners_capped_at(v, n, somaxconn)) < 0)
		capped = -1;
	find_sysctl_contradictions(tcp, capped, f);
}

const struct ws_collector ws_host_collector = {
	.name = "host",
	.start = host_start,
	.sample = host_sample,
	.findings = host_findings,
};
