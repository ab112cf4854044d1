/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reset collector.  XDP ingress keeps a per-flow baseline of the peer (TTL,
 * IP-ID, TS clock) and tc egress one of our sends; each RST seen on the wire
 * and each reset decision of the local kernel (tcp_send_reset,
 * tcp_receive_reset, kfree_skb of an RST) becomes one rst_event in a ring
 * buffer, behind a per-CPU token bucket.  User space decides who sent it.
 */
#ifndef WS_RESETS_BPF_H
#define WS_RESETS_BPF_H

#include "common.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "resets.h"

#define RST_AF_INET  2
#define RST_AF_INET6 10
#define RST_EEXIST   17 /* errno: the key is already there */

const volatile bool resets_enabled = false;
const volatile __u32 resets_lo_ifindex = 1;
const volatile __u32 resets_netns_ino = 0; /* 0: any namespace */
const volatile __u64 resets_rate = RST_RATE_DEFAULT;
const volatile __u64 resets_burst = RST_BURST_DEFAULT;
const volatile __u64 resets_tick_ns = 0; /* a jiffy; 0: unknown */
/* Closed flows leave once this CPU inserted this many: rst_forget_closed() */
const volatile __u64 resets_reap_after = 0;
/* Wire segments a baseline may lag by: rst_gate_pass(); 0: no gate. */
const volatile __u32 resets_gate_segs = 0;
__u64 rst_jiffies_base; /* rst_now_coarse() - jiffies * tick */
__u32 rst_reap_all;	/* user space: every CPU's inserts reached half */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RST_FLOWS_DEFAULT);
	__type(key, struct rst_flow_key);
	__type(value, struct rst_flow);
} rst_flows SEC(".maps");

/*
 * One byte per slot, in 64-byte entries user space maps as one array; a map
 * of its own (not .bss) shrinks to one entry when resets does not run.  Bit
 * rst_present_half of each byte is the half in use (user space's).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RST_PRESENT_SLOTS / RST_PRESENT_LINE);
	__type(key, __u32);
	__type(value, struct rst_present_line);
} rst_present SEC(".maps");
__u32 rst_present_half;

/* The receive half, then the send half: a flow's two CPUs share no line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * RST_GATE_SLOTS);
	__type(key, __u32);
	__type(value, struct rst_gate);
} rst_gate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RST_RINGBUF_BYTES);
} rst_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_bucket);
} rst_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} rst_stats SEC(".maps");

/*
 * The per-packet clock (baselines, the rate limit): a tick-precise one is
 * enough for idle times and token buckets, and it must not run ahead of the
 * events' bpf_ktime_get_ns() (an RST 1 ms after our segment must not look
 * older than it).  jiffies count CLOCK_MONOTONIC's ticks, so jiffies * tick
 * plus a base is that clock, two ticks behind, for the price of a load;
 * bpf_ktime_get_coarse_ns() cost ~20 ns more a packet, and tracing programs
 * may not call it.  The base is taken on first use and lowered by every
 * event that reads the fine clock (rst_lower_base()), so jiffies that were
 * stale at first use (a paused vCPU) cannot keep the clock ahead.
 */
/* The base that puts jiffies * tick two ticks behind @fine_ns. */
static __always_inline __u64 rst_base_at(__u64 fine_ns)
{
	return fine_ns - (2 + bpf_jiffies64()) * resets_tick_ns;
}

static __always_inline __u64 rst_now_coarse(void)
{
	if (!resets_tick_ns)
		return bpf_ktime_get_ns();
	if (!rst_jiffies_base)
		rst_jiffies_base = rst_base_at(bpf_ktime_get_ns());
	return bpf_jiffies64() * resets_tick_ns + rst_jiffies_base;
}

/* A fine clock reading @fine_ns: the base may only come down to it. */
static __always_inline void rst_lower_base(__u64 fine_ns)
{
	__u64 cand;

	if (!resets_tick_ns)
		return;
	cand = rst_base_at(fine_ns);
	if ((__s64)(cand - rst_jiffies_base) < 0)
		rst_jiffies_base = cand;
}

/* Rate limit: @resets_rate tokens a second per CPU, up to @resets_burst. */
static __always_inline bool rst_take_token(__u64 now)
{
	__u32 zero = 0;
	struct rst_bucket *b = bpf_map_lookup_elem(&rst_buckets, &zero);
	__u64 elapsed, add;

	if (!b)
		return false;
	elapsed = now - b->last_ns;
	/* Behind the last refill: rst_lower_base() moved the clock back. */
	if ((__s64)elapsed < 0) {
		b->last_ns = now;
		elapsed = 0;
	}
	if (!b->last_ns || elapsed > 10000000000ULL) {
		b->tokens = resets_burst;
		b->last_ns = now;
	} else if (resets_rate) {
		add = elapsed * resets_rate / 1000000000ULL;
		if (add) {
			b->tokens += add;
			b->last_ns += add * 1000000000ULL / resets_rate;
			if (b->tokens > resets_burst)
				b->tokens = resets_burst;
		}
	}
	if (!b->tokens) {
		health_inc(WS_H_RESETS_RATE_LIMITED);
		return false;
	}
	b->tokens--;
	return true;
}

/* An event of @kind, stamped with the fine clock, or NULL if rate-limited. */
static __always_inline struct rst_event *rst_reserve(__u8 kind)
{
	struct rst_event *e;

	if (!rst_take_token(rst_now_coarse()))
		return NULL;
	e = bpf_ringbuf_reserve(&rst_events, sizeof(*e), 0);
	if (!e) {
		health_inc(WS_H_RESETS_RINGBUF_FULL);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	rst_lower_base(e->ts_ns);
	return e;
}

/* The gate slot of the flow whose rst_present_slot() is @slot. */
static __always_inline struct rst_gate *rst_gate_of(__u32 slot, __u32 dir)
{
	__u32 i = slot % RST_GATE_SLOTS;

	if (dir != WS_RX)
		i += RST_GATE_SLOTS;
	return bpf_map_lookup_elem(&rst_gate, &i);
}

/*
 * A segment like the one the baseline's last update saw, in the same tick
 * and within the budget, only counts itself: rst_gate (resets.h).
 */
static __always_inline bool rst_gate_pass(struct rst_gate *g, __u32 tag,
					  const struct ws_pkt *pkt, __u32 segs)
{
	if (!g || g->tag != tag || g->tick != (__u32)bpf_jiffies64() ||
	    g->ttl != pkt->ttl || g->tcp_flags != pkt->tcp_flags ||
	    g->data != !!pkt->payload || g->segs + segs > resets_gate_segs)
		return false;
	g->segs += segs;
	return true;
}

/* A gate slot of the flow's, or NULL. */
static __always_inline struct rst_gate *rst_gate_mine(__u32 slot, __u32 dir,
						      __u32 tag)
{
	struct rst_gate *g = rst_gate_of(slot, dir);

	return g && g->tag == tag ? g : NULL;
}

/*
 * Neither way lets a segment of the flow by any more: after a FIN or an RST
 * each one must reach the baseline (the close, the peer's data after its
 * RST).  The slots keep the lags they counted, for the RST's events.
 */
static __always_inline void rst_gate_disarm(__u32 slot, __u32 tag)
{
	struct rst_gate *g;

	g = rst_gate_mine(slot, WS_RX, tag);
	if (g)
		g->data = RST_GATE_OFF;
	g = rst_gate_mine(slot, WS_TX, tag);
	if (g)
		g->data = RST_GATE_OFF;
}

/*
 * After the baseline took @pkt, which brought this direction up to date:
 * later segments like it may pass the gate if the flow is @busy (a flow
 * slower than a segment a tick would only pay the write) and still open.
 * Our own segments arm it only as pure ACKs (our data is always taken, so
 * our send sequence stays exact: keepalive probes are told by it), and only
 * if the baseline still holds one: another CPU's segment may have been
 * taken in between.
 */
static __always_inline void rst_gate_set(struct rst_gate *g, __u32 tag,
					 const struct ws_pkt *pkt,
					 struct rst_flow *f, __u32 dir,
					 bool busy)
{
	__u8 *gated = dir == WS_RX ? &f->gated_rx : &f->gated_tx;

	if (!g)
		return;
	if (!busy || f->rst_rx_ns ||
	    (f->flags & (RST_F_CLOSED | RST_F_RST_TX)) ||
	    (dir != WS_RX && (pkt->payload || f->last_tx_kind != RST_TX_ACK ||
			      f->last_tx_flags != pkt->tcp_flags))) {
		*gated = 0;
		if (g->tag == tag)
			g->tag = 0;
		return;
	}
	g->tag = tag;
	g->tick = bpf_jiffies64();
	g->segs = 0;
	g->ttl = pkt->ttl;
	g->tcp_flags = pkt->tcp_flags;
	g->data = !!pkt->payload;
	*gated = 1;
}

/*
 * What of the flow's baseline @f (the event's copy) lags segments the gate
 * let by: its RST_BEHIND_* bits, and how many of the peer's
 * (RST_LAG_UNKNOWN once another flow took the slot over).
 */
static __always_inline __u8 rst_behind(const struct rst_flow_key *k,
				       const struct rst_flow *f, __u16 *rx_lag)
{
	__u32 slot = rst_present_slot(k), tag = rst_gate_tag(k);
	struct rst_gate *g;
	__u8 behind = 0;

	*rx_lag = 0;
	if (f->gated_rx) {
		g = rst_gate_mine(slot, WS_RX, tag);
		*rx_lag = g ? g->segs : RST_LAG_UNKNOWN;
		if (*rx_lag)
			behind |= RST_BEHIND_RX;
	}
	if (f->gated_tx) {
		g = rst_gate_mine(slot, WS_TX, tag);
		if (!g || g->segs)
			behind |= RST_BEHIND_TX;
	}
	return behind;
}

/* Orient a packet's addresses as (local, remote) by direction. */
static __always_inline void rst_key_from_pkt(const struct ws_pkt *pkt,
					     __u32 dir, struct rst_flow_key *k)
{
	const __u32 *l = dir == WS_RX ? pkt->daddr : pkt->saddr;
	const __u32 *r = dir == WS_RX ? pkt->saddr : pkt->daddr;

	__builtin_memcpy(k->laddr, l, 16);
	__builtin_memcpy(k->raddr, r, 16);
	k->lport = dir == WS_RX ? pkt->dport : pkt->sport;
	k->rport = dir == WS_RX ? pkt->sport : pkt->dport;
	k->family = pkt->ip_ver;
}

/*
 * Options are parsed only for an RST that got past the rate limit: @e is
 * its reserved event.
 */
static __always_inline void
rst_report_wire(struct rst_event *e, const struct ws_pkt *pkt, const void *data,
		const void *data_end, const struct rst_flow_key *k,
		const struct rst_flow *f, __u32 ifindex, __u32 dir,
		bool forwarded)
{
	struct ws_tcp_opts o;

	ws_parse_tcp_opts(data, data_end, pkt, &o);
	e->key = *k;
	e->ifindex = ifindex;
	e->dir = dir;
	e->seq = pkt->seq;
	e->ack = pkt->ack_seq;
	e->tsval = o.tsval;
	e->tsecr = o.tsecr;
	e->opts = o.present;
	e->ip_id = pkt->ip_id;
	e->ttl = pkt->ttl;
	e->tcp_flags = pkt->tcp_flags;
	e->forwarded = forwarded;
	if (f) {
		e->flow = *f;
		e->has_flow = 1;
		e->behind = rst_behind(k, &e->flow, &e->rx_lag);
	}
	bpf_ringbuf_submit(e, 0);
}

/*
 * The peer's first TSval after its SYN, and its time in ms after the
 * flow's first packet (saturated: ~49 days).
 */
static __always_inline void rst_first_tsval(struct rst_flow *f, __u32 tsval,
					    __u64 now)
{
	__u64 ms = now > f->first_ns ? (now - f->first_ns) / 1000000 : 0;

	f->flags |= RST_F_TS_FIRST;
	f->peer_tsval_first = tsval;
	f->peer_ts_first_ms =
	    ms < RST_TS_FIRST_MS_MAX ? ms : RST_TS_FIRST_MS_MAX;
}

static __always_inline void rst_update_rx(struct rst_flow *f,
					  const struct ws_pkt *pkt,
					  const struct ws_tcp_opts *o,
					  __u64 now)
{
	if (!(f->flags & RST_F_RX_SEEN) || pkt->ttl < f->ttl_min)
		f->ttl_min = pkt->ttl;
	if (!(f->flags & RST_F_RX_SEEN) || pkt->ttl > f->ttl_max)
		f->ttl_max = pkt->ttl;
	f->ttl_last = pkt->ttl;
	f->peer_ip_id = pkt->ip_id;
	if (pkt->tcp_flags & WS_TCP_SYN)
		f->flags &= ~RST_F_TS_FIRST;
	if (o->present & WS_OPT_TS) {
		if (!(f->flags & RST_F_TS_FIRST) &&
		    !(pkt->tcp_flags & WS_TCP_SYN))
			rst_first_tsval(f, o->tsval, now);
		f->peer_tsval = o->tsval;
		f->flags |= RST_F_PEER_TS;
	}
	if (f->rst_rx_ns && pkt->payload)
		f->rx_data_after_rst++;
	if (pkt->tcp_flags & WS_TCP_FIN)
		f->flags |= RST_F_FIN_RX;
	f->last_rx_ns = now;
	f->rx_pkts++;
	f->flags |= RST_F_RX_SEEN;
}

static __always_inline void rst_update_tx(struct rst_flow *f,
					  const struct ws_pkt *pkt, __u64 now)
{
	__u64 last =
	    f->last_rx_ns > f->last_tx_ns ? f->last_rx_ns : f->last_tx_ns;

	/* Another CPU may have stored a later tick just now. */
	f->tx_gap_ns = last && now > last ? now - last : 0;
	f->last_tx_ns = now;
	if (pkt->tcp_flags & WS_TCP_ACK)
		f->our_ack = pkt->ack_seq;
	if (pkt->payload || (pkt->tcp_flags & (WS_TCP_SYN | WS_TCP_FIN)))
		f->last_tx_kind = RST_TX_DATA;
	else if (pkt->seq + 1 == f->our_snd_nxt)
		f->last_tx_kind = RST_TX_PROBE;
	else
		f->last_tx_kind = RST_TX_ACK;
	if (f->last_tx_kind != RST_TX_PROBE)
		f->our_snd_nxt = pkt->seq + pkt->payload +
				 !!(pkt->tcp_flags & (WS_TCP_SYN | WS_TCP_FIN));
	f->last_tx_flags = pkt->tcp_flags;
	if (pkt->tcp_flags & WS_TCP_FIN)
		f->flags |= RST_F_FIN_TX;
	f->tx_pkts++;
	f->flags |= RST_F_TX_SEEN;
}

/* The presence byte of the flow whose rst_present_slot() is @slot. */
static __always_inline __u8 *rst_present_byte(__u32 slot)
{
	__u32 line = slot / RST_PRESENT_LINE;
	struct rst_present_line *l = bpf_map_lookup_elem(&rst_present, &line);

	return l ? &l->slot[slot % RST_PRESENT_LINE] : NULL;
}

/* False: the flow is not in rst_flows (its slot is unmarked). */
static __always_inline bool rst_may_hold(__u32 slot)
{
	__u8 *b = rst_present_byte(slot);

	return !b || (*b & (1 << (rst_present_half & 1)));
}

/* The baseline of the flow @k, whose rst_present_slot() is @slot, or NULL. */
static __always_inline struct rst_flow *rst_find(const struct rst_flow_key *k,
						 __u32 slot)
{
	return rst_may_hold(slot) ? bpf_map_lookup_elem(&rst_flows, k) : NULL;
}

/*
 * After the insert, so a rebuild that missed the flow cannot undo it: both
 * halves in one plain store (user space clears bits with atomic ands).
 */
static __always_inline void rst_present_mark(__u32 slot)
{
	__u8 *b = rst_present_byte(slot);

	if (b)
		*b = RST_PRESENT_BOTH;
}

/*
 * A flow's first packet: its SYN or SYN-ACK, or for a flow that began before
 * we started, its next segment with data.  A bare ACK of a tuple we have
 * never seen inserts nothing: a flood of them to closed ports would
 * otherwise cost an insert each, four times a lookup (docs/BENCHMARKS.md).
 * A SYN flood still inserts per packet; the LRU bounds it.
 */
static __always_inline void rst_insert(const struct rst_flow_key *k, __u32 slot,
				       const struct ws_pkt *pkt,
				       const struct ws_tcp_opts *o, __u32 dir,
				       __u64 now)
{
	struct rst_flow f = {};
	long err;

	f.first_ns = now;
	if (pkt->tcp_flags & WS_TCP_SYN)
		f.flags |= RST_F_SYN;
	if (dir == WS_RX)
		rst_update_rx(&f, pkt, o, now);
	else
		rst_update_tx(&f, pkt, now);
	/* Another CPU inserting the same flow first is no loss. */
	err = bpf_map_update_elem(&rst_flows, k, &f, BPF_NOEXIST);
	if (err && err != -RST_EEXIST) {
		health_inc(WS_H_RESETS_FLOW_INSERT);
		return;
	}
	if (!err)
		percpu_inc(&rst_stats, RST_STAT_INSERTS);
	rst_present_mark(slot);
}

/*
 * Inserts have reached half the table: all CPUs' (user space sums them each
 * tick), or this CPU's share, which acts within the tick.
 */
static __always_inline bool rst_table_may_fill(void)
{
	__u32 idx = RST_STAT_INSERTS;
	__u64 *n;

	if (rst_reap_all)
		return true;
	n = bpf_map_lookup_elem(&rst_stats, &idx);
	return n && *n >= resets_reap_after;
}

/*
 * The connection ended: both FINs, our RST, or the peer's that it did not
 * send data after (the data says the RST was refused, the flow lives on).
 */
static __always_inline bool rst_flow_ended(const struct rst_flow *f)
{
	return (f->flags & RST_F_CLOSED) == RST_F_CLOSED ||
	       (f->flags & RST_F_RST_TX) ||
	       (f->rst_rx_ns && !f->rx_data_after_rst);
}

/*
 * A flow closed both ways is over once a packet follows both FINs (the last
 * ACK, or a retransmission).  Once the table could fill, its baseline
 * leaves, so that a busy host's short connections do not evict the idle
 * long-lived flows whose RSTs (a NAT's idle timeout) need one.  Before, it
 * stays: an RST after the close still finds it.  So does a flow the peer
 * sent an RST on (the peer's data after it is evidence).  A SYN on an
 * ended flow starts anew: a new connection on the same tuple must not
 * inherit the old one's FINs, TTLs or RST (its data would count as sent
 * after that RST: a forgery).
 */
static __always_inline bool rst_forget_closed(const struct rst_flow_key *k,
					      const struct rst_flow *f,
					      bool syn)
{
	if (syn) {
		if (!rst_flow_ended(f))
			return false;
	} else if ((f->flags & RST_F_CLOSED) != RST_F_CLOSED || f->rst_rx_ns ||
		   !rst_table_may_fill()) {
		return false;
	}
	if (!bpf_map_delete_elem(&rst_flows, k))
		percpu_inc(&rst_stats, RST_STAT_DELETES);
	return true;
}

static __always_inline bool rst_answers_syn(const struct ws_pkt *pkt)
{
	return (pkt->tcp_flags & WS_TCP_ACK) && !pkt->seq;
}

/*
 * Our RST, in a refusal's shape, answers the peer's SYN before we sent
 * anything: a refused connect (a closed port, a reject rule), which never
 * became a flow a later RST could need.  Its baseline leaves at once, so
 * a port scan cannot evict the idle long-lived flows whose RSTs (a NAT's
 * idle timeout) need theirs; its event already holds a copy.
 */
static __always_inline bool rst_forget_refused(const struct rst_flow_key *k,
					       const struct rst_flow *f,
					       const struct ws_pkt *pkt)
{
	if (!rst_answers_syn(pkt) ||
	    (f->flags & (RST_F_SYN | RST_F_RX_SEEN | RST_F_TX_SEEN)) !=
		(RST_F_SYN | RST_F_RX_SEEN))
		return false;
	if (!bpf_map_delete_elem(&rst_flows, k))
		percpu_inc(&rst_stats, RST_STAT_DELETES);
	return true;
}

/*
 * @forwarded: tc egress of a packet this host received (skb_iif).  @segs:
 * the wire segments it stands for (GSO, GRO).
 */
static __always_inline void
resets_observe(const struct ws_pkt *pkt, const void *data, const void *data_end,
	       __u32 ifindex, __u32 dir, bool forwarded, __u32 segs)
{
	struct rst_flow_key k = {};
	struct rst_gate *g = NULL;
	struct rst_event *e;
	struct ws_tcp_opts o;
	struct rst_flow *f;
	__u32 slot, tag = 0;
	bool bare, busy;
	__u64 now;

	if (!resets_enabled)
		return;
	/*
	 * On lo only RSTs matter: a local netfilter reject of our own
	 * segment comes back this way.  Each one passes lo twice; keep the
	 * receive side.
	 */
	if (ifindex == resets_lo_ifindex &&
	    (dir != WS_RX || !(pkt->tcp_flags & WS_TCP_RST)))
		return;
	rst_key_from_pkt(pkt, dir, &k);
	if (pkt->tcp_flags & WS_TCP_RST) {
		/*
		 * The rate limit first.  A limited RST of ours looks its flow
		 * up only if it answers a segment without an ACK, a SYN whose
		 * baseline may leave: such an RST has sequence number 0 and
		 * the ACK bit (RFC 793).  A storm of our RSTs answers a
		 * flood's ACKs, and a mass abort sends its own sequence
		 * numbers: no lookup.  The peer's RST still marks its flow.
		 */
		e = rst_reserve(RST_WIRE);
		if (!e && dir != WS_RX && !rst_answers_syn(pkt))
			return;
		slot = rst_present_slot(&k);
		f = rst_find(&k, slot);
		if (e)
			rst_report_wire(e, pkt, data, data_end, &k, f, ifindex,
					dir, forwarded);
		if (f && resets_gate_segs)
			rst_gate_disarm(slot, rst_gate_tag(&k));
		/* Count the peer's data after the latest RST only. */
		if (f && dir == WS_RX) {
			f->rst_rx_ns = rst_now_coarse();
			f->rx_data_after_rst = 0;
		} else if (f && !rst_forget_refused(&k, f, pkt)) {
			f->flags |= RST_F_RST_TX;
		}
		return;
	}
	/* A bare segment can only update a flow: rst_insert(). */
	slot = rst_present_slot(&k);
	bare = !pkt->payload && !(pkt->tcp_flags & WS_TCP_SYN);
	if (bare && !rst_may_hold(slot))
		return;
	if (resets_gate_segs)
		tag = rst_gate_tag(&k);
	if (tag && !(pkt->tcp_flags & WS_TCP_SYN)) {
		g = rst_gate_of(slot, dir);
		/* Never a FIN: a closing flow's gate is never armed. */
		if (rst_gate_pass(g, tag, pkt, segs ? segs : 1))
			return;
	}
	f = bpf_map_lookup_elem(&rst_flows, &k);
	if (!f && bare)
		return;
	if (f && rst_forget_closed(&k, f, pkt->tcp_flags & WS_TCP_SYN)) {
		if (!(pkt->tcp_flags & WS_TCP_SYN))
			return;
		f = NULL;
	}
	now = rst_now_coarse();
	ws_parse_tcp_ts(data, data_end, pkt, &o);
	if (!f) {
		rst_insert(&k, slot, pkt, &o, dir, now);
		/* A new baseline: no earlier one's gate may let its
		 * segments by. */
		if (tag)
			rst_gate_disarm(slot, tag);
		return;
	}
	/* Busy: its last update this way was in this tick, and not its SYN's
	 * (a short connection's handshake would write the gate for nothing). */
	busy = dir == WS_RX ? f->last_rx_ns == now && f->rx_pkts >= 2
			    : f->last_tx_ns == now && f->tx_pkts >= 2;
	if (dir == WS_RX)
		rst_update_rx(f, pkt, &o, now);
	else
		rst_update_tx(f, pkt, now);
	if (!tag)
		return;
	if (pkt->tcp_flags & WS_TCP_SYN) {
		/* A new connection on the tuple, or its handshake: this way is
		 * up to date. */
		if (dir == WS_RX)
			f->gated_rx = 0;
		else
			f->gated_tx = 0;
		rst_gate_disarm(slot, tag);
		return;
	}
	rst_gate_set(g, tag, pkt, f, dir, busy);
	if (pkt->tcp_flags & WS_TCP_FIN)
		rst_gate_disarm(slot, tag);
}

/* Local view: tracepoints, global across namespaces, so filter by netns. */

/*
 * Hot paths of the tracepoints below read their BTF-typed arguments (and
 * pointers found in them) with plain loads: the verifier checks them
 * against BTF and the JIT makes them fault-safe, at the cost of a load
 * where bpf_probe_read_kernel() costs a helper call (the RST storm's
 * kfree_skb and tcp_send_reset run this per packet).  Raw pointers
 * (skb->head) and casts to a larger struct still need the helper.
 */

/* Unknown namespace (no device, no socket) counts as foreign. */
static __always_inline bool rst_our_netns(const struct net *net)
{
	if (!resets_netns_ino)
		return true;
	return net && net->ns.inum == resets_netns_ino;
}

static __always_inline void rst_addr_from_sk(const struct sock *sk,
					     struct rst_flow_key *k)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == RST_AF_INET) {
		k->family = 4;
		k->laddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		k->raddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		return;
	}
	BPF_CORE_READ_INTO(&k->laddr, sk,
			   __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	BPF_CORE_READ_INTO(&k->raddr, sk,
			   __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	k->family = 6;
	/* IPv4-mapped (::ffff:a.b.c.d): the wire carries IPv4. */
	if (!k->laddr[0] && !k->laddr[1] && k->laddr[2] == bpf_htonl(0xffff)) {
		k->family = 4;
		k->laddr[0] = k->laddr[3];
		k->raddr[0] = k->raddr[3];
		k->laddr[1] = k->laddr[2] = k->laddr[3] = 0;
		k->raddr[1] = k->raddr[2] = k->raddr[3] = 0;
	}
}

/*
 * The flow of a socket.  An aborting socket has already lost its local
 * port in skc_num (the tracepoint's sport is 0): inet_sport still has it.
 */
static __always_inline void rst_key_from_sk(const struct sock *sk,
					    struct rst_flow_key *k)
{
	const struct inet_sock *inet = (const struct inet_sock *)sk;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

	rst_addr_from_sk(sk, k);
	k->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		k->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	else
		k->lport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
}

/*
 * A TCP header at @th, past the IPv6 header at @nh whose next header is
 * @next and the extension headers between, walked as ws_parse_ipv6() does.
 */
static __always_inline bool rst_ipv6_tcp_at(const unsigned char *head, __u16 nh,
					    __u16 th, __u8 next)
{
	__u32 off = nh + 40, len;
	__u8 ext[4];
	int i;

	for (i = 0; i < WS_MAX_IPV6_EXTS && ws_ipv6_ext(next); i++) {
		if (bpf_probe_read_kernel(ext, sizeof(ext), head + off))
			return false;
		len = ws_ipv6_ext_len(next, ext);
		if (!len)
			return false;
		off += len;
		next = ext[0];
	}
	return next == WS_IPPROTO_TCP && off == th;
}

/*
 * The flow of a received skb (its source is the remote end); false if it
 * is not TCP or its headers are not set.  @e gets the TTL, IP ID, seq, ack
 * and TCP flags.  @is_tcp: the caller knows it is a TCP segment, so the
 * transport header is TCP even after IPv6 extension headers.
 */
static __always_inline bool rst_key_from_skb(const struct sk_buff *skb,
					     struct rst_flow_key *k,
					     struct rst_event *e, bool is_tcp)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	struct ipv6hdr ip6;
	struct iphdr ip4;
	struct tcphdr tcp;
	__u32 ip_len;
	__u8 ver;

	if (nh == (__u16)~0U || th == (__u16)~0U ||
	    bpf_probe_read_kernel(&ver, 1, head + nh))
		return false;
	ver >>= 4;
	if (ver == 4) {
		/* A fragment past the first carries no TCP header. */
		if (bpf_probe_read_kernel(&ip4, sizeof(ip4), head + nh) ||
		    (!is_tcp && ip4.protocol != WS_IPPROTO_TCP) ||
		    (ip4.frag_off & bpf_htons(0x1fff)))
			return false;
		ip_len = bpf_ntohs(ip4.tot_len);
		k->family = 4;
		k->raddr[0] = ip4.saddr;
		k->laddr[0] = ip4.daddr;
		e->ttl = ip4.ttl;
		e->ip_id = bpf_ntohs(ip4.id);
	} else if (ver == 6) {
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) ||
		    (!is_tcp && !rst_ipv6_tcp_at(head, nh, th, ip6.nexthdr)))
			return false;
		ip_len = ip6.payload_len ? bpf_ntohs(ip6.payload_len) + 40 : 0;
		k->family = 6;
		__builtin_memcpy(k->raddr, &ip6.saddr, 16);
		__builtin_memcpy(k->laddr, &ip6.daddr, 16);
		e->ttl = ip6.hop_limit;
	} else {
		return false;
	}
	/* An IP length that ends before the header: padding, not TCP. */
	if (ws_ip_len_short(th, sizeof(tcp), ip_len ? nh + ip_len : 0) ||
	    bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return false;
	k->rport = bpf_ntohs(tcp.source);
	k->lport = bpf_ntohs(tcp.dest);
	e->seq = bpf_ntohl(tcp.seq);
	e->ack = bpf_ntohl(tcp.ack_seq);
	e->tcp_flags = ((__u8 *)&tcp)[13];
	return true;
}

/*
 * A cheap first look at a dropped skb: the RST bit of what its transport
 * header points at.  Most drops are not RSTs (nor TCP): they cost two
 * reads here instead of the namespace's three and the headers' five.
 */
static __always_inline bool rst_skb_maybe_rst(const struct sk_buff *skb)
{
	unsigned char *head = skb->head;
	__u16 th = skb->transport_header;
	__u8 flags;

	if (th == (__u16)~0U ||
	    bpf_probe_read_kernel(&flags, 1, head + th + 13))
		return false;
	return flags & WS_TCP_RST;
}

static __always_inline const struct net *rst_skb_net(const struct sk_buff *skb)
{
	const struct net_device *dev = skb->dev;
	const struct sock *sk;

	if (dev)
		return dev->nd_net.net;
	sk = skb->sk;
	return sk ? sk->__sk_common.skc_net.net : NULL;
}

static __always_inline void rst_attach_flow(struct rst_event *e)
{
	/* A key in ring-buffer memory: before 6.2 only a stack one. */
	struct rst_flow_key k = e->key;
	struct rst_flow *f = bpf_map_lookup_elem(&rst_flows, &k);

	if (f) {
		e->flow = *f;
		e->has_flow = 1;
		e->behind = rst_behind(&k, &e->flow, &e->rx_lag);
	}
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ws_rst_send, const struct sock *sk, const struct sk_buff *skb)
{
	/* reason: 6.10+ (ws_tp_send_reset_nargs). */
	__u32 reason = ws_tp_send_reset_nargs >= 3 ? (__u32)ctx[2] : 0;
	struct rst_event *e;
	struct rst_event tmp = {};
	bool parsed;
	__u8 state;

	if (!resets_enabled)
		return 0;
	if (!rst_our_netns(sk	 ? sk->__sk_common.skc_net.net
			   : skb ? rst_skb_net(skb)
				 : NULL))
		return 0;
	/*
	 * The rate limit before the headers: in an RST storm most events are
	 * limited, and reading the headers is most of the cost.
	 */
	e = rst_reserve(RST_TP_SEND);
	if (!e)
		return 0;
	/*
	 * With an skb we answer it (no socket, TIME_WAIT, bad segment): a TCP
	 * segment, whatever IPv6 extension headers precede it.
	 */
	parsed = skb && rst_key_from_skb(skb, &tmp.key, &tmp, true);
	state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;
	/* A listener's key names no flow: only the segment's does. */
	if (!parsed && (!sk || state == TCP_LISTEN)) {
		health_inc(WS_H_RESETS_EVENT_UNREAD);
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	if (!parsed) {
		__builtin_memset(&tmp.key, 0, sizeof(tmp.key));
		rst_key_from_sk(sk, &tmp.key);
	}
	e->key = tmp.key;
	e->seq = tmp.seq;
	e->ack = tmp.ack;
	e->tcp_flags = tmp.tcp_flags;
	e->reason = reason;
	e->dir = WS_TX;
	e->state = state;
	rst_attach_flow(e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(ws_rst_recv, struct sock *sk)
{
	struct rst_event *e;

	if (!resets_enabled || !sk ||
	    !rst_our_netns(sk->__sk_common.skc_net.net))
		return 0;
	e = rst_reserve(RST_TP_RECV);
	if (!e)
		return 0;
	rst_key_from_sk(sk, &e->key);
	e->dir = WS_RX;
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	rst_attach_flow(e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * A received RST the kernel threw away, with its drop reason: called from
 * ws_kfree_skb for every drop on the machine.
 */
static __always_inline void resets_on_drop(struct sk_buff *skb, __u32 reason,
					   struct sock *rx_sk)
{
	struct rst_event tmp = {};
	struct rst_event *e;

	if (!resets_enabled)
		return;
	/*
	 * The RST bit first, then the namespace (TCP may have reused
	 * skb->dev's space: the socket knows), then the headers.
	 */
	if (!rst_skb_maybe_rst(skb) ||
	    !rst_our_netns(rx_sk ? rx_sk->__sk_common.skc_net.net
				 : rst_skb_net(skb)) ||
	    !rst_key_from_skb(skb, &tmp.key, &tmp, false) ||
	    !(tmp.tcp_flags & WS_TCP_RST))
		return;
	e = rst_reserve(RST_TP_DROP);
	if (!e)
		return;
	tmp.ts_ns = e->ts_ns;
	tmp.kind = RST_TP_DROP;
	tmp.reason = reason;
	tmp.dir = WS_RX;
	*e = tmp;
	rst_attach_flow(e);
	bpf_ringbuf_submit(e, 0);
}

#endif
