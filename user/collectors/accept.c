// SPDX-License-Identifier: GPL-2.0
/*
 * The accept-queue collector: every listening TCP socket of our network
 * namespace through sock_diag (like ss -lntm), its queue sampled ten times a
 * second, its drops (sk_drops), the kernel's per-socket overflow drops
 * (skb:kfree_skb, TCP_LISTEN_OVERFLOW), the wire evidence per port from the
 * handshake programs, the owning process, and a verdict.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collectors/accept_int.h"
#include "core/findings.h"
#include "core/procfs.h"
#include "core/netlink.h"
#include "health.h"
#include "wirescope.skel.h"

#define MAX_LISTENERS	HS_MAX_LISTENERS
#define QUEUE_SAMPLE_MS 100
#define NGINX_BACKLOG	511
/* The wire counts a loss when the resend comes: up to 32 s after the drop
 * (a SYN's sixth try follows its fifth by 32 s, tcp_syn_retries 6). */
#define WIRE_LAG_S 32

const char *const accept_verdict_names[] = {
	[ACCEPT_OK] = "ok",
	[ACCEPT_OVERFLOWING] = "overflowing",
	[ACCEPT_DEFERRED] = "deferred-accept",
	[ACCEPT_SYNQ_FULL] = "syn-queue-full",
	[ACCEPT_NOT_QUEUE] = "unanswered-not-queue",
};

/* Cumulative state of one listener; the public part is the totals. */
struct listener {
	struct accept_listener pub;
	uint32_t drops_base, drops_now, drops_prev;
	uint64_t kfree_prev, retrans_prev;
	struct hs_port_stats wire_base, wire_prev;
	/* attribute(): the bases of the last attribution, and its sums;
	 * drops_attr is also the base of the key's shares (read_bpf_key()) */
	uint32_t drops_attr;
	uint64_t kfree_attr;
	uint64_t ovf_total, ovf_prev, synq_total, synq_prev;
	bool apportioned;
	/* s->elapsed at the end of the last interval with sk_drops, or 0 */
	double dropped_at;
	/* the last interval the kernel said which queue dropped: SYN queue */
	bool synq_last;
	uint32_t queue_max_iv; /* max since the last interval */
	int owner_fd;	       /* the owner's fd number for it */
	bool defer_checked;
	bool seen;    /* in the latest dump */
	bool no_slot; /* its port has no per-port slot (health counted it) */
	bool fresh;   /* first seen in the latest dump, after the start */
};

enum { NS_OVERFLOWS, NS_DROPS, NS_DEFER, NS_REQQ, NS_NSTAT };
static const char *const netstat_names[NS_NSTAT] = {
	"ListenOverflows", "ListenDrops", "TCPDeferAcceptDrop",
	"TCPReqQFullDrop"
};

static struct listener table[MAX_LISTENERS];
static struct accept_listener pubs[MAX_LISTENERS];
static int n_listeners;
static uint64_t host_base[NS_NSTAT], host_prev[NS_NSTAT], host_cur[NS_NSTAT];
static uint64_t host_attr[NS_NSTAT];
static bool attr_carried; /* host_attr kept back one sample (attribute()) */
static int timer_fd = -1;
static bool started, owners_stale, table_full_warned;
/*
 * With -i and no handshakes collector in the session, accept keeps the
 * handshake table itself: stale entries swept, evictions counted (a SYN
 * resent after its entry was evicted is no SYN-site drop).
 */
static bool keeps_flows;
static uint64_t evicted_base, evicted_prev;
/* The last dump had a listener the table could not take; how many, and the
 * most in one dump so far (health counts that many). */
static bool listeners_unwatched;
static int unwatched_now, unwatched_peak;
static long somaxconn, syn_backlog, abort_on_overflow, syncookies;
/*
 * KFREE is counted: the kernel names the listener and the reason, and the
 * kfree_skb program runs.  Where it is not, KFREE is unknown, never 0.
 */
static bool kfree_counted;
/* SYN-ACK repeats per listener: tcp_retransmit_synack runs. */
static bool synack_counted;
static unsigned long lines;
static struct accept_span spans[MAX_LISTENERS]; /* see judge() */
static double interval_from; /* s->elapsed at the last interval */

/* A sysctl's value, -1 if unreadable (shown as unknown or null). */
static long sysctl_or_minus1(const char *name)
{
	int64_t v;

	return ws_sysctl(name, &v) ? -1 : (long)v;
}

/* TcpExt counters of our network namespace. */
static int read_netstat(uint64_t *out)
{
	char names[8192], vals[8192], *np, *vp, *ns, *vs;
	FILE *f = fopen("/proc/net/netstat", "r");
	int i;

	if (!f)
		return -errno;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		np = strtok_r(names, " \n", &ns);
		vp = strtok_r(vals, " \n", &vs);
		while ((np = strtok_r(NULL, " \n", &ns)) &&
		       (vp = strtok_r(NULL, " \n", &vs)))
			for (i = 0; i < NS_NSTAT; i++)
				if (!strcmp(np, netstat_names[i]))
					out[i] = strtoull(vp, NULL, 10);
	}
	fclose(f);
	return 0;
}

static struct listener *find(const struct nl_listener *l)
{
	int i;

	for (i = 0; i < n_listeners; i++) {
		struct accept_listener *p = &table[i].pub;

		if (p->inode == l->inode && p->port == l->port &&
		    p->family == l->family)
			return &table[i];
	}
	return NULL;
}

/* @q is on this address, port and family: the key of hs_listeners. */
static bool on_key(const struct accept_listener *q, const uint32_t *addr,
		   uint16_t port, uint8_t family)
{
	return q->port == port && q->family == family &&
	       !memcmp(q->addr, addr, sizeof(q->addr));
}

/* A closed listener on this address, port and family, or NULL. */
static struct listener *find_closed(const uint32_t *addr, uint16_t port,
				    uint8_t family)
{
	int i;

	for (i = 0; i < n_listeners; i++) {
		struct accept_listener *q = &table[i].pub;

		if (q->gone && on_key(q, addr, port, family))
			return &table[i];
	}
	return NULL;
}

/*
 * A new socket is back on the address, port and family of @old, which
 * closed while we ran (a restart): it takes over @old's row.  The counts go
 * on, as the kernel's per-address ACK-site drops (hs_listeners) do, so a
 * restart neither adds a row nor makes a counter go back.  Only the socket
 * is new: its sk_drops (@drops) count from its own birth, so the bases move
 * down by what the old socket had counted.
 */
static void take_over(struct listener *old, uint32_t inode, uint32_t drops,
		      uint32_t queue, uint32_t backlog)
{
	old->drops_base -= old->drops_now;
	old->drops_prev -= old->drops_now;
	old->drops_attr -= old->drops_now;
	old->drops_now = drops;
	old->pub.inode = inode;
	old->pub.queue = queue;
	old->pub.backlog = backlog;
	if (queue > old->pub.queue_max)
		old->pub.queue_max = queue;
	if (queue > old->queue_max_iv)
		old->queue_max_iv = queue;
	old->pub.pid = 0;
	old->pub.comm[0] = '\0';
	old->pub.defer_accept = false;
	old->defer_checked = false;
	old->pub.gone = false;
	old->seen = true;
	owners_stale = true;
}

/*
 * Fold the rows this dump opened for restarted listeners into their old
 * ones: the new socket may show up in the same dump that misses the old.
 */
static void merge_restarts(void)
{
	struct listener *old;
	int i = 0;

	while (i < n_listeners) {
		struct listener *t = &table[i];

		old = t->fresh
			  ? find_closed(t->pub.addr, t->pub.port, t->pub.family)
			  : NULL;
		if (!old) {
			t->fresh = false;
			i++;
			continue;
		}
		take_over(old, t->pub.inode, t->drops_now, t->pub.queue,
			  t->pub.backlog);
		*t = table[--n_listeners]; /* and look at index i again */
	}
}

/*
 * A row for a new listener: a free one, else the row of a closed listener
 * that counted nothing (so nothing is lost), else NULL.
 */
static struct listener *new_row(void)
{
	struct listener *t;
	int i;

	if (n_listeners < MAX_LISTENERS)
		return &table[n_listeners++];
	for (i = 0; i < n_listeners; i++) {
		t = &table[i];
		if (t->pub.gone && !t->ovf_total && !t->synq_total &&
		    !t->pub.listen_drops && !t->pub.kfree_overflows &&
		    t->drops_now == t->drops_base)
			return t;
	}
	return NULL;
}

static void on_listener(struct ws_session *s, const struct nl_listener *l)
{
	struct listener *t = find(l);

	if (!hs_port_wanted(s->o, l->port))
		return;
	/* No room for a row to merge later: take over at once. */
	if (!t && n_listeners == MAX_LISTENERS &&
	    (t = find_closed(l->addr, l->port, l->family)))
		take_over(t, l->inode, l->drops, l->rqueue, l->wqueue);
	if (!t) {
		t = new_row();
		if (!t) {
			listeners_unwatched = true;
			unwatched_now++;
			if (!table_full_warned)
				ws_warn("more than %d listening sockets: the "
					"rest are not shown (use -p)",
					MAX_LISTENERS);
			table_full_warned = true;
			return;
		}
		memset(t, 0, sizeof(*t));
		memcpy(t->pub.addr, l->addr, sizeof(l->addr));
		t->pub.port = l->port;
		t->pub.family = l->family;
		t->pub.inode = l->inode;
		/* Born while we run: all its drops are ours to report. */
		t->drops_base = started ? 0 : l->drops;
		t->fresh = started;
		t->drops_prev = t->drops_attr = t->drops_base;
		owners_stale = true;
	}
	t->seen = true;
	t->pub.gone = false;
	t->pub.queue = l->rqueue;
	t->pub.backlog = l->wqueue;
	t->drops_now = l->drops;
	if (l->rqueue > t->queue_max_iv)
		t->queue_max_iv = l->rqueue;
	if (l->rqueue > t->pub.queue_max)
		t->pub.queue_max = l->rqueue;
}

/*
 * The round's listeners (shared with hoststat), or a dump of its own
 * (@fresh: the queue timer's samples between rounds).
 */
static int dump_listeners(struct ws_session *s, bool fresh)
{
	const struct nl_listener *v;
	int i, n;

	n = fresh ? ws_session_listeners_now(s, &v)
		  : ws_session_listeners(s, &v);
	if (n < 0)
		return n;
	for (i = 0; i < n_listeners; i++)
		table[i].seen = false;
	listeners_unwatched = false;
	unwatched_now = 0;
	for (i = 0; i < n; i++)
		on_listener(s, &v[i]);
	for (; unwatched_peak < unwatched_now; unwatched_peak++)
		ws_health_count(WS_H_ACCEPT_LISTENERS_FULL);
	for (i = 0; i < n_listeners; i++)
		if (!table[i].seen)
			table[i].pub.gone = true;
	merge_restarts();
	return 0;
}

/* The inode of the socket the fd at @path is, or 0. */
static uint32_t socket_inode(const char *path)
{
	char link[64];
	uint32_t ino;
	ssize_t n;

	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%u]", &ino) == 1 ? ino : 0;
}

/* Like ss -p: the process holding socket:[inode] among its fds. */
static void find_owners(void)
{
	char path[600];
	struct dirent *p, *fd;
	DIR *proc, *fds;
	uint32_t ino;
	int i, left = 0;
	FILE *f;

	for (i = 0; i < n_listeners; i++)
		left += !table[i].pub.pid;
	proc = left ? opendir("/proc") : NULL;
	while (proc && left && (p = readdir(proc))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && (fd = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 p->d_name, fd->d_name);
			ino = socket_inode(path);
			for (i = 0; i < n_listeners && ino; i++) {
				struct accept_listener *l = &table[i].pub;

				if (l->pid || l->inode != ino)
					continue;
				l->pid = atoi(p->d_name);
				table[i].owner_fd = atoi(fd->d_name);
				snprintf(path, sizeof(path), "/proc/%s/comm",
					 p->d_name);
				f = fopen(path, "r");
				if (f && fgets(l->comm, sizeof(l->comm), f))
					l->comm[strcspn(l->comm, "\n")] = '\0';
				if (f)
					fclose(f);
				left--;
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* Process @pid still holds socket:[@inode] as its fd @fd. */
bool accept_owner_holds(int pid, int fd, uint32_t inode)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return socket_inode(path) == inode;
}

/*
 * An owner that exited or closed the socket (nginx's old master after a
 * binary upgrade, a parent that forked its server) is no longer named: the
 * process that still holds it is looked up again.
 */
static void check_owners(void)
{
	int i;

	for (i = 0; i < n_listeners; i++) {
		struct listener *t = &table[i];

		if (!t->pub.pid || t->pub.gone ||
		    accept_owner_holds(t->pub.pid, t->owner_fd, t->pub.inode))
			continue;
		t->pub.pid = 0;
		t->pub.comm[0] = '\0';
		owners_stale = true;
	}
}

/* TCP_DEFER_ACCEPT, read on a copy of the owner's fd (pidfd_getfd). */
static void check_defer(struct listener *t)
{
	int pidfd, fd, val = 0;
	socklen_t len = sizeof(val);

	if (t->defer_checked || !t->pub.pid)
		return;
	t->defer_checked = true;
	pidfd = syscall(SYS_pidfd_open, t->pub.pid, 0);
	if (pidfd < 0)
		return;
	fd = syscall(SYS_pidfd_getfd, pidfd, t->owner_fd, 0);
	if (fd >= 0) {
		if (!getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &val,
				&len) &&
		    val > 0)
			t->pub.defer_accept = true;
		close(fd);
	}
	close(pidfd);
}

static int queue_tick(void *ctx)
{
	uint64_t exp;

	if (read(timer_fd, &exp, sizeof(exp)) < 0)
		return 0;
	return dump_listeners(ctx, true);
}

/*
 * skb:kfree_skb with the receiving socket (6.11+; its arg count) and the
 * TCP_LISTEN_OVERFLOW drop reason (6.15+): both, or no KFREE.
 */
static bool kfree_skb_names_overflows(void)
{
	return ws_tp_nargs("kfree_skb") >= 4 && /* skb, location, reason, rx_sk */
	       ws_kernel_has_enum_value("SKB_DROP_REASON_TCP_LISTEN_OVERFLOW");
}

static int accept_configure(struct ws_session *s)
{
	struct stat st;
	int err = hs_configure_bpf(s);

	if (err)
		return err;
	s->skel->rodata->accept_enabled = true;
	if (!stat("/proc/self/ns/net", &st))
		s->skel->rodata->accept_netns_ino = st.st_ino;
	if (kfree_skb_names_overflows())
		ws_session_use_prog(s, s->skel->progs.ws_kfree_skb,
				    "accept: no per-socket ACK-site drops "
				    "(KFREE)");
	else
		ws_warn("this kernel's skb:kfree_skb has no socket argument "
			"(6.11+) or no TCP_LISTEN_OVERFLOW reason (6.15+): "
			"no per-socket ACK-site drops (KFREE)");
	ws_session_use_prog(s, s->skel->progs.ws_accept_synack_retrans,
			    "accept: no SYN-ACK retransmits per listener");
	return 0;
}

/*
 * What a part weighs: its own drops; when no socket on the key dropped
 * (the drops came after the dump), the live sockets alike, or all of them
 * when none is live.
 */
static uint64_t part_weight(const struct accept_part *p, bool by_drops,
			    bool any_live)
{
	if (by_drops)
		return p->weight;
	return any_live ? p->live : 1;
}

/* Add @fresh to the parts' counts in proportion to their weights. */
static void share_out(uint64_t fresh, struct accept_part *p, int n,
		      bool by_drops, bool any_live)
{
	uint64_t w, sum = 0, cum = 0, before, after = 0;
	int i, weighed = 0;

	for (i = 0; i < n; i++) {
		w = part_weight(&p[i], by_drops, any_live);
		sum += w;
		weighed += w > 0;
	}
	for (i = 0; i < n; i++) {
		w = part_weight(&p[i], by_drops, any_live);
		before = after;
		cum += w;
		/* The shares add up to @fresh; 128 bits: no overflow. */
		after = (uint64_t)((unsigned __int128)fresh * cum / sum);
		p[i].kfree += after - before;
		p[i].apportioned = w && weighed > 1;
	}
}

/*
 * The parts keep what they hold; the key's drops since go to the sockets
 * whose sk_drops rose (an ACK-site drop adds 2 to its own socket's), in
 * proportion.  One socket, or one live socket with no drops to go by,
 * gets them all, exactly.
 */
void accept_share_key(uint64_t total, struct accept_part *p, int n)
{
	uint64_t held = 0, drops = 0;
	bool any_live = false;
	int i;

	for (i = 0; i < n; i++) {
		held += p[i].kfree;
		drops += p[i].weight;
		any_live |= p[i].live;
	}
	if (total > held)
		share_out(total - held, p, n, drops > 0, any_live);
}

/*
 * A slot for the port before its first SYN-ACK: a queue already full when
 * we start answers none.  With the table full it gets none, and health
 * counts the listener once.  Without a slot, or with no interface to
 * watch (no -i), the port's wire evidence is unknown, not 0.
 */
static void read_bpf_port(struct ws_session *s, struct listener *t)
{
	bool slot;

	ws_percpu_insert_zero(bpf_map__fd(s->skel->maps.hs_ports),
			      &(uint32_t){ t->pub.port }, s->ncpus,
			      sizeof(struct hs_port_stats));
	slot = !hs_read_port(s, t->pub.port, &t->pub.wire);
	if (!slot && !t->no_slot)
		ws_health_count(WS_H_ACCEPT_PORTS_FULL);
	t->no_slot = !slot;
	t->pub.wire_unknown = !slot || !s->o->n_ifaces;
}

/* The rows on table[first]'s key, from @first on, into @rows and @parts. */
static int key_parts(int first, bool *done, int *rows,
		     struct accept_part *parts)
{
	const struct accept_listener *k = &table[first].pub;
	int i, n = 0;

	for (i = first; i < n_listeners; i++) {
		struct listener *t = &table[i];

		if (!on_key(&t->pub, k->addr, k->port, k->family))
			continue;
		done[i] = true;
		rows[n] = i;
		parts[n++] = (struct accept_part){
			.weight = (uint32_t)(t->drops_now - t->drops_attr),
			.kfree = t->pub.kfree_overflows,
			.live = !t->pub.gone,
		};
	}
	return n;
}

/*
 * The counts of table[first]'s address, port and family, read once: the
 * sockets on it (an SO_REUSEPORT group, a closed listener and the one
 * back in its place) share its ACK-site drops.  SYN-ACK repeats have no
 * socket's counter to go by: each shows its key's.
 */
static void read_bpf_key(struct ws_session *s, int first, bool *done)
{
	static struct accept_part parts[MAX_LISTENERS];
	static int rows[MAX_LISTENERS];
	struct hs_listener_stats ls = {};
	struct hs_listener_key key = {
		.port = table[first].pub.port,
		.family = table[first].pub.family,
	};
	int i, n = key_parts(first, done, rows, parts);

	memcpy(key.addr, table[first].pub.addr, sizeof(key.addr));
	bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.hs_listeners), &key, &ls);
	accept_share_key(ls.kfree_overflows, parts, n);
	for (i = 0; i < n; i++) {
		struct listener *t = &table[rows[i]];

		t->pub.kfree_overflows = parts[i].kfree;
		t->apportioned |= parts[i].apportioned;
		t->pub.synack_retrans = ls.synack_retrans;
		t->pub.defer_accept |= ls.defer_accept;
	}
}

static void read_bpf(struct ws_session *s)
{
	static bool done[MAX_LISTENERS];
	int i;

	memset(done, 0, sizeof(done));
	for (i = 0; i < n_listeners; i++) {
		read_bpf_port(s, &table[i]);
		if (!done[i])
			read_bpf_key(s, i, done);
	}
}

/*
 * Per socket the kernel counts only sk_drops, and it mixes everything:
 *   accept queue full at the SYN (tcp_conn_request): ListenOverflows,
 *     then tcp_listendrop() (ListenDrops, sk_drops +1);
 *   accept queue full at the final ACK (tcp_v4/v6_syn_recv_sock):
 *     ListenOverflows, tcp_listendrop(), and the discarded ACK once more
 *     (sk_drops +2; skb:kfree_skb reason TCP_LISTEN_OVERFLOW);
 *   SYN queue full without syncookies (tcp_syn_flood_action):
 *     TCPReqQFullDrop and tcp_listendrop() only: not an overflow;
 *   a TCP_DEFER_ACCEPT listener's deferred bare ACKs: sk_drops only.
 * The namespace's ListenOverflows and TCPReqQFullDrop are exact but shared.
 * So at every sample the new ones go to the listeners whose listen drops
 * (sk_drops less the known double counts) rose: all of them to the only
 * one (exact), else split in proportion (apportioned; the ACK-site drops
 * kfree_skb saw, this socket's or its share of its SO_REUSEPORT group's,
 * are a floor).
 */
static void attribute(struct ws_session *s)
{
	uint64_t lo = host_cur[NS_OVERFLOWS] - host_attr[NS_OVERFLOWS];
	uint64_t rq = host_cur[NS_REQQ] - host_attr[NS_REQQ];
	uint64_t defer = host_cur[NS_DEFER] - host_attr[NS_DEFER];
	uint64_t w[MAX_LISTENERS], sum = 0, kf, d, share;
	int i, n = 0, only = -1;

	for (i = 0; i < n_listeners; i++) {
		struct listener *t = &table[i];

		d = (uint32_t)(t->drops_now - t->drops_attr);
		kf = t->pub.kfree_overflows - t->kfree_attr;
		kf += t->pub.defer_accept ? defer : 0;
		w[i] = d > kf ? d - kf : 0;
		t->pub.listen_drops += w[i];
		if (w[i]) {
			sum += w[i];
			only = i;
			n++;
		}
	}
	for (i = 0; i < n_listeners && sum; i++) {
		struct listener *t = &table[i];

		/* Exact only if every listener is in the table: no -p, and
		 * none left out of this dump. */
		if (n == 1 && !s->o->n_ports && !listeners_unwatched) {
			if (i == only) {
				t->ovf_total += lo;
				t->synq_total += rq;
			}
			continue;
		}
		if (!w[i])
			continue;
		kf = t->pub.kfree_overflows - t->kfree_attr;
		share = (lo * w[i] + sum / 2) / sum;
		share = share < w[i] ? share : w[i];
		t->ovf_total += share > kf ? share : kf;
		share = (rq * w[i] + sum / 2) / sum;
		t->synq_total += share < w[i] ? share : w[i];
		t->apportioned = true;
	}
	for (i = 0; i < n_listeners; i++) {
		table[i].drops_attr = table[i].drops_now;
		table[i].kfree_attr = table[i].pub.kfree_overflows;
	}
	/*
	 * A drop between dump_listeners() and the counters' read shows in
	 * the counters a sample before its listener's sk_drops: with no
	 * listener to give them to, keep them for the next sample, once.
	 * Drops no listener of ours showed then stay unattributed (the host
	 * line has them).
	 */
	attr_carried = !sum && (lo || rq) && !attr_carried;
	if (attr_carried) {
		/* The others were used this sample (defer) or only shown. */
		host_attr[NS_DROPS] = host_cur[NS_DROPS];
		host_attr[NS_DEFER] = host_cur[NS_DEFER];
		return;
	}
	memcpy(host_attr, host_cur, sizeof(host_cur));
}

static int accept_sample(struct ws_session *s)
{
	int i, err = dump_listeners(s, false);

	if (!err && keeps_flows)
		err = hs_keep_flows(s);
	if (err)
		return err;
	check_owners();
	if (owners_stale) {
		find_owners();
		owners_stale = false;
	}
	for (i = 0; i < n_listeners; i++)
		check_defer(&table[i]);
	read_bpf(s);
	err = read_netstat(host_cur);
	if (!err && started)
		attribute(s);
	return err;
}

/* -p PORT that nothing listens on: said once; a row comes if one starts. */
static void warn_unheard_ports(const struct ws_opts *o)
{
	int i, j;

	for (i = 0; i < o->n_ports; i++) {
		for (j = 0; j < n_listeners; j++)
			if (table[j].pub.port == o->ports[i])
				break;
		if (j == n_listeners)
			ws_warn("nothing listens on port %u (yet): its row "
				"appears when something does",
				(unsigned int)o->ports[i]);
	}
}

static int accept_start(struct ws_session *s)
{
	struct itimerspec its = {
		.it_value.tv_nsec = QUEUE_SAMPLE_MS * 1000000L,
		.it_interval.tv_nsec = QUEUE_SAMPLE_MS * 1000000L,
	};
	int i, err;

	kfree_counted = kfree_skb_names_overflows() &&
			ws_session_prog_active(s, s->skel->progs.ws_kfree_skb);
	synack_counted =
	    ws_session_prog_active(s, s->skel->progs.ws_accept_synack_retrans);
	somaxconn = sysctl_or_minus1("net.core.somaxconn");
	syn_backlog = sysctl_or_minus1("net.ipv4.tcp_max_syn_backlog");
	abort_on_overflow = sysctl_or_minus1("net.ipv4.tcp_abort_on_overflow");
	syncookies = sysctl_or_minus1("net.ipv4.tcp_syncookies");
	keeps_flows =
	    s->o->n_ifaces && !ws_session_runs(s, ws_handshakes_collector.name);
	err = accept_sample(s);
	if (err)
		return err;
	evicted_base = evicted_prev = hs_flows_evicted();
	warn_unheard_ports(s->o);
	started = true;
	for (i = 0; i < n_listeners; i++) {
		table[i].wire_base = table[i].wire_prev = table[i].pub.wire;
		table[i].kfree_prev = table[i].pub.kfree_overflows;
		table[i].retrans_prev = table[i].pub.synack_retrans;
		table[i].drops_attr = table[i].drops_now;
		table[i].kfree_attr = table[i].pub.kfree_overflows;
	}
	memcpy(host_base, host_cur, sizeof(host_cur));
	memcpy(host_prev, host_cur, sizeof(host_cur));
	memcpy(host_attr, host_cur, sizeof(host_cur));
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0 || timerfd_settime(timer_fd, 0, &its, NULL))
		return -errno;
	return ws_session_add_poller(s, timer_fd, queue_tick, s);
}

static void accept_stop(struct ws_session *s)
{
	if (timer_fd >= 0)
		close(timer_fd);
	timer_fd = -1;
	keeps_flows = false;
}

/* The socket's drop counter rose in the span, or in time for its resends. */
static bool span_dropped(const struct accept_span *sp)
{
	return sp->sk_drops || sp->dropped_before;
}

/*
 * Overflowing: the kernel dropped for this socket (overflows, kfree), or
 * the wire shows losses (SYN-site drops, RST or cookie loss after the
 * final ACK; ACK-site SYN-ACK repeats only without TCP_DEFER_ACCEPT) and
 * its own drop counter rose.  Every drop for a full accept or SYN queue
 * adds to the listener's sk_drops: losses with no listener on the port
 * dropping (the wire's numbers are per port) are not a queue's.  Resends
 * of SYNs the SYN queue dropped just before are that queue's.
 */
enum accept_verdict accept_judge(const struct accept_span *sp, bool defer)
{
	const struct hs_port_stats *w = &sp->wire;
	bool wire = w->syn_site_drops || w->rst_after_ack || w->cookie_drops ||
		    (!defer && w->ack_site_drops);

	if (!sp->overflows && !sp->kfree &&
	    (sp->syn_queue_drops || (wire && sp->synq_before)))
		return ACCEPT_SYNQ_FULL;
	if (sp->overflows || sp->kfree || (wire && span_dropped(sp)))
		return ACCEPT_OVERFLOWING;
	if (wire && !sp->port_dropped)
		return ACCEPT_NOT_QUEUE;
	return defer ? ACCEPT_DEFERRED : ACCEPT_OK;
}

static const char *limit_name(const struct accept_listener *l)
{
	if (somaxconn <= 0) /* net.core.somaxconn unread */
		return "unknown";
	if (l->backlog < (uint32_t)somaxconn)
		return "backlog";
	return "somaxconn";
}

static const char *fmt_addr(const struct accept_listener *l, char *buf,
			    size_t len)
{
	return ws_fmt_endpoint(l->family, l->addr, l->port, buf, len);
}

/* A count, or "-" where it was not counted (never a 0 nobody saw). */
static const char *fmt_count(bool counted, uint64_t v, char *buf, size_t len)
{
	if (counted)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void json_listener(struct ws_session *s, const char *type,
			  const struct listener *t,
			  const struct accept_span *sp, enum accept_verdict v,
			  double secs)
{
	const struct accept_listener *l = &t->pub;
	bool wire = !l->wire_unknown;
	char a[INET6_ADDRSTRLEN];
	struct ws_json j;

	ws_fmt_addr(l->family, l->addr, a, sizeof(a));
	json_begin(&j, s->out, type);
	json_double(&j, type[0] == 'i' ? "interval_s" : "duration_s", secs);
	json_str(&j, "addr", a);
	json_u64(&j, "port", l->port);
	/* No process holds it: null. */
	json_u64_or_null(&j, "pid", l->pid, l->pid);
	if (l->pid)
		json_str(&j, "comm", l->comm);
	else
		json_null(&j, "comm");
	json_u64(&j, "queue", l->queue);
	json_u64(&j, "queue_max", sp->queue_max);
	json_u64(&j, "backlog", l->backlog);
	json_str(&j, "limit", limit_name(l));
	json_u64(&j, "overflows", sp->overflows);
	json_u64(&j, "syn_queue_drops", sp->syn_queue_drops);
	json_str(&j, "attribution", t->apportioned ? "apportioned" : "exact");
	json_u64_or_null(&j, "kfree_overflows", kfree_counted, sp->kfree);
	json_u64(&j, "sk_drops", sp->sk_drops);
	json_u64_or_null(&j, "synack_retransmits", synack_counted, sp->retrans);
	json_u64_or_null(&j, "syn_site_drops", wire, sp->wire.syn_site_drops);
	json_u64_or_null(&j, "ack_site_drops", wire, sp->wire.ack_site_drops);
	json_u64_or_null(&j, "rst_after_ack", wire, sp->wire.rst_after_ack);
	json_u64_or_null(&j, "cookie_synacks", wire, sp->wire.cookie_synacks);
	json_u64_or_null(&j, "cookie_drops", wire, sp->wire.cookie_drops);
	json_bool(&j, "defer_accept", l->defer_accept);
	json_bool(&j, "gone", l->gone);
	json_str(&j, "verdict", accept_verdict_names[v]);
	json_end(&j);
}

static void print_header(struct ws_session *s)
{
	fprintf(s->out,
		"%s%-22s %-16s %5s %5s %7s %6s %5s %5s %5s %5s %6s %s\n",
		s->o->timestamp ? "TIME     " : "", "LISTENER", "PROCESS",
		"QUEUE", "MAX", "BACKLOG", "OVERFL", "SYNQ", "KFREE", "SYN-S",
		"ACK-S", "COOKIE", "VERDICT");
}

static void text_listener(struct ws_session *s, const struct listener *t,
			  const struct accept_span *sp, enum accept_verdict v)
{
	const struct accept_listener *l = &t->pub;
	const struct hs_port_stats *w = &sp->wire;
	char t8[16], a[64], proc[32], n[4][24];

	if (s->o->timestamp) {
		ws_fmt_time(t8, sizeof(t8), false);
		fprintf(s->out, "%-8s ", t8);
	}
	if (l->pid)
		snprintf(proc, sizeof(proc), "%.10s/%d", l->comm, l->pid);
	else
		snprintf(proc, sizeof(proc), "-");
	fprintf(
	    s->out,
	    "%-22s %-16s %5u %5u %7u %6llu %5llu %5s %5s %5s %6s "
	    "%s%s%s\n",
	    fmt_addr(l, a, sizeof(a)), proc, l->queue, sp->queue_max,
	    l->backlog, (unsigned long long)sp->overflows,
	    (unsigned long long)sp->syn_queue_drops,
	    fmt_count(kfree_counted, sp->kfree, n[0], sizeof(n[0])),
	    fmt_count(!l->wire_unknown, w->syn_site_drops, n[1], sizeof(n[1])),
	    fmt_count(!l->wire_unknown, w->ack_site_drops + w->rst_after_ack,
		      n[2], sizeof(n[2])),
	    fmt_count(!l->wire_unknown, w->cookie_drops, n[3], sizeof(n[3])),
	    accept_verdict_names[v], t->apportioned ? " (apportioned)" : "",
	    l->gone		    ? " (closed)"
	    : l->queue > l->backlog ? " (queue full)"
				    : "");
	if (v == ACCEPT_OVERFLOWING && !strcmp(limit_name(l), "backlog"))
		fprintf(s->out,
			"  the limit is the application's listen() backlog "
			"%u, not somaxconn %ld%s\n",
			l->backlog, somaxconn,
			l->backlog == NGINX_BACKLOG
			    ? " (nginx's default: listen ... backlog=N)"
			    : "");
	if (v == ACCEPT_SYNQ_FULL)
		fprintf(s->out,
			"  the SYN queue is full, not the accept queue: "
			"tcp_max_syn_backlog %s, tcp_syncookies %s\n",
			ws_fmt_sysctl(syn_backlog, n[0], sizeof(n[0])),
			ws_fmt_sysctl(syncookies, n[1], sizeof(n[1])));
	if (v == ACCEPT_NOT_QUEUE)
		fprintf(s->out,
			"  handshakes lost on the wire, but no listener on "
			"port %u dropped (sk_drops): not a queue; a firewall, "
			"a rate limit or the path\n",
			l->port);
}

/* Counts since the last interval or since start; see attribute(). */
static void span_since(const struct listener *t, bool interval,
		       struct accept_span *sp)
{
	const struct accept_listener *l = &t->pub;

	sp->sk_drops =
	    t->drops_now - (interval ? t->drops_prev : t->drops_base);
	sp->kfree = l->kfree_overflows - (interval ? t->kfree_prev : 0);
	sp->retrans = l->synack_retrans - (interval ? t->retrans_prev : 0);
	sp->overflows = t->ovf_total - (interval ? t->ovf_prev : 0);
	sp->syn_queue_drops = t->synq_total - (interval ? t->synq_prev : 0);
	ws_sub_u64(&l->wire, interval ? &t->wire_prev : &t->wire_base,
		   &sp->wire, sizeof(sp->wire) / sizeof(uint64_t));
	sp->queue_max = interval ? t->queue_max_iv : l->queue_max;
}

static void print_host(struct ws_session *s, bool final, const uint64_t *from,
		       double secs)
{
	uint64_t evicted =
	    hs_flows_evicted() - (final ? evicted_base : evicted_prev);
	struct ws_json j;

	if (!s->o->json) {
		fprintf(s->out,
			"host: ListenOverflows +%" PRIu64
			" ListenDrops +%" PRIu64 "\n",
			host_cur[NS_OVERFLOWS] - from[NS_OVERFLOWS],
			host_cur[NS_DROPS] - from[NS_DROPS]);
		if (evicted)
			fprintf(
			    s->out,
			    "warning: flow table full: %" PRIu64
			    " handshakes evicted untracked: the wire "
			    "columns are lower bounds (raise --max-flows)\n",
			    evicted);
		return;
	}
	json_begin(&j, s->out, final ? "host_summary" : "host_interval");
	if (final)
		json_ifaces(&j, s);
	json_double(&j, final ? "duration_s" : "interval_s", secs);
	json_u64(&j, "listen_overflows",
		 host_cur[NS_OVERFLOWS] - from[NS_OVERFLOWS]);
	json_u64(&j, "listen_drops", host_cur[NS_DROPS] - from[NS_DROPS]);
	if (s->o->n_ifaces)
		json_u64(&j, "flows_evicted", evicted);
	json_sysctl(&j, "somaxconn", somaxconn);
	json_sysctl(&j, "tcp_max_syn_backlog", syn_backlog);
	json_sysctl(&j, "tcp_abort_on_overflow", abort_on_overflow);
	json_sysctl(&j, "tcp_syncookies", syncookies);
	json_end(&j);
}

/* Its sk_drops rose so shortly before this interval that resends in it
 * can be of those drops. */
static bool dropped_before_interval(const struct listener *t)
{
	return t->dropped_at > 0 && interval_from - t->dropped_at < WIRE_LAG_S;
}

/* Another listener on table[i]'s port dropped, or one may have, unwatched. */
static bool port_dropped(int i)
{
	int j;

	for (j = 0; j < n_listeners; j++)
		if (j != i && table[j].pub.port == table[i].pub.port &&
		    span_dropped(&spans[j]))
			return true;
	return listeners_unwatched;
}

/*
 * Every listener's span and verdict: the wire's numbers are per port, so
 * whether a queue explains them depends on every listener on the port.
 */
static void judge(bool interval)
{
	int i;

	/* Before the start nothing counts: the wire's losses are of
	 * handshakes the programs saw begin. */
	for (i = 0; i < n_listeners; i++) {
		span_since(&table[i], interval, &spans[i]);
		spans[i].dropped_before =
		    interval && dropped_before_interval(&table[i]);
		spans[i].synq_before =
		    spans[i].dropped_before && table[i].synq_last;
	}
	for (i = 0; i < n_listeners; i++) {
		spans[i].port_dropped = port_dropped(i);
		table[i].pub.verdict =
		    accept_judge(&spans[i], table[i].pub.defer_accept);
	}
}

/* The next interval starts @now (seconds since start). */
/* Listener @i's record of @type ("interval", "summary"): JSON or text. */
static void print_listener(struct ws_session *s, const char *type, int i,
			   double secs)
{
	const struct listener *t = &table[i];

	if (s->o->json)
		json_listener(s, type, t, &spans[i], t->pub.verdict, secs);
	else
		text_listener(s, t, &spans[i], t->pub.verdict);
}

static void next_interval(struct listener *t, const struct accept_span *sp,
			  double now)
{
	if (sp->sk_drops)
		t->dropped_at = now;
	if (sp->overflows || sp->kfree || sp->syn_queue_drops)
		t->synq_last = !sp->overflows && !sp->kfree;
	t->drops_prev = t->drops_now;
	t->ovf_prev = t->ovf_total;
	t->synq_prev = t->synq_total;
	t->kfree_prev = t->pub.kfree_overflows;
	t->retrans_prev = t->pub.synack_retrans;
	t->wire_prev = t->pub.wire;
	t->queue_max_iv = t->pub.queue;
}

static void accept_interval(struct ws_session *s, double secs)
{
	int i;

	if (!s->o->json && (lines++ % 25 == 0))
		print_header(s);
	judge(true);
	for (i = 0; i < n_listeners; i++) {
		print_listener(s, "interval", i, secs);
		next_interval(&table[i], &spans[i], s->elapsed);
	}
	interval_from = s->elapsed;
	print_host(s, false, host_prev, secs);
	memcpy(host_prev, host_cur, sizeof(host_cur));
	evicted_prev = hs_flows_evicted();
}

static void accept_summary(struct ws_session *s)
{
	char v[4][24];
	int i;

	if (!s->o->json) {
		fprintf(s->out,
			"\nSummary over %.1f s (somaxconn %s, "
			"tcp_max_syn_backlog %s, tcp_abort_on_overflow %s, "
			"tcp_syncookies %s):\n",
			s->elapsed,
			ws_fmt_sysctl(somaxconn, v[0], sizeof(v[0])),
			ws_fmt_sysctl(syn_backlog, v[1], sizeof(v[1])),
			ws_fmt_sysctl(abort_on_overflow, v[2], sizeof(v[2])),
			ws_fmt_sysctl(syncookies, v[3], sizeof(v[3])));
		print_header(s);
	}
	judge(false);
	for (i = 0; i < n_listeners; i++)
		print_listener(s, "summary", i, s->elapsed);
	print_host(s, true, host_base, s->elapsed);
}

const struct accept_listener *accept_listeners(int *n)
{
	int i;

	judge(false);
	for (i = 0; i < n_listeners; i++) {
		const struct accept_span *sp = &spans[i];

		pubs[i] = table[i].pub;
		pubs[i].overflows = sp->overflows;
		pubs[i].syn_queue_drops = sp->syn_queue_drops;
		pubs[i].apportioned = table[i].apportioned;
		pubs[i].kfree_overflows = sp->kfree;
		pubs[i].synack_retrans = sp->retrans;
		pubs[i].wire = sp->wire;
	}
	*n = n_listeners;
	return pubs;
}

void accept_host_totals(uint64_t *listen_overflows, uint64_t *listen_drops)
{
	*listen_overflows = host_cur[NS_OVERFLOWS] - host_base[NS_OVERFLOWS];
	*listen_drops = host_cur[NS_DROPS] - host_base[NS_DROPS];
}

/* Listeners sharing a port and family are summed: no addresses as labels. */
static void accept_prom(struct ws_session *s, struct ws_buf *b)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "wirescope_listen_queue_length", "gauge",
		  "Accept queue length of the port's listening sockets now." },
		{ "wirescope_listen_queue_max_length", "gauge",
		  "Longest accept queue seen since start (sampled every 100 "
		  "ms)." },
		{ "wirescope_listen_backlog", "gauge",
		  "Accept queue limit: min(listen() backlog, somaxconn)." },
		{ "wirescope_listen_overflows_total", "counter",
		  "Accept-queue overflows: the namespace's ListenOverflows, "
		  "the listener's own or apportioned by listen drops." },
		{ "wirescope_listen_overflow_drops_total", "counter",
		  "Final ACKs dropped for a full accept queue "
		  "(skb:kfree_skb)." },
		{ "wirescope_listen_syn_queue_drops_total", "counter",
		  "SYNs dropped for a full SYN queue (TCPReqQFullDrop), "
		  "attributed like the overflows." },
	};
	static uint64_t sum[WS_PROM_PORT_SLOTS][2][6];
	/* [0]: an open listener (the gauges), [1]: any (the counters) */
	static bool used[WS_PROM_PORT_SLOTS][2][2];
	const struct accept_listener *l;
	char labels[64], name[8];
	unsigned int slot;
	int n, i, v6, f;
	bool counter;

	memset(sum, 0, sizeof(sum));
	memset(used, 0, sizeof(used));
	l = accept_listeners(&n);
	for (i = 0; i < n; i++) {
		slot = prom_port_slot(&s->prom_ports, s->o->prom_max_ports,
				      l[i].port);
		v6 = l[i].family == AF_INET6;
		/* A closed listener's counts stay in its port's counters:
		 * a counter that went back would read as a reset. */
		used[slot][v6][1] = true;
		sum[slot][v6][3] += l[i].overflows;
		sum[slot][v6][4] += l[i].kfree_overflows;
		sum[slot][v6][5] += l[i].syn_queue_drops;
		if (l[i].gone)
			continue;
		used[slot][v6][0] = true;
		sum[slot][v6][0] += l[i].queue;
		sum[slot][v6][1] += l[i].queue_max;
		sum[slot][v6][2] += l[i].backlog;
	}
	for (f = 0; f < 6; f++) {
		if (f == 4 && !kfree_counted)
			continue; /* KFREE, not counted here: absent, not 0 */
		counter = !strcmp(fam[f].type, "counter");
		prom_family(b, fam[f].name, fam[f].type, fam[f].help);
		for (slot = 0; slot < WS_PROM_PORT_SLOTS; slot++) {
			for (v6 = 0; v6 <= 1; v6++) {
				if (!used[slot][v6][counter])
					continue;
				snprintf(labels, sizeof(labels),
					 "port=\"%s\",family=\"%s\"",
					 prom_port_name(&s->prom_ports, slot,
							name, sizeof(name)),
					 v6 ? "ipv6" : "ipv4");
				prom_u64(b, fam[f].name, labels,
					 sum[slot][v6][f]);
			}
		}
	}
}

/* diag: accept-queue overflows in the interval, every listener. */
static void accept_diag_cols(struct ws_session *s, double secs,
			     struct ws_diag_cols *c)
{
	static uint64_t prev;
	const struct accept_listener *l;
	uint64_t now = 0;
	int n, i;

	l = accept_listeners(&n);
	for (i = 0; i < n; i++)
		now += l[i].overflows;
	c->accept_overflows = now - prev;
	prev = now;
}

/*
 * The longest queue the 100 ms samples saw: not the truth.  An overflow
 * means the queue held backlog + 1; samples that never saw it full missed
 * it, and say so.
 */
const char *accept_queue_seen(const struct accept_listener *l, char *buf,
			      size_t len)
{
	int n = snprintf(buf, len, "longest sampled %u of %u", l->queue_max,
			 l->backlog);

	if (l->queue_max <= l->backlog && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 " (%d ms samples; it overflows at %u)",
			 QUEUE_SAMPLE_MS, l->backlog + 1);
	return buf;
}

/* A limit to suggest: 4096, or twice one already that high. */
static uint32_t backlog_to_ask(uint32_t now)
{
	return now < 2048 ? 4096 : now * 2;
}

void accept_overflow_advice(char *buf, size_t len, uint32_t backlog,
			    long somaxconn, uint16_t port, const char *comm)
{
	uint32_t want = backlog_to_ask(backlog);
	char cap[96] = "";

	if (somaxconn > 0 && backlog < (uint32_t)somaxconn) {
		if ((uint32_t)somaxconn < want)
			snprintf(cap, sizeof(cap),
				 " and `sysctl -w net.core.somaxconn=%u` (it "
				 "caps the backlog at %ld)",
				 want, somaxconn);
		snprintf(buf, len,
			 "the application's listen() backlog (%u) is the "
			 "limit, below net.core.somaxconn (%ld): raise it "
			 "(nginx: `listen %u backlog=%u;` — nginx defaults "
			 "to 511)%s, and add workers if %s accepts too slowly; "
			 "clients see 1 s, 3 s connect stalls meanwhile",
			 backlog, somaxconn, port, want, cap,
			 comm[0] ? comm : "it");
		return;
	}
	if (somaxconn <= 0) { /* unread: either may be the limit */
		snprintf(buf, len,
			 "the limit (%u) is the listen() backlog or "
			 "net.core.somaxconn, which could not be read: raise "
			 "both, `sysctl -w net.core.somaxconn=%u` and the "
			 "application's (nginx: `listen %u backlog=%u;`), then "
			 "restart %s; add workers if it accepts too slowly",
			 backlog, want, port, want,
			 comm[0] ? comm : "the listener");
		return;
	}
	snprintf(buf, len,
		 "net.core.somaxconn (%ld) caps the backlog (%u): `sysctl -w "
		 "net.core.somaxconn=%u`, and the application must ask for as "
		 "much (nginx: `listen %u backlog=%u;`), then restart %s so "
		 "listen() takes the new limit; add workers if it accepts "
		 "too slowly",
		 somaxconn, backlog, want, port, want,
		 comm[0] ? comm : "the listener");
}

static void find_overflow(const struct accept_listener *l,
			  struct ws_findings *f)
{
	struct ws_finding *x;
	char addr[64], seen[80], adv[sizeof(x->advice)];

	fmt_addr(l, addr, sizeof(addr));
	x = ws_finding_add(
	    f, "accept_overflow", WS_SEV_CRITICAL, l->apportioned ? 0.7 : 0.9,
	    "accept queue of %s (%s) overflowed %llu times; %s", addr,
	    l->comm[0] ? l->comm : "?", (unsigned long long)l->overflows,
	    accept_queue_seen(l, seen, sizeof(seen)));
	x->size = l->overflows;
	ws_evidence_str(x, "listener", addr);
	ws_evidence_num(x, "port", l->port);
	if (l->pid) { /* none where no process holds it (nfsd's) */
		ws_evidence_str(x, "process", l->comm);
		ws_evidence_num(x, "pid", l->pid);
	}
	ws_evidence_num(x, "overflows", l->overflows);
	ws_evidence_str(x, "attribution",
			l->apportioned ? "apportioned" : "exact");
	ws_evidence_num(x, "syn_queue_drops", l->syn_queue_drops);
	if (kfree_counted)
		ws_evidence_num(x, "kfree_overflows", l->kfree_overflows);
	ws_evidence_num(x, "queue_max", l->queue_max);
	ws_evidence_num(x, "queue_sample_ms", QUEUE_SAMPLE_MS);
	ws_evidence_num(x, "backlog", l->backlog);
	ws_evidence_sysctl(x, "somaxconn", somaxconn);
	ws_evidence_sysctl(x, "tcp_max_syn_backlog", syn_backlog);
	ws_evidence_str(x, "limit", limit_name(l));
	accept_overflow_advice(adv, sizeof(adv), l->backlog, somaxconn, l->port,
			       l->comm);
	ws_advice(x, "%s", adv);
}

static void accept_findings(struct ws_session *s, struct ws_findings *f)
{
	const struct accept_listener *l;
	int n, i;

	l = accept_listeners(&n);
	for (i = 0; i < n; i++)
		if (l[i].verdict == ACCEPT_OVERFLOWING && l[i].overflows)
			find_overflow(&l[i], f);
}

const struct ws_collector ws_accept_collector = {
	.name = "accept",
	.map_prefix = "hs_",
	.needs_hooks = true,
	.configure = accept_configure,
	.start = accept_start,
	.sample = accept_sample,
	.interval = accept_interval,
	.summary = accept_summary,
	.prom = accept_prom,
	.stop = accept_stop,
	.findings = accept_findings,
	.diag_cols = accept_diag_cols,
};
