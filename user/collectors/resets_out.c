// SPDX-License-Identifier: GPL-2.0
/*
 * Output of the reset collector: one line (or JSON object) per decided
 * RST, the summary grouped by origin with advice, Prometheus families and
 * the query for diag.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "collectors/resets_int.h"
#include "core/procfs.h"
#include "core/findings.h"
#include "health.h" /* headers/ */

/* A third of the idle timeout (the seed: 30 s for a 90 s NAT), >= 1 s. */
static double keepalive_suggestion(double idle_timeout_s)
{
	double s = floor(idle_timeout_s / 3);

	return s < 1 ? 1 : s;
}

void ws_advise_keepalive(struct ws_finding *x, double idle_timeout_s)
{
	int64_t t = -1, intvl = -1, probes = -1;
	char now[32];

	ws_sysctl("net.ipv4.tcp_keepalive_time", &t);
	ws_sysctl("net.ipv4.tcp_keepalive_intvl", &intvl);
	ws_sysctl("net.ipv4.tcp_keepalive_probes", &probes);
	ws_evidence_sysctl(x, "tcp_keepalive_time", t);
	ws_evidence_sysctl(x, "tcp_keepalive_intvl", intvl);
	ws_evidence_sysctl(x, "tcp_keepalive_probes", probes);
	if (t >= 0 && t < idle_timeout_s)
		return;
	ws_advice(x,
		  "a device on the path forgot a flow that sat idle %.0f s "
		  "(its idle timeout is at most that); "
		  "net.ipv4.tcp_keepalive_time here is %s: set it (or "
		  "the application's keepalive, SO_KEEPALIVE + "
		  "TCP_KEEPIDLE) well below %.0f s, e.g. `sysctl -w "
		  "net.ipv4.tcp_keepalive_time=%.0f`",
		  idle_timeout_s, ws_fmt_sysctl(t, now, sizeof(now)),
		  idle_timeout_s, keepalive_suggestion(idle_timeout_s));
}

#define RST_MAX_GROUPS	64
#define RST_MAX_REASONS 64
/* A group's advice: the longest local reason's (TCP_FLAGS) fits. */
#define RST_ADVICE_LEN 384

/* The summary: RSTs grouped by origin. */
struct group {
	enum rst_verdict v;
	char reason[48];
	char peer[WS_ADDRSTRLEN];
	char hop_addr[WS_ADDRSTRLEN];
	int hops_before_peer;
	int unsolicited; /* middlebox: 1, 0, or -1: no segment of ours seen */
	bool refused;		  /* RSTs that answered our SYN */
	bool after_fin;		  /* peer_abort: its closed socket's */
	bool probed;		  /* refused, and --locate probed */
	char no_probe[64];	  /* refused: why --locate did not probe */
	uint16_t port;		  /* refused: the port we connected to */
	int rst_hops;		  /* refused: the RSTs' hop count */
	int hop;		  /* refused by a middlebox: its distance */
	enum rst_confidence conf; /* the lowest of its RSTs' */
	uint64_t n;
	double idle_min, idle_max;
	char why[192]; /* its first RST's; unknowns group by its lead */
};

static struct group groups[RST_MAX_GROUPS];
static int ngroups;
static uint64_t group_overflow;
static uint64_t by_dir_verdict[WS_NDIRS][RV_N];
static uint64_t refused_by_verdict[RV_N];
static uint64_t unknown_ours; /* this host's: kernel or firewall unknown */
static struct {
	char name[48];
	uint64_t n;
} local_reasons[RST_MAX_REASONS];
static int nlocal_reasons;

static void flags_str(uint8_t fl, char *buf)
{
	static const char names[] = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (fl & (1 << i))
			buf[n++] = names[i];
	buf[n] = '\0';
}

static void opts_str(uint8_t o, char *buf, size_t len)
{
	static const char *const names[] = { "mss", "ws",  "sackok", "sack",
					     "ts",  "md5", "other",  "bad" };
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 8; i++)
		if (o & (1 << i))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      names[i]);
	if (!n)
		snprintf(buf, len, "-");
}

static void fmt_secs(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "?");
	else if (v < 1)
		snprintf(buf, len, "%.0fms", v * 1000);
	else
		snprintf(buf, len, "%.1fs", v);
}

/* The RST's wall-clock time: local HH:MM:SS.mmm, or ISO 8601 UTC. */
static void fmt_time(double real, char *buf, size_t len, bool iso)
{
	time_t sec = (time_t)real;
	struct tm tm;

	if (iso)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03d%s",
		 (int)((real - sec) * 1000), iso ? "Z" : "");
}

/* addr:port, IPv6 in brackets. */
static void fmt_endpoint(const char *addr, uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/*
 * A received RST on a flow where no segment of ours was seen (and no
 * refusal of our SYN): whether one of ours triggered it is unknown.
 */
static bool trigger_unknown(const struct rst_row *r)
{
	return r->e->dir == WS_RX && !r->via_lo && !r->refused &&
	       !r->triggered && !r->tx_seen;
}

static void print_text(struct ws_session *s, const struct rst_row *r)
{
	const struct rst_event *e = r->e;
	char t[20], fl[10], op[48], idle[16], irx[16], itx[16], trig[16];
	char src[WS_ADDRSTRLEN + 8], dst[WS_ADDRSTRLEN + 8];
	const char *v = rst_verdict_name(r->res.verdict);
	FILE *f = s->out;

	fmt_time(r->wall, t, sizeof(t), false);
	fmt_endpoint(r->saddr, r->sport, src, sizeof(src));
	fmt_endpoint(r->daddr, r->dport, dst, sizeof(dst));
	flags_str(e->tcp_flags, fl);
	opts_str(e->opts, op, sizeof(op));
	fmt_secs(r->idle_s, idle, sizeof(idle));
	fmt_secs(r->idle_rx_s, irx, sizeof(irx));
	fmt_secs(r->idle_tx_s, itx, sizeof(itx));
	fmt_secs(r->trigger_ago_s, trig, sizeof(trig));
	fprintf(f, "%s %s%s %s > %s %s ttl=%u id=%u opts=%s", t,
		e->dir == WS_RX ? "rx" : "tx", r->via_lo ? "(lo)" : "", src,
		dst, fl, e->ttl, e->ip_id, op);
	if (r->res.hops >= 0)
		fprintf(f, " hops=%d", r->res.hops);
	if (r->res.peer_hops >= 0)
		fprintf(f, " peer_hops=%d", r->res.peer_hops);
	fprintf(f, " ts=%s", r->ts_state);
	if (r->seq_known)
		fprintf(f, " seq=exp%+" PRId64, r->seq_delta);
	else if (r->seq_lags)
		fprintf(f, " seq=unknown");
	fprintf(f, " kernel=\"%s\" idle=%s(rx %s, tx %s)", r->kernel, idle, irx,
		itx);
	if (r->triggered)
		fprintf(f, " trigger=ours %s before", trig);
	else if (e->dir == WS_RX && !r->via_lo && !r->refused)
		fprintf(f, trigger_unknown(r) ? " trigger=unknown"
					      : " unsolicited");
	if (r->refused)
		fprintf(f, " refused");
	fprintf(f, " => %s", v);
	if (r->reason)
		fprintf(f, " %s", r->reason);
	if (r->res.hop >= 0)
		fprintf(f, " hop=%d", r->res.hop);
	if (r->res.hops_before_peer >= 0)
		fprintf(f, " hops_before_peer=%d", r->res.hops_before_peer);
	if (r->hop_addr[0])
		fprintf(f, " hop_addr=%s", r->hop_addr);
	else if (r->locate_note[0])
		fprintf(f, " hop_addr=? (%s)", r->locate_note);
	fprintf(f, " [%s: %s]\n", rst_confidence_name(r->res.conf), r->res.why);
}

static void json_num_or_null(struct ws_json *j, const char *key, double v)
{
	if (v >= 0)
		json_double(j, key, v);
	else
		json_null(j, key);
}

static void print_json(struct ws_session *s, const struct rst_row *r)
{
	const struct rst_event *e = r->e;
	char fl[10], op[48], at[40];
	struct ws_json j;

	flags_str(e->tcp_flags, fl);
	opts_str(e->opts, op, sizeof(op));
	json_begin(&j, s->out, "rst");
	fmt_time(r->wall, at, sizeof(at), true);
	json_str(&j, "rst_time", at);
	json_str(&j, "dir", e->dir == WS_RX ? "rx" : "tx");
	json_bool(&j, "via_lo", r->via_lo);
	json_str(&j, "saddr", r->saddr);
	json_u64(&j, "sport", r->sport);
	json_str(&j, "daddr", r->daddr);
	json_u64(&j, "dport", r->dport);
	json_str(&j, "flags", fl);
	json_u64(&j, "ttl", e->ttl);
	json_u64(&j, "ip_id", e->ip_id);
	json_str(&j, "opts", op);
	json_num_or_null(&j, "hops", r->res.hops);
	json_num_or_null(&j, "peer_hops", r->res.peer_hops);
	json_str(&j, "ts", r->ts_state);
	if (r->peer_ts_clock != RST_TS_CLOCK_UNKNOWN)
		json_bool(&j, "peer_ts_usec",
			  r->peer_ts_clock == RST_TS_CLOCK_USEC);
	else
		json_null(&j, "peer_ts_usec");
	if (r->seq_known)
		json_i64(&j, "seq_delta", r->seq_delta);
	else if (r->seq_lags)
		json_null(&j, "seq_delta");
	json_str(&j, "kernel", r->kernel);
	json_num_or_null(&j, "idle_s", r->idle_s);
	json_num_or_null(&j, "idle_rx_s", r->idle_rx_s);
	json_num_or_null(&j, "idle_tx_s", r->idle_tx_s);
	if (trigger_unknown(r))
		json_null(&j, "triggered");
	else
		json_bool(&j, "triggered", r->triggered);
	if (r->triggered)
		json_double(&j, "trigger_ago_s", r->trigger_ago_s);
	json_bool(&j, "refused", r->refused);
	if (r->e->dir == WS_TX && !r->via_lo)
		json_bool(&j, "forwarded", r->e->forwarded);
	json_bool(&j, "peer_fin",
		  r->e->has_flow && (r->e->flow.flags & RST_F_FIN_RX));
	json_str(&j, "verdict", rst_verdict_name(r->res.verdict));
	json_str(&j, "confidence", rst_confidence_name(r->res.conf));
	json_str(&j, "why", r->res.why);
	if (r->reason)
		json_str(&j, "reason", r->reason);
	if (r->res.verdict == RV_MIDDLEBOX) {
		json_num_or_null(&j, "hops_before_peer",
				 r->res.hops_before_peer);
		json_num_or_null(&j, "hop", r->res.hop);
		json_str_or_null(&j, "hop_addr", r->hop_addr);
		if (trigger_unknown(r))
			json_null(&j, "unsolicited");
		else
			json_bool(&j, "unsolicited", !r->triggered);
	}
	json_end(&j);
}

static void count_reason(const char *name)
{
	int i;

	for (i = 0; i < nlocal_reasons; i++)
		if (!strcmp(local_reasons[i].name, name))
			break;
	if (i == nlocal_reasons) {
		if (i == RST_MAX_REASONS)
			return;
		snprintf(local_reasons[i].name, sizeof(local_reasons[i].name),
			 "%s", name);
		nlocal_reasons++;
	}
	local_reasons[i].n++;
}

/* An unknown's cause: its why up to the colon ("no baseline"...). */
static int why_lead(const char *why)
{
	return (int)strcspn(why, ":");
}

static bool same_why_lead(const char *a, const char *b)
{
	return why_lead(a) == why_lead(b) && !strncmp(a, b, why_lead(a));
}

/* An unknown for want of a baseline, while baselines were evicted. */
static bool evicted_may_explain(const struct group *g)
{
	return rst_flows_evicted() && same_why_lead(g->why, "no baseline:");
}

static void group_add(const struct rst_row *r)
{
	const struct rst_result *res = &r->res;
	const char *reason = r->reason ? r->reason : "";
	int unsol = res->verdict != RV_MIDDLEBOX || r->triggered ? 0
		    : trigger_unknown(r)			 ? -1
								 : 1;
	bool refused = r->refused;
	uint16_t port = refused ? r->e->key.rport : 0;
	int rst_hops = refused ? res->hops : -1;
	struct group *g;
	int i;

	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		if (g->v == res->verdict && !strcmp(g->reason, reason) &&
		    !strcmp(g->peer, r->peer) &&
		    !strcmp(g->hop_addr, r->hop_addr) &&
		    g->hops_before_peer == res->hops_before_peer &&
		    g->unsolicited == unsol && g->refused == refused &&
		    g->after_fin == res->after_peer_fin && g->port == port &&
		    g->rst_hops == rst_hops && g->hop == res->hop &&
		    g->probed == r->probed &&
		    (g->v != RV_UNKNOWN || g->refused ||
		     same_why_lead(g->why, res->why)))
			break;
	}
	if (i == ngroups) {
		if (ngroups == RST_MAX_GROUPS) {
			group_overflow++;
			return;
		}
		g = &groups[ngroups++];
		*g = (struct group){ .v = res->verdict,
				     .hops_before_peer = res->hops_before_peer,
				     .unsolicited = unsol,
				     .refused = refused,
				     .after_fin = res->after_peer_fin,
				     .probed = r->probed,
				     .port = port,
				     .rst_hops = rst_hops,
				     .hop = res->hop,
				     .conf = res->conf,
				     .idle_min = INFINITY,
				     .idle_max = -1 };
		snprintf(g->reason, sizeof(g->reason), "%s", reason);
		snprintf(g->peer, sizeof(g->peer), "%s", r->peer);
		snprintf(g->hop_addr, sizeof(g->hop_addr), "%s", r->hop_addr);
		snprintf(g->why, sizeof(g->why), "%s", res->why);
		snprintf(g->no_probe, sizeof(g->no_probe), "%s",
			 r->no_probe ? r->no_probe : "");
	}
	g = &groups[i];
	g->n++;
	if (res->conf < g->conf)
		g->conf = res->conf;
	if (r->idle_s >= 0) {
		g->idle_min = dmin(g->idle_min, r->idle_s);
		g->idle_max = dmax(g->idle_max, r->idle_s);
	}
}

void rst_record(struct ws_session *s, const struct rst_row *r)
{
	by_dir_verdict[r->e->dir & 1][r->res.verdict]++;
	if (r->refused)
		refused_by_verdict[r->res.verdict]++;
	if (r->res.verdict == RV_UNKNOWN && r->ours)
		unknown_ours++;
	if (r->reason)
		count_reason(r->reason);
	group_add(r);
	if (!ws_collector_reports(s, "resets"))
		return;
	if (s->o->json)
		print_json(s, r);
	else
		print_text(s, r);
}

/* A refused connect: nothing listening, a firewall, or not yet known. */
static void advice_refused(const struct group *g, char *buf, size_t len)
{
	if (g->v == RV_PEER_NO_SOCKET)
		snprintf(buf, len,
			 "nothing listens on %s port %u (or the peer's own "
			 "firewall rejects it): start the service there, or "
			 "point the client at the right port",
			 g->peer, g->port);
	else if (g->v == RV_MIDDLEBOX)
		snprintf(buf, len,
			 "a firewall at hop %d (%s) rejects connections to "
			 "port %u with a TCP reset: check its rules for "
			 "that port",
			 g->hop,
			 g->hop_addr[0] ? g->hop_addr
					: "address "
					  "unknown",
			 g->port);
	else if (g->no_probe[0])
		snprintf(buf, len,
			 "the peer or a firewall before it refused the "
			 "connection; --locate did not probe (%s): check the "
			 "port on the peer, then the firewalls and NATs on "
			 "the path",
			 g->no_probe);
	else if (g->probed)
		snprintf(buf, len,
			 "the peer or a device before it refused the "
			 "connection and --locate's probes could not tell "
			 "which (see the why of each RST): check the port on "
			 "the peer, then the firewalls and NATs on the path");
	else
		snprintf(buf, len,
			 "the peer or a firewall before it refused the "
			 "connection: run with --locate to tell which "
			 "(TTL-limited probes and one echo request)");
}

static void advice_unknown(const struct group *g, char *buf, size_t len)
{
	if (same_why_lead(g->why, "evidence_tracepoint_partial:"))
		snprintf(buf, len,
			 "this kernel (before 6.10) reports no RST it sends "
			 "without a socket: if `nft list ruleset` and "
			 "`iptables -S` have no 'reject with tcp reset', these "
			 "answer segments for closed ports or TIME_WAIT");
	else if (same_why_lead(g->why, "evidence_tracepoint_off:"))
		snprintf(buf, len,
			 "tcp:tcp_send_reset is off (this kernel lacks it, or "
			 "--skip-tracepoint): check this host's firewall for "
			 "'reject with tcp reset' by hand");
	else if (same_why_lead(g->why, "not seen on a watched interface:"))
		snprintf(buf, len,
			 "a socket here took these from an interface not "
			 "watched: `wirescope resets -i IFACE` on each (it "
			 "watches lo too, unless -m native: this host's "
			 "firewall's rejects come back there)");
	else if (same_why_lead(g->why, "evidence_event_unread:"))
		snprintf(
		    buf, len,
		    "the kernel's reset events near these could not be "
		    "read (resets_event_unread): if `nft list ruleset` and "
		    "`iptables -S` have no 'reject with tcp reset', this "
		    "host's kernel sent them");
	else if (same_why_lead(g->why, "evidence_headers_unread:"))
		snprintf(buf, len,
			 "segments on the watched interfaces near these could "
			 "not be read (headers_unread, ipv6_ext_unwalked: a "
			 "packet socket's frames, or more than four IPv6 "
			 "extension headers): these RSTs may have been among "
			 "them, so where they came from is unknown");
	else if (same_why_lead(g->why, "routed:"))
		snprintf(
		    buf, len,
		    "this host routed these from another interface (from "
		    "its own address where its NAT rewrote them): run "
		    "wirescope where they come from (a container's "
		    "namespace: `nsenter -t PID -n`, a VM, a host behind)");
	else if (same_why_lead(g->why, "forwarded:"))
		snprintf(buf, len,
			 "these left from addresses this host does not have, "
			 "built here: look for 'reject with tcp reset' in this "
			 "host's forward chain, or run wirescope in a macvlan "
			 "container's namespace (`nsenter -t PID -n`)");
	else if (!strncmp(g->why, "evidence_", 9))
		snprintf(buf, len,
			 "kernel events were lost near these (rate limit or "
			 "full buffers: see the lost counts): `wirescope "
			 "resets --rate N` keeps more of them; in a storm, "
			 "`--skip-tracepoint kfree_skb,tcp_send_reset` costs "
			 "the host less");
	else if (evicted_may_explain(g))
		snprintf(buf, len,
			 "at least %" PRIu64 " flow baselines were evicted "
			 "from the full table: `wirescope resets --flows N` "
			 "keeps more (default 65536)",
			 rst_flows_evicted());
	else
		snprintf(buf, len,
			 "start wirescope before the flows go idle so each "
			 "has a baseline");
}

/*
 * What each of the kernel's reset reasons (enum sk_rst_reason, 6.10+)
 * means for the operator, from where net/ipv4 sends it.
 */
static const struct {
	const char *reason, *advice;
} reason_advice[] = {
	{ "NO_SOCKET", "segments arrived for a socket this host does not "
		       "have" },
	{ "TCP_ABORT_ON_CLOSE", "the application closed with unread data" },
	{ "TCP_KEEPALIVE_TIMEOUT", "keepalives went unanswered: the path "
				   "black-holes or the peer is gone" },
	/*
	 * tcp_rcv_state_process(): an ACK on a listener, which any segment
	 * of a 4-tuple without a socket of its own finds (tcp_check_req()
	 * also hands it one that ACKs a handshake's wrong sequence).
	 */
	{ "TCP_FLAGS",
	  "an ACK reached a listening port on a connection this host does "
	  "not have: one it closed, reset or forgot (the service restarted, "
	  "a load balancer moved the flow here) while the peer still sent, "
	  "a handshake it dropped (SYN-ACK retries ran out, as while the "
	  "accept queue was full: see accept_overflow), or a SYN cookie that "
	  "failed (nstat TcpExtSyncookiesFailed)" },
	/* FIN_WAIT1/2, CLOSING, LAST_ACK after close(): TCPAbortOnData. */
	{ "TCP_ABORT_ON_DATA",
	  "data arrived after the application closed the socket (nstat "
	  "TcpExtTCPAbortOnData, which SO_LINGER 0 closes raise too): it "
	  "closed while the peer still sent, as a server closing a "
	  "keep-alive connection the client reuses" },
	/*
	 * tcp_disconnect() (close() with SO_LINGER 0), tcp_abort() (ss -K),
	 * tcp_keepalive_timer() on an orphan in FIN_WAIT2: only when its
	 * timer, not a TIME_WAIT socket, waits (most expire silently).
	 */
	{ "TCP_STATE",
	  "the connection was aborted outright: close() with SO_LINGER 0 "
	  "(proxies do it to skip TIME_WAIT; nstat TcpExtTCPAbortOnData "
	  "counts it), `ss -K`, or, rarely, a closed socket whose peer never "
	  "sent its FIN within net.ipv4.tcp_fin_timeout" },
	{ "TCP_ABORT_ON_MEMORY",
	  "closing connections were reset for lack of TCP memory or over "
	  "net.ipv4.tcp_max_orphans (nstat TcpExtTCPAbortOnMemory; dmesg: "
	  "'too many orphaned sockets', 'consider tuning tcp_mem')" },
	{ "TCP_ABORT_ON_LINGER",
	  "a closed socket with TCP_LINGER2 below 0 was reset instead of "
	  "waiting in FIN_WAIT2 (nstat TcpExtTCPAbortOnLinger)" },
	/* tcp_timewait_state_process(): TCP_TW_RST, FIN_WAIT2 substate only. */
	{ "TCP_TIMEWAIT_SOCKET",
	  "data or a SYN reached a connection this host had closed and that "
	  "waited in FIN_WAIT2 for the peer's FIN: the peer sent after the "
	  "close, as a client reusing a keep-alive connection the server "
	  "closed" },
	/* tcp_rcv_synsent_state_process(): an ACK out of snd_una..snd_nxt. */
	{ "TCP_INVALID_ACK_SEQUENCE",
	  "an answer to this host's SYN acknowledged a sequence number it "
	  "never sent: the peer still has an older connection on the same "
	  "ports (this RST clears it), or a middlebox rewrites sequence "
	  "numbers" },
	{ "TCP_RFC7323_PAWS",
	  "a SYN-ACK echoed a timestamp this host never sent (nstat "
	  "TcpExtPAWSActive): a stale answer, or a middlebox rewriting TCP "
	  "timestamps" },
	/*
	 * tcp_rcv_state_process() step 5: tcp_ack() refused the ACK of a
	 * socket still in SYN_RECV (a handshake's child, Fast Open, a
	 * simultaneous open): "send one RST".
	 */
	{ "TCP_OLD_ACK",
	  "the ACK completing a handshake (SYN_RECV) acknowledged nothing "
	  "new: a stale or forged segment, or a middlebox rewriting sequence "
	  "numbers" },
	{ "TCP_TOO_OLD_ACK",
	  "the ACK completing a handshake (SYN_RECV) was older than anything "
	  "in flight: a stale segment, or a middlebox rewriting sequence "
	  "numbers" },
	{ "TCP_ACK_UNSENT_DATA",
	  "the ACK completing a handshake (SYN_RECV) acknowledged data this "
	  "host never sent: a forged segment, or a middlebox rewriting "
	  "sequence numbers" },
	/* tcp_disconnect() in CLOSING or LAST_ACK with data not yet sent. */
	{ "TCP_DISCONNECT_WITH_DATA",
	  "the application aborted a closing connection that still had "
	  "unsent data (close() with SO_LINGER 0 after the peer's FIN, or "
	  "connect(AF_UNSPEC))" },
	/*
	 * tcp_check_req()'s embryonic_reset: a SYN in a handshake's window,
	 * or an accept queue overflow with tcp_abort_on_overflow = 1.
	 */
	{ "INVALID_SYN",
	  "a handshake in progress was reset: its final ACK found the accept "
	  "queue full with net.ipv4.tcp_abort_on_overflow = 1 (see "
	  "accept_overflow; nstat TcpExtListenOverflows), or it got a SYN "
	  "with another sequence number (a peer that restarted its connect, "
	  "or a middlebox)" },
};

/* Advice for a reset this host's kernel sent with @reason ("" unknown). */
static const char *local_reason_advice(const char *reason)
{
	size_t i;

	for (i = 0; i < sizeof(reason_advice) / sizeof(reason_advice[0]); i++)
		if (!strcmp(reason, reason_advice[i].reason))
			return reason_advice[i].advice;
	if (!strncmp(reason, "MPTCP_RST_", 10))
		return "an MPTCP subflow was reset with this RFC 8684 code "
		       "(MPTCP_RST_EMIDDLEBOX: a middlebox broke MPTCP's "
		       "options; ERESOURCE: out of resources; EPROHIBIT: "
		       "policy); the connection may go on over other subflows";
	return "this host's TCP stack decided it: `nstat -az "
	       "'TcpExtTCPAbortOn*'` shows which abort counter rose";
}

static void advice(const struct group *g, char *buf, size_t len)
{
	int64_t ka = -1;
	char now[24];

	if (g->refused) {
		advice_refused(g, buf, len);
		return;
	}
	switch (g->v) {
	case RV_MIDDLEBOX:
		/*
		 * Unprompted, it fired at its timeout; answering our first
		 * segment after a silence, the timeout is at most the silence.
		 */
		if (g->idle_min >= 1 && g->idle_max >= 0) {
			ws_sysctl("net.ipv4.tcp_keepalive_time", &ka);
			snprintf(buf, len,
				 "its idle timeout is %s %.0f s; "
				 "net.ipv4.tcp_keepalive_time here is %s — "
				 "set it (or the application's keepalive) "
				 "below %.0f s",
				 g->unsolicited == 1 ? "about" : "at most",
				 g->idle_min,
				 ws_fmt_sysctl(ka, now, sizeof(now)),
				 g->idle_min);
		} else
			snprintf(buf, len,
				 "a firewall/IPS on the path rejects the flow "
				 "mid-stream: check its rules");
		break;
	case RV_LOCAL:
		snprintf(buf, len, "%s", local_reason_advice(g->reason));
		break;
	case RV_LOCAL_NETFILTER:
		snprintf(buf, len,
			 "this host's firewall rejects the flow: look for "
			 "'reject with tcp reset' in nft list ruleset / "
			 "iptables -S");
		break;
	case RV_PEER_ABORT:
		if (g->after_fin) {
			snprintf(buf, len,
				 "the peer closed the connection and this "
				 "host sent on it after its FIN (a pooled or "
				 "keep-alive connection reused): close idle "
				 "connections before the peer does, or retry "
				 "on a new one");
			break;
		}
		snprintf(buf, len,
			 "the peer application aborted (SO_LINGER 0, crash "
			 "or close with unread data): check its logs");
		break;
	case RV_PEER_NO_SOCKET:
		snprintf(buf, len,
			 "the peer had no socket for the flow: it restarted, "
			 "an LB re-mapped the flow, or a firewall on the peer "
			 "host");
		break;
	case RV_INJECTED:
		snprintf(buf, len,
			 "forged resets (off-path injector or DPI): the "
			 "kernel's RFC 5961 checks refuse most of them");
		break;
	default:
		advice_unknown(g, buf, len);
	}
}

/*
 * A mid-flow middlebox whose RST came from this link from the peer's own
 * on-link address (resets.c, locate_hop): that address's device, a NAT
 * or proxy, not one "before" it.
 */
static bool hop_is_peer(const struct group *g)
{
	return !g->refused && g->hop_addr[0] && !strcmp(g->hop_addr, g->peer);
}

static void nat_origin(const struct group *g, char *buf, size_t len)
{
	snprintf(buf, len,
		 "from %s itself, on this link: a NAT or proxy %d hop%s "
		 "before the peer behind it",
		 g->peer, g->hops_before_peer,
		 g->hops_before_peer == 1 ? "" : "s");
}

/* " from N hop(s)", or "" where only a kernel event saw it: no distance. */
static const char *from_hops(int hops, char *buf, size_t len)
{
	if (hops < 0)
		return "";
	snprintf(buf, len, " from %d hop%s", hops, hops == 1 ? "" : "s");
	return buf;
}

static void group_origin(const struct group *g, char *buf, size_t len)
{
	const char *v = rst_verdict_name(g->v);
	char hops[32];

	if (hop_is_peer(g))
		nat_origin(g, buf, len);
	else if (g->refused && g->v == RV_MIDDLEBOX)
		snprintf(buf, len,
			 "refused connect%s to %s port %u, by a device at "
			 "hop %d%s%s%s",
			 g->n == 1 ? "" : "s", g->peer, g->port, g->hop,
			 g->hop_addr[0] ? " (" : "", g->hop_addr,
			 g->hop_addr[0] ? ")" : "");
	else if (g->refused)
		snprintf(buf, len, "refused connect%s to %s port %u%s (%s)",
			 g->n == 1 ? "" : "s", g->peer, g->port,
			 from_hops(g->rst_hops, hops, sizeof(hops)),
			 g->v == RV_PEER_NO_SOCKET
			     ? "the peer itself"
			     : "the peer or a device before it");
	else if (g->v == RV_MIDDLEBOX && g->hops_before_peer >= 0)
		snprintf(buf, len, "from a middlebox %d hop%s before %s%s%s%s",
			 g->hops_before_peer,
			 g->hops_before_peer == 1 ? "" : "s", g->peer,
			 g->hop_addr[0] ? " (" : "", g->hop_addr,
			 g->hop_addr[0] ? ")" : "");
	else if (g->reason[0])
		snprintf(buf, len, "%s (%s), peer %s", v, g->reason, g->peer);
	else
		snprintf(buf, len, "%s, peer %s", v, g->peer);
}

static void summary_text(struct ws_session *s)
{
	char origin[192], adv[RST_ADVICE_LEN], idle[64];
	int i;

	fprintf(s->out, "\nSummary over %.1f s:\n", s->elapsed);
	if (!ngroups)
		fprintf(s->out, "  no resets\n");
	for (i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];

		group_origin(g, origin, sizeof(origin));
		advice(g, adv, sizeof(adv));
		if (g->refused) {
			fprintf(s->out, "  %" PRIu64 " %s: %s\n", g->n, origin,
				adv);
			continue;
		}
		idle[0] = '\0';
		if (g->idle_max >= 0)
			snprintf(idle, sizeof(idle),
				 " after %.1f-%.1f s idle%s", g->idle_min,
				 g->idle_max,
				 g->unsolicited == 1 ? ", unsolicited" : "");
		fprintf(s->out, "  %" PRIu64 " reset%s %s%s: %s\n", g->n,
			g->n == 1 ? "" : "s", origin, idle, adv);
	}
	if (rst_events_lost() || group_overflow)
		fprintf(s->out,
			"warning: %" PRIu64
			" events lost in user space, %" PRIu64 " not grouped\n",
			rst_events_lost(), group_overflow);
	if (rst_flows_evicted())
		fprintf(s->out,
			"warning: at least %" PRIu64 " flow baselines were "
			"evicted from the full table (raise --flows): RSTs on "
			"those flows are unknown\n",
			rst_flows_evicted());
}

/*
 * Can verdict @v be decided here?  Without tcp_send_reset no RST is known
 * to be this host's, and before 6.10 none is known to be its firewall's:
 * a count of such a verdict is unknown, not 0.
 */
static bool verdict_counted(int v)
{
	if (v == RV_LOCAL_NETFILTER)
		return rst_local_netfilter_decidable();
	return v != RV_LOCAL || rst_local_traced();
}

static void summary_json(struct ws_session *s)
{
	char origin[192], adv[RST_ADVICE_LEN];
	struct ws_json j;
	int i, v;

	json_begin(&j, s->out, "summary");
	json_ifaces(&j, s);
	json_double(&j, "duration_s", s->elapsed);
	json_obj_begin(&j, "verdicts");
	for (v = 0; v < RV_N; v++)
		json_u64_or_null(&j, rst_verdict_name(v), verdict_counted(v),
				 by_dir_verdict[WS_RX][v] +
				     by_dir_verdict[WS_TX][v]);
	json_obj_end(&j);
	json_u64(&j, "events_lost_user", rst_events_lost());
	json_u64(&j, "events_not_grouped", group_overflow);
	json_u64(&j, "locate_probe_resets", rst_probe_resets());
	json_u64(&j, "flows_evicted", rst_flows_evicted());
	json_arr_begin(&j, "groups");
	for (i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];

		group_origin(g, origin, sizeof(origin));
		advice(g, adv, sizeof(adv));
		json_obj_begin(&j, NULL);
		json_str(&j, "verdict", rst_verdict_name(g->v));
		json_u64(&j, "count", g->n);
		json_str(&j, "peer", g->peer);
		if (g->reason[0])
			json_str(&j, "reason", g->reason);
		if (g->v == RV_MIDDLEBOX) {
			json_num_or_null(&j, "hops_before_peer",
					 g->hops_before_peer);
			json_str_or_null(&j, "hop_addr", g->hop_addr);
			if (g->unsolicited >= 0)
				json_bool(&j, "unsolicited", g->unsolicited);
			else
				json_null(&j, "unsolicited");
		}
		json_bool(&j, "refused", g->refused);
		if (g->refused) {
			json_u64(&j, "port", g->port);
			json_num_or_null(&j, "hops", g->rst_hops);
			if (g->v == RV_MIDDLEBOX)
				json_num_or_null(&j, "hop", g->hop);
		}
		if (g->idle_max >= 0) {
			json_double(&j, "idle_min_s", g->idle_min);
			json_double(&j, "idle_max_s", g->idle_max);
		}
		json_str(&j, "origin", origin);
		json_str(&j, "advice", adv);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_end(&j);
}

void rst_report_summary(struct ws_session *s)
{
	if (s->o->json)
		summary_json(s);
	else
		summary_text(s);
}

void resets_prom(struct ws_session *s, struct ws_buf *b)
{
	static const char *const dirs[WS_NDIRS] = { "rx", "tx" };
	char labels[128];
	int d, v, i;

	prom_family(b, "wirescope_resets_total", "counter",
		    "TCP resets by direction and verdict (who sent them)");
	for (d = 0; d < WS_NDIRS; d++)
		for (v = 0; v < RV_N; v++) {
			if (!verdict_counted(v))
				continue; /* never decided: absent, not 0 */
			snprintf(labels, sizeof(labels),
				 "dir=\"%s\",verdict=\"%s\"", dirs[d],
				 rst_verdict_name(v));
			prom_u64(b, "wirescope_resets_total", labels,
				 by_dir_verdict[d][v]);
		}
	prom_family(b, "wirescope_connects_refused_total", "counter",
		    "our connects an RST refused, by who sent it "
		    "(peer_no_socket: nothing listens; middlebox: a firewall "
		    "before the peer; unknown: not told apart)");
	for (v = 0; v < RV_N; v++) {
		if (v != RV_PEER_NO_SOCKET && v != RV_MIDDLEBOX &&
		    v != RV_UNKNOWN && !refused_by_verdict[v])
			continue;
		snprintf(labels, sizeof(labels), "verdict=\"%s\"",
			 rst_verdict_name(v));
		prom_u64(b, "wirescope_connects_refused_total", labels,
			 refused_by_verdict[v]);
	}
	prom_family(b, "wirescope_resets_local_total", "counter",
		    "TCP resets this host's kernel sent, by reason");
	for (i = 0; i < nlocal_reasons; i++) {
		char esc[96];

		prom_escape(esc, sizeof(esc), local_reasons[i].name);
		snprintf(labels, sizeof(labels), "reason=\"%s\"", esc);
		prom_u64(b, "wirescope_resets_local_total", labels,
			 local_reasons[i].n);
	}
	prom_family(b, "wirescope_resets_events_lost_total", "counter",
		    "RST events lost in user space (the kernel side is in "
		    "the health counters)");
	prom_u64(b, "wirescope_resets_events_lost_total", NULL,
		 rst_events_lost());
	prom_counter(b, "wirescope_resets_flows_evicted_total",
		     "Flow baselines the full table evicted (at least): RSTs "
		     "on those flows are unknown.",
		     NULL, rst_flows_evicted());
}

void resets_query(struct resets_query *q)
{
	int i, d;

	memset(q, 0, sizeof(*q));
	for (d = 0; d < WS_NDIRS; d++)
		for (i = 0; i < RV_N; i++) {
			q->by_verdict[i] += by_dir_verdict[d][i];
			q->by_dir[d] += by_dir_verdict[d][i];
			q->total += by_dir_verdict[d][i];
		}
	q->unknown_ours = unknown_ours;
	for (i = 0; i < ngroups && q->n_middlebox < RESETS_QUERY_MAX; i++) {
		const struct group *g = &groups[i];
		struct resets_middlebox *m = &q->middlebox[q->n_middlebox];

		if (g->v != RV_MIDDLEBOX)
			continue;
		snprintf(m->peer, sizeof(m->peer), "%s", g->peer);
		snprintf(m->hop_addr, sizeof(m->hop_addr), "%s", g->hop_addr);
		m->hops_before_peer = g->hops_before_peer;
		m->idle_min_s = g->idle_max >= 0 ? g->idle_min : -1;
		m->idle_max_s = g->idle_max;
		m->unsolicited = g->unsolicited == 1;
		m->count = g->n;
		q->n_middlebox++;
	}
}

/* diag: resets per interval by origin. */
void resets_diag_cols(struct ws_session *s, double secs, struct ws_diag_cols *c)
{
	static uint64_t prev[RV_N], prev_ours;
	struct resets_query q;
	uint64_t d[RV_N], ours;
	int v;

	resets_query(&q);
	for (v = 0; v < RV_N; v++) {
		d[v] = q.by_verdict[v] - prev[v];
		prev[v] = q.by_verdict[v];
	}
	/* Before 6.10 a closed port's RST is unknown, but it is ours. */
	ours = q.unknown_ours - prev_ours;
	prev_ours = q.unknown_ours;
	c->rst_local = verdict_counted(RV_LOCAL)
			   ? d[RV_LOCAL] + d[RV_LOCAL_NETFILTER] + ours
			   : NAN; /* every RST of ours is unknown: not 0 */
	c->rst_peer = d[RV_PEER_ABORT] + d[RV_PEER_NO_SOCKET];
	c->rst_middlebox = d[RV_MIDDLEBOX] + d[RV_INJECTED];
}

/*
 * RSTs never decided (the data plane's rate limit, a full ring buffer, a
 * full event table here): every count of a reset finding is then a floor.
 */
static uint64_t rst_events_unexamined(void)
{
	return ws_health_lost(WS_H_RESETS_RATE_LIMITED) +
	       ws_health_lost(WS_H_RESETS_RINGBUF_FULL) + rst_events_lost();
}

static const char *at_least(void)
{
	return rst_events_unexamined() ? "at least " : "";
}

static void evidence_unexamined(struct ws_finding *x)
{
	if (rst_events_unexamined())
		ws_evidence_num(x, "rst_events_unexamined",
				rst_events_unexamined());
}

/*
 * The group's count: evidence, and the finding's size among equals; a
 * floor when RST events never reached user space.
 */
static void count_resets(struct ws_finding *x, const struct group *g)
{
	x->size = g->n;
	ws_evidence_num(x, "resets", g->n);
	evidence_unexamined(x);
}

/* A finding is as sure as the least sure of its RSTs' verdicts. */
static double group_confidence(const struct group *g)
{
	return g->conf == RC_HIGH ? 0.9 : g->conf == RC_MEDIUM ? 0.6 : 0.3;
}

/* @v if it was measured (@known), else unknown: never a made-up -1. */
static void evidence_known(struct ws_finding *x, const char *key, bool known,
			   double v)
{
	if (known)
		ws_evidence_num(x, key, v);
	else
		ws_evidence_unknown(x, key);
}

static void find_middlebox(const struct group *g, struct ws_findings *f)
{
	struct ws_finding *x;
	char adv[RST_ADVICE_LEN], at[WS_ADDRSTRLEN + 4] = "";

	if (g->hop_addr[0])
		snprintf(at, sizeof(at), " (%s)", g->hop_addr);
	if (hop_is_peer(g)) {
		nat_origin(g, adv, sizeof(adv));
		x = ws_finding_add(f, "middlebox_reset", WS_SEV_CRITICAL,
				   group_confidence(g), "%s%llu reset%s %s",
				   at_least(), (unsigned long long)g->n,
				   g->n == 1 ? "" : "s", adv);
	} else if (g->refused)
		x = ws_finding_add(
		    f, "middlebox_reset", WS_SEV_CRITICAL, group_confidence(g),
		    "%s%llu connect%s to %s port %u refused by "
		    "a device at hop %d%s, not the peer",
		    at_least(), (unsigned long long)g->n, g->n == 1 ? "" : "s",
		    g->peer, g->port, g->hop, at);
	else if (g->hops_before_peer < 0)
		x = ws_finding_add(f, "middlebox_reset", WS_SEV_CRITICAL,
				   group_confidence(g),
				   "%s%llu reset%s from a device before %s "
				   "(hop unknown)%s",
				   at_least(), (unsigned long long)g->n,
				   g->n == 1 ? "" : "s", g->peer, at);
	else
		x = ws_finding_add(
		    f, "middlebox_reset", WS_SEV_CRITICAL, group_confidence(g),
		    "%s%llu reset%s from a device %d hop%s "
		    "before %s%s",
		    at_least(), (unsigned long long)g->n, g->n == 1 ? "" : "s",
		    g->hops_before_peer, g->hops_before_peer == 1 ? "" : "s",
		    g->peer, at);
	count_resets(x, g);
	ws_evidence_str(x, "peer", g->peer);
	evidence_known(x, "hops_before_peer", g->hops_before_peer >= 0,
		       g->hops_before_peer);
	if (g->hop_addr[0])
		ws_evidence_str(x, "hop_addr", g->hop_addr);
	else
		ws_evidence_unknown(x, "hop_addr");
	if (g->refused) {
		ws_evidence_num(x, "port", g->port);
		ws_evidence_num(x, "hop", g->hop);
	}
	evidence_known(x, "idle_min_s", g->idle_max >= 0, g->idle_min);
	evidence_known(x, "idle_max_s", g->idle_max >= 0, g->idle_max);
	if (g->unsolicited >= 0)
		ws_evidence_num(x, "unsolicited", g->unsolicited);
	else
		ws_evidence_unknown(x, "unsolicited");
	/* An idle timeout: the keepalive to set; else the generic advice. */
	if (g->idle_max >= 0 && g->idle_min >= 1)
		ws_advise_keepalive(x, g->idle_min);
	if (!x->advice[0]) {
		advice(g, adv, sizeof(adv));
		ws_advice(x, "%s", adv);
	}
}

static void find_local(const struct group *g, struct ws_findings *f)
{
	bool minor = !strcmp(g->reason, "NO_SOCKET") && g->n < 100;
	struct ws_finding *x;
	char adv[RST_ADVICE_LEN];

	x = ws_finding_add(
	    f, "local_reset", minor ? WS_SEV_INFO : WS_SEV_WARNING,
	    group_confidence(g), "this host reset %s%llu connection%s: %s",
	    at_least(), (unsigned long long)g->n, g->n == 1 ? "" : "s",
	    g->v == RV_LOCAL_NETFILTER ? "its firewall"
	    : g->reason[0]	       ? g->reason
				       : "reason unknown");
	count_resets(x, g);
	ws_evidence_str(x, "verdict", rst_verdict_name(g->v));
	ws_evidence_str(x, "reason", g->reason);
	advice(g, adv, sizeof(adv));
	ws_advice(x, "%s", adv);
}

/* Refused by the peer (nothing listening), or not known by whom. */
static void find_refused(const struct group *g, struct ws_findings *f)
{
	bool peer = g->v == RV_PEER_NO_SOCKET;
	struct ws_finding *x;
	char adv[RST_ADVICE_LEN], hops[32];

	x = ws_finding_add(
	    f, "connection_refused", g->n < 10 ? WS_SEV_INFO : WS_SEV_WARNING,
	    group_confidence(g), "%s%llu connect%s to %s port %u refused%s: %s",
	    at_least(), (unsigned long long)g->n, g->n == 1 ? "" : "s", g->peer,
	    g->port, from_hops(g->rst_hops, hops, sizeof(hops)),
	    peer ? "the peer itself (nothing listens, or its own firewall)"
		 : "the peer or a device before it");
	count_resets(x, g);
	ws_evidence_str(x, "peer", g->peer);
	ws_evidence_num(x, "port", g->port);
	if (g->rst_hops >= 0)
		ws_evidence_num(x, "hops", g->rst_hops);
	else
		ws_evidence_unknown(x, "hops");
	ws_evidence_str(x, "verdict", rst_verdict_name(g->v));
	advice(g, adv, sizeof(adv));
	ws_advice(x, "%s", adv);
}

/* Resets whose origin the evidence can't tell: said, never hidden. */
static void find_unattributed(const struct group *g, struct ws_findings *f)
{
	struct ws_finding *x;
	char adv[RST_ADVICE_LEN];

	x = ws_finding_add(f, "unattributed_resets",
			   g->n < 10 ? WS_SEV_INFO : WS_SEV_WARNING, 0.9,
			   "%s%llu reset%s on flows with %s of unknown origin "
			   "(%.*s)",
			   at_least(), (unsigned long long)g->n,
			   g->n == 1 ? "" : "s", g->peer, why_lead(g->why),
			   g->why);
	x->evidence_gap = true;
	count_resets(x, g);
	ws_evidence_str(x, "peer", g->peer);
	snprintf(adv, sizeof(adv), "%.*s", why_lead(g->why), g->why);
	ws_evidence_str(x, "why", adv);
	if (evicted_may_explain(g))
		ws_evidence_num(x, "flows_evicted", rst_flows_evicted());
	advice(g, adv, sizeof(adv));
	ws_advice(x, "%s", adv);
}

static void find_injected(const struct group *g, struct ws_findings *f)
{
	struct ws_finding *x;
	char adv[RST_ADVICE_LEN];

	/* No surer than the verdict: a varying TTL makes it a low one. */
	x = ws_finding_add(f, "injected_reset", WS_SEV_WARNING,
			   fmin(0.7, group_confidence(g)),
			   "%s%llu forged-looking resets on flows with %s",
			   at_least(), (unsigned long long)g->n, g->peer);
	count_resets(x, g);
	ws_evidence_str(x, "peer", g->peer);
	advice(g, adv, sizeof(adv));
	ws_advice(x, "%s", adv);
}

/* RSTs the findings above leave out: undecided, or decided but ungrouped. */
static void find_events_lost(struct ws_findings *f)
{
	struct ws_finding *x;

	if (!rst_events_lost() && !group_overflow)
		return;
	x = ws_finding_add(f, "resets_not_counted", WS_SEV_INFO, 0.9,
			   "%llu RST events went undecided (the event table "
			   "was full) and %llu were left out of the groups: "
			   "the reset findings miss them",
			   (unsigned long long)rst_events_lost(),
			   (unsigned long long)group_overflow);
	x->evidence_gap = true;
	ws_evidence_num(x, "events_lost_user", rst_events_lost());
	ws_evidence_num(x, "events_not_grouped", group_overflow);
	ws_advice(x, "`wirescope resets` on its own reports them as they "
		     "come; in a storm most are alike (see the others)");
}

void resets_findings(struct ws_session *s, struct ws_findings *f)
{
	int i;

	find_events_lost(f);
	for (i = 0; i < ngroups; i++) {
		if (groups[i].v == RV_MIDDLEBOX)
			find_middlebox(&groups[i], f);
		else if (groups[i].refused &&
			 (groups[i].v == RV_UNKNOWN ||
			  groups[i].v == RV_PEER_NO_SOCKET))
			find_refused(&groups[i], f);
		else if (groups[i].v == RV_LOCAL ||
			 groups[i].v == RV_LOCAL_NETFILTER)
			find_local(&groups[i], f);
		else if (groups[i].v == RV_INJECTED)
			find_injected(&groups[i], f);
		else if (groups[i].v == RV_UNKNOWN)
			find_unattributed(&groups[i], f);
	}
}
