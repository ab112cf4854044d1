// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict rules (docs/resets.md explains each).  Pure: no I/O, no
 * clocks, no globals; everything comes in through struct rst_evidence.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "collectors/verdict.h"

static const char *const verdict_names[RV_N] = {
	[RV_UNKNOWN] = "unknown",
	[RV_LOCAL] = "local",
	[RV_LOCAL_NETFILTER] = "local_netfilter",
	[RV_PEER_ABORT] = "peer_abort",
	[RV_PEER_NO_SOCKET] = "peer_no_socket",
	[RV_MIDDLEBOX] = "middlebox",
	[RV_INJECTED] = "injected",
};

const char *rst_verdict_name(enum rst_verdict v)
{
	return v < RV_N ? verdict_names[v] : "?";
}

const char *rst_confidence_name(enum rst_confidence c)
{
	return c == RC_HIGH ? "high" : c == RC_MEDIUM ? "medium" : "low";
}

/* Stacks start at 64 (Linux, BSD, macOS), 128 (Windows) or 255. */
int rst_initial_ttl(uint8_t ttl)
{
	return ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

int rst_hops(uint8_t ttl)
{
	return rst_initial_ttl(ttl) - ttl;
}

int rst_mid_probe_ttl(int hops, int peer_hops, bool peer_onlink)
{
	if (hops == 0 && peer_onlink)
		return 0;
	return hops + 1 < peer_hops ? hops + 1 : peer_hops;
}

static void set(struct rst_result *r, enum rst_verdict v, enum rst_confidence c,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set(struct rst_result *r, enum rst_verdict v, enum rst_confidence c,
		const char *fmt, ...)
{
	va_list ap;

	r->verdict = v;
	r->conf = c;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/*
 * At 1 kHz (the fastest common TS clock, or any slower one): not behind
 * the peer's last TSval, and ahead by no more than the idle time plus 1 s.
 */
static bool ts_fits_ms(int32_t delta, double idle_s)
{
	return delta >= 0 && delta <= idle_s * 1000 + 1000;
}

/*
 * At 1 MHz (Linux's tcp_usec_ts, 6.7+): the RST's TSval is ahead by the
 * idle time, modulo 2^32 (the clock wraps every 72 minutes).
 */
static bool ts_fits_usec(uint32_t delta, double idle_s)
{
	return rst_ts_advance_fits(delta, idle_s, 1e6);
}

/*
 * Whether the RST's TSval continues the peer's clock: at 1 MHz if the flow
 * showed that clock in microseconds, else at 1 kHz.  On a flow that could
 * not show which, a TSval that fits only a microsecond clock is unsure,
 * once the idle time is long enough for that to tell it from a jump, and
 * unless the µs clock's window wraps round to the peer's last TSval.
 */
static void judge_ts(const struct rst_evidence *ev, struct rst_result *r)
{
	uint32_t delta = ev->tsval - ev->peer_tsval;

	if (!ev->has_ts || !ev->peer_ts)
		return;
	if (ev->peer_ts_clock == RST_TS_CLOCK_USEC)
		r->ts_continues = ts_fits_usec(delta, ev->idle_rx_s);
	else if (ts_fits_ms((int32_t)delta, ev->idle_rx_s))
		r->ts_continues = true;
	else if (ev->peer_ts_clock == RST_TS_CLOCK_UNKNOWN &&
		 ev->idle_rx_s >= RST_TS_UNSURE_IDLE_S &&
		 !ts_fits_usec(0, ev->idle_rx_s)) /* wrapped to 0: behind? */
		r->ts_unsure = ts_fits_usec(delta, ev->idle_rx_s);
}

/* The tolerance of rst_ts_advance_fits(), in ticks. */
static double ts_tolerance(double secs, double hz)
{
	return (RST_TS_JITTER_S + secs * 0.001) * hz;
}

bool rst_ts_advance_fits(uint32_t ticks, double secs, double hz)
{
	double tol = ts_tolerance(secs, hz), wrap = 4294967296.0;
	uint32_t expect;
	int32_t off;

	if (!(secs >= 0) || tol >= wrap / 2)
		return false;
	/* Short of a wrap, a clock never goes back. */
	if (secs * hz + tol < wrap / 2 && (int32_t)ticks < 0)
		return false;
	expect = (uint32_t)(uint64_t)(secs * hz);
	off = (int32_t)(ticks - expect);
	return (off < 0 ? -(double)off : off) <= tol;
}

enum rst_ts_clock rst_ts_clock(uint32_t ticks, double secs)
{
	bool slow, usec;

	if (!(secs >= RST_TS_RATE_SPAN_S) ||
	    ts_tolerance(secs, 1e6) >= 2147483648.0)
		return RST_TS_CLOCK_UNKNOWN;
	slow = ticks <= secs * 1100 + 1000; /* 1 kHz or slower */
	usec = rst_ts_advance_fits(ticks, secs, 1e6);
	if (slow && usec)
		return RST_TS_CLOCK_UNKNOWN;
	return usec   ? RST_TS_CLOCK_USEC
	       : slow ? RST_TS_CLOCK_SLOW
		      : RST_TS_CLOCK_OTHER;
}

/*
 * Whether the RST's IP-ID is a little after the peer's last one (per-flow
 * ID): the baseline's, plus the segments it let by, each of which took
 * one.  With their count known only as a range, an ID that continues for
 * some counts in it and not for others is unsure.
 */
static void judge_ipid(const struct rst_evidence *ev, struct rst_result *r)
{
	uint16_t delta = (uint16_t)(ev->ip_id - ev->peer_ip_id);
	unsigned int lo = ev->peer_ip_id_lag, hi = ev->peer_ip_id_lag_max;

	if (!ev->ipv4 || !ev->peer_ip_id || !ev->ip_id)
		return;
	if (delta > hi && delta <= 1024 + lo)
		r->ipid_continues = true;
	else if (delta > lo && delta <= 1024 + hi)
		r->ipid_unsure = true;
}

const char *rst_lost_name(enum rst_lost l)
{
	static const char *const names[] = {
		[RST_LOST_NONE] = "none",
		[RST_LOST_RATE_LIMITED] = "evidence_rate_limited",
		[RST_LOST_RINGBUF_FULL] = "evidence_ringbuf_full",
		[RST_LOST_TABLE_FULL] = "evidence_table_full",
		[RST_LOST_EVENT_UNREAD] = "evidence_event_unread",
		[RST_LOST_HEADERS_UNREAD] = "evidence_headers_unread",
		[RST_LOST_TRACEPOINT_OFF] = "evidence_tracepoint_off",
		[RST_LOST_TRACEPOINT_PARTIAL] = "evidence_tracepoint_partial",
	};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

static const char *lost_why(enum rst_lost l)
{
	switch (l) {
	case RST_LOST_TRACEPOINT_OFF:
		return "tcp:tcp_send_reset is off on this kernel";
	case RST_LOST_TRACEPOINT_PARTIAL:
		return "before 6.10 tcp:tcp_send_reset misses the RSTs sent "
		       "without a full socket (a closed port, TIME_WAIT)";
	default:
		return "its kernel events were lost meanwhile";
	}
}

/*
 * What the kernel did with a received RST it dropped, by the drop reason's
 * name: NULL where skb:kfree_skb has no reason (before 5.17), which is
 * unknown, not reason 0.
 */
void rst_drop_view(const char *reason, char *buf, size_t len)
{
	if (!reason)
		snprintf(buf, len,
			 "dropped (reason unknown: kernel before 5.17)");
	else if (!strcmp(reason, "TCP_RESET"))
		snprintf(buf, len, "challenge-ACKed (TCP_RESET)");
	else if (strstr(reason, "SEQUENCE"))
		snprintf(buf, len, "dropped out of window (%s)", reason);
	else
		snprintf(buf, len, "dropped (%s)", reason);
}

/*
 * Netfilter is named only from an absence (no tcp_send_reset event): when
 * events were lost around the RST, or the event can't fire for it, the
 * absence proves nothing.  A forwarded RST needs no event to tell: the
 * kernel received it.
 */
static void decide_local(const struct rst_evidence *ev, struct rst_result *r)
{
	if (ev->kernel_sent)
		set(r, RV_LOCAL, RC_HIGH, "tcp_send_reset fired for this flow");
	else if (ev->forwarded)
		set(r, RV_UNKNOWN, RC_LOW,
		    "routed: this host received it on another interface and "
		    "routed it out (from our address if our NAT rewrote "
		    "it): a container's, a VM's or a routed host's");
	else if (ev->lost)
		set(r, RV_UNKNOWN, RC_LOW,
		    "%s: sent by this host, but %s, so the kernel or a "
		    "firewall",
		    rst_lost_name(ev->lost), lost_why(ev->lost));
	else if (ev->via_lo)
		set(r, RV_LOCAL_NETFILTER, RC_HIGH,
		    "came back on lo from the peer's address with no "
		    "tcp_send_reset: a local netfilter reject");
	else if (ev->foreign_src)
		set(r, RV_UNKNOWN, RC_LOW,
		    "forwarded: from no address of this host, built here "
		    "with no tcp_send_reset: a forward chain's reject, or a "
		    "container sending on the device itself (macvlan)");
	else
		set(r, RV_LOCAL_NETFILTER, RC_MEDIUM,
		    "left this host with no tcp_send_reset event: this "
		    "host's firewall");
}

/* Its timestamp or IP-ID continues the peer's: "timestamp", or NULL. */
static const char *continuity(const struct rst_result *r)
{
	return r->ts_continues	   ? "timestamp"
	       : r->ipid_continues ? "IP-ID"
				   : NULL;
}

/*
 * A timestamp that continues the peer's only at a clock not shown to run
 * in µs (ts_unsure) proves nothing, and takes a high verdict to medium.
 */
static const char *unsure_note(const struct rst_result *r)
{
	return r->ts_unsure ? "; its TSval fits the peer's only at a 1 MHz "
			      "clock not shown"
	       : r->ipid_unsure
		   ? "; its IP-ID fits the peer's only if fewer of the peer's "
		     "segments went uncounted"
		   : "";
}

/* So does an IP-ID that fits only some of the uncounted lags (ipid_unsure). */
static enum rst_confidence unsure_cap(const struct rst_result *r,
				      enum rst_confidence c)
{
	return (r->ts_unsure || r->ipid_unsure) && c == RC_HIGH ? RC_MEDIUM : c;
}

/*
 * Forgery signs, strongest first; true if one was found.  One hop farther
 * than the peer's packets may be the peer over a route a hop longer since:
 * its clock or IP-ID continuing says it is, and without them it is no more
 * than low.  Farther still, continuity only makes it less sure: an on-path
 * device sees, and can copy, both.
 */
static bool decide_injected(const struct rst_evidence *ev, struct rst_result *r,
			    int far)
{
	bool farther = r->hops > far && !r->ttl_inconsistent;

	if (ev->burst >= 2 && ev->burst_seqs >= 2) {
		set(r, RV_INJECTED, RC_HIGH,
		    "seq jumps across a burst of %d RSTs (%d distinct)",
		    ev->burst, ev->burst_seqs);
		return true;
	}
	if (ev->data_after) {
		set(r, RV_INJECTED, RC_HIGH,
		    "the peer kept sending data after it (%u segments)",
		    ev->data_after);
		return true;
	}
	if (farther && r->hops > far + 1 && continuity(r)) {
		set(r, RV_INJECTED, RC_MEDIUM,
		    "TTL %u does not fit: %d hops away, the peer %d at most "
		    "(its %s continues the peer's, which an on-path device "
		    "can copy)",
		    ev->ttl, r->hops, far, continuity(r));
		return true;
	}
	if (farther && r->hops > far + 1) {
		set(r, RV_INJECTED, unsure_cap(r, RC_HIGH),
		    "TTL %u does not fit: %d hops away, the peer %d at most%s",
		    ev->ttl, r->hops, far, unsure_note(r));
		return true;
	}
	if (farther && continuity(r)) {
		set(r, RV_PEER_ABORT, RC_MEDIUM,
		    "TTL says 1 hop farther than the peer, but its %s "
		    "continues the peer's: the path changed?",
		    continuity(r));
		return true;
	}
	if (farther) {
		set(r, RV_INJECTED, RC_LOW,
		    "TTL %u is 1 hop farther than the peer's packets, with "
		    "%s of the peer's in it: a forger, or the peer over "
		    "a route 1 hop longer since",
		    ev->ttl,
		    r->ts_unsure || r->ipid_unsure ? "no proof" : "nothing");
		return true;
	}
	return false;
}

/* Closer than the peer's nearest packets (@r->peer_hops). */
static void decide_middlebox(const struct rst_evidence *ev,
			     struct rst_result *r)
{
	const char *how = ev->triggered ? "answered our segment"
			  : ev->tx_seen
			      ? "unsolicited"
			      : "no segment of ours seen on the flow: "
				"whether it answered one is unknown";

	if (continuity(r)) {
		set(r, RV_PEER_ABORT, RC_MEDIUM,
		    "TTL says %d hop(s) closer, but its %s continues the "
		    "peer's: TTL rewritten on the path, or a route 1 hop "
		    "shorter since?",
		    r->peer_hops - r->hops, continuity(r));
		return;
	}
	if (r->ttl_inconsistent) {
		set(r, RV_MIDDLEBOX, RC_LOW,
		    "fewer hops than the peer, but the peer's TTL varied "
		    "%u-%u (asymmetric or changing path): hop not given, %s",
		    ev->peer_ttl_min, ev->peer_ttl_max, how);
		return;
	}
	r->hops_before_peer = r->peer_hops - r->hops;
	set(r, RV_MIDDLEBOX, unsure_cap(r, RC_HIGH),
	    "%d hop(s) before the peer, %s%s", r->hops_before_peer, how,
	    unsure_note(r));
}

/*
 * Within the peer's distances (@far: its farthest).  Nearer than its
 * farthest packets, an RST without the peer's continuity may also be a
 * middlebox before that path (a SYN proxy answered the handshake from
 * there): the TTL cannot tell.
 */
static void decide_at_peer(const struct rst_evidence *ev, struct rst_result *r,
			   int far)
{
	bool nearer = r->hops < far;

	if (r->ts_continues || r->ipid_continues) {
		set(r, RV_PEER_ABORT, RC_HIGH,
		    "TTL matches the peer and its %s continues the peer's",
		    r->ts_continues ? "timestamp" : "IP-ID");
		return;
	}
	if (r->ts_unsure) {
		set(r, RV_PEER_ABORT, RC_MEDIUM,
		    "TTL matches the peer; its TSval %u continues the peer's "
		    "%u only if that clock runs in microseconds (tcp_usec_ts), "
		    "which the peer's segments did not show",
		    ev->tsval, ev->peer_tsval);
		return;
	}
	if (r->ipid_unsure && !ev->peer_ts) {
		set(r, RV_PEER_NO_SOCKET, RC_LOW,
		    "TTL matches the peer; its IP-ID %u cannot tell an abort "
		    "from no socket: the baseline let up to %u of the peer's "
		    "segments by, uncounted",
		    ev->ip_id, ev->peer_ip_id_lag_max);
		return;
	}
	if (ev->has_ts && ev->peer_ts) {
		set(r, RV_INJECTED, RC_MEDIUM,
		    "TTL matches the peer but its TSval %u does not continue "
		    "the peer's %u",
		    ev->tsval, ev->peer_tsval);
		return;
	}
	if (nearer) {
		set(r, RV_PEER_NO_SOCKET, RC_LOW,
		    "TTL matches the peer's nearer packets (%d hops, its "
		    "farthest %d) and does not continue it: the peer without "
		    "a socket, or a middlebox %d hop(s) before it",
		    r->hops, far, far - r->hops);
		return;
	}
	if (ev->peer_fin && ev->triggered) {
		/* Linux sends it from its control socket, as with no socket. */
		r->after_peer_fin = true;
		set(r, RV_PEER_ABORT, RC_MEDIUM,
		    "TTL matches the peer, after its FIN: its closed socket "
		    "refused our later data (no timestamp or ID then, as with "
		    "no socket)");
		return;
	}
	if (ev->peer_ts || (ev->ipv4 && ev->peer_ip_id)) {
		set(r, RV_PEER_NO_SOCKET,
		    ev->triggered && !r->ttl_inconsistent ? RC_HIGH : RC_MEDIUM,
		    "TTL matches the peer, no %s continuity: the peer host "
		    "answered without a socket%s",
		    ev->peer_ts ? "timestamp" : "IP-ID",
		    ev->triggered ? ", to our segment" : "");
		return;
	}
	set(r, RV_PEER_NO_SOCKET, RC_LOW,
	    "TTL matches the peer; the flow has no timestamps or IP-IDs "
	    "to tell an abort from no socket");
}

/* A middlebox at distance @hop refused the connect; the peer's distance
 * @peer_hops if known (else -1). */
static void refused_by_middlebox(struct rst_result *r, enum rst_confidence c,
				 int hop, int peer_hops, const char *why)
{
	r->hop = hop;
	if (peer_hops >= 0) {
		r->peer_hops = peer_hops;
		r->hops_before_peer = peer_hops - r->hops;
	}
	set(r, RV_MIDDLEBOX, c, "refused our SYN at hop %d: %s", hop, why);
}

#define REFUSED_BY_PEER                                                        \
	"nothing listens on the port (or the peer's own firewall rejects it)"

#define PROBES_DISAGREE                                                        \
	"; unequal paths or a device resetting only some SYNs: reset at hop "  \
	"%d or closer"

/*
 * With an echo reply: its TTL and the RST's both count the return path,
 * so the two distances compare like with like.
 */
static void decide_refused_echo(const struct rst_refused *p,
				struct rst_result *r)
{
	if (p->echo_hops > r->hops) {
		refused_by_middlebox(r, RC_HIGH, r->hops + 1, p->echo_hops,
				     "the peer answers echo from farther");
	} else if (p->echo_hops == r->hops) {
		r->peer_hops = p->echo_hops;
		set(r, RV_PEER_NO_SOCKET, RC_HIGH,
		    "refused our SYN from the peer's own distance (%d hops, "
		    "its echo reply's): " REFUSED_BY_PEER,
		    r->hops);
	} else {
		set(r, RV_UNKNOWN, RC_LOW,
		    "refused from %d hops, beyond the address's echo reply "
		    "(%d): a NAT in front of the peer (DNAT to a backend)?",
		    r->hops, p->echo_hops);
	}
}

/*
 * A router's time exceeded at or past the nearest TTL an RST answered:
 * that probe got past whatever reset the other, so the probes took paths
 * of unequal length, or a device resets only some SYNs.  Which sent the
 * connect's RST is unknown; the reset's hop is a bound.
 */
static void refused_contradicted(const struct rst_refused *p,
				 struct rst_result *r)
{
	int rst = p->probe_rst_ttl, ex = p->exceeded_ttl;

	if (ex == rst)
		set(r, RV_UNKNOWN, RC_LOW,
		    "probes at hop %d got both a time exceeded from %s and an "
		    "RST" PROBES_DISAGREE,
		    rst, p->exceeded_from, rst);
	else
		set(r, RV_UNKNOWN, RC_LOW,
		    "probes got an RST at hop %d but a time exceeded from %s "
		    "at hop %d" PROBES_DISAGREE,
		    rst, p->exceeded_from, ex, rst);
}

/* What --locate's probes say of a refused connect (rules in resets.md). */
static void decide_refused_probed(const struct rst_refused *p,
				  struct rst_result *r)
{
	if (p->probe_rst_ttl && p->exceeded_ttl >= p->probe_rst_ttl) {
		refused_contradicted(p, r);
	} else if (p->echo) {
		decide_refused_echo(p, r);
	} else if (p->probe_rst_ttl > r->hops + 1 && p->hop_exceeded) {
		/* Medium: a return path shorter than the forward one would
		 * make the peer's RST look this close too. */
		refused_by_middlebox(r, RC_MEDIUM, r->hops + 1, -1,
				     "that router answered our probe with "
				     "time exceeded, then reset the one it "
				     "forwarded");
	} else if (p->probe_rst_ttl == r->hops + 1) {
		set(r, RV_PEER_NO_SOCKET, RC_MEDIUM,
		    "the probes end where the RST came from (%d hops); no "
		    "echo reply to confirm that is the peer",
		    r->hops);
	} else {
		set(r, RV_UNKNOWN, RC_LOW,
		    "refused from %d hops; the probes %s", r->hops,
		    !p->probe_rst_ttl ? "drew no reset"
		    : p->probe_rst_ttl <= r->hops
			? "were reset closer than that"
			: "were reset farther, and "
			  "that hop sent no time "
			  "exceeded");
	}
}

/*
 * Our SYN met an RST: the peer refusing, or a device before it.  On-link,
 * 0 hops is the peer.  A routed peer's RST from this link is the gateway's,
 * unless the address is the gateway's own: --locate's echo tells.
 * Otherwise only --locate's measured distance tells.
 */
static void decide_refused(const struct rst_refused *p, struct rst_result *r)
{
	if (p->route_known && p->peer_onlink && r->hops == 0) {
		r->peer_hops = 0;
		set(r, RV_PEER_NO_SOCKET, RC_HIGH,
		    "refused our SYN from this link, where the peer "
		    "is: " REFUSED_BY_PEER);
	} else if (p->probed) {
		decide_refused_probed(p, r);
	} else if (p->route_known && !p->peer_onlink && r->hops == 0) {
		refused_by_middlebox(r, RC_MEDIUM, 1, -1,
				     "it is on this link, and the peer is "
				     "routed beyond it (unless the address "
				     "is the gateway's own: --locate tells)");
	} else {
		set(r, RV_UNKNOWN, RC_LOW,
		    "refused our SYN from %d hop(s): the peer or a device "
		    "before it; %s",
		    r->hops,
		    p->no_probe ? p->no_probe
				: "--locate measures the peer's distance");
	}
}

/*
 * The distances the peer's packets came from on this flow: the nearest
 * from its highest TTL, the farthest from its lowest (ECMP paths of
 * different length, a route change).  TTLs of two initial values (64 and
 * 128) are no one path's: the last one stands for both.
 */
static void peer_range(const struct rst_evidence *ev, int *near, int *far)
{
	if (rst_initial_ttl(ev->peer_ttl_min) !=
	    rst_initial_ttl(ev->peer_ttl_max)) {
		*near = *far = rst_hops(ev->peer_ttl_last);
		return;
	}
	*near = rst_hops(ev->peer_ttl_max);
	*far = rst_hops(ev->peer_ttl_min);
}

/* @v at @c with no distance measured: every hop count unknown (-1). */
struct rst_result rst_unmeasured(enum rst_verdict v, enum rst_confidence c)
{
	return (struct rst_result){ .verdict = v,
				    .conf = c,
				    .hops = -1,
				    .peer_hops = -1,
				    .hops_before_peer = -1,
				    .hop = -1 };
}

void rst_decide(const struct rst_evidence *ev, struct rst_result *r)
{
	int near, far;

	*r = rst_unmeasured(RV_UNKNOWN, RC_LOW);
	if (ev->sent || ev->via_lo) {
		decide_local(ev, r);
		return;
	}
	r->hops = rst_hops(ev->ttl);
	if (!ev->has_peer && ev->syn_sent) {
		decide_refused(&ev->refused, r);
		return;
	}
	if (!ev->has_peer) {
		set(r, RV_UNKNOWN, RC_LOW,
		    "no baseline: no packet from the peer on this flow since "
		    "wirescope started (or it closed both ways, or was "
		    "evicted)");
		return;
	}
	peer_range(ev, &near, &far);
	r->peer_hops = rst_hops(ev->peer_ttl_last);
	r->ttl_inconsistent = ev->peer_ttl_max - ev->peer_ttl_min > 1 ||
			      rst_initial_ttl(ev->peer_ttl_min) !=
				  rst_initial_ttl(ev->peer_ttl_max);
	judge_ts(ev, r);
	judge_ipid(ev, r);
	if (decide_injected(ev, r, far))
		return;
	if (r->hops < near) {
		r->peer_hops = near;
		decide_middlebox(ev, r);
	} else if (r->hops <= far) {
		decide_at_peer(ev, r, far);
	} else {
		set(r, RV_INJECTED, RC_LOW,
		    "from farther (%d hops) than any packet of the peer's "
		    "(%d at most), but the peer's TTL varied %u-%u",
		    r->hops, far, ev->peer_ttl_min, ev->peer_ttl_max);
	}
}
