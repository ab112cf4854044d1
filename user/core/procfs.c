// SPDX-License-Identifier: GPL-2.0
/* Small robust parsers for /proc and /sys text, and the reads behind them. */
#define _GNU_SOURCE /* setns */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <net/if.h>
#include "core/findings.h"
#include "core/procfs.h"

#define RTF_UP 0x0001
#define RTF_REJECT 0x0200

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

/* A hex field of at most 8 digits; advances *p past it. */
static bool hex_u32(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;
	int n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; n < 9; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == 8)
			return false;
		v = v << 4 | d;
	}
	if (!n)
		return false;
	*p = s;
	*out = v;
	return true;
}

#define SOFTNET_CPU_COL 12

int parse_softnet(const char *buf, struct ws_softnet *rows, int max)
{
	const char *p = buf;
	uint32_t f[SOFTNET_CPU_COL + 1];
	int n = 0, i;

	while (*p && n < max) {
		const char *q = p;

		for (i = 0; i <= SOFTNET_CPU_COL && hex_u32(&q, &f[i]); i++)
			;
		if (i < 3)
			return -EINVAL;
		rows[n] = (struct ws_softnet){ f[0], f[1], f[2], n };
		if (i > SOFTNET_CPU_COL)
			rows[n].cpu = f[SOFTNET_CPU_COL];
		n++;
		p = next_line(p);
	}
	return n;
}

/* Index of @word among the space-separated words of [s, end), or -1. */
static int word_index(const char *s, const char *end, const char *word)
{
	size_t wl = strlen(word);
	int idx = 0;

	while (s < end) {
		const char *w;

		while (s < end && *s == ' ')
			s++;
		w = s;
		while (s < end && *s != ' ' && *s != '\n')
			s++;
		if (s == w)
			break;
		if ((size_t)(s - w) == wl && !memcmp(w, word, wl))
			return idx;
		idx++;
	}
	return -1;
}

/* The @idx-th unsigned number after the "Proto:" prefix of a line. */
static int nth_u64(const char *s, const char *end, int idx, uint64_t *out)
{
	char *e;

	for (;;) {
		while (s < end && *s == ' ')
			s++;
		if (s >= end || *s == '\n')
			return -EINVAL;
		if (!idx--)
			break;
		while (s < end && *s != ' ' && *s != '\n')
			s++;
	}
	if (*s == '-') /* Tcp MaxConn is -1: not a counter */
		return -EINVAL;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno || e > end || (*e != ' ' && *e != '\n' && *e))
		return -EINVAL;
	return 0;
}

int parse_snmp(const char *buf, const char *proto, const char *field,
	       uint64_t *out)
{
	size_t pl = strlen(proto);
	const char *p = buf, *names, *vals, *vend;
	int idx;

	while (*p) {
		names = p;
		vals = next_line(p);
		p = vals;
		if (strncmp(names, proto, pl) || names[pl] != ':')
			continue;
		if (strncmp(vals, proto, pl) || vals[pl] != ':')
			return -EINVAL;
		vend = next_line(vals);
		idx = word_index(names + pl + 1, vals, field);
		if (idx < 0)
			return -ENOENT;
		return nth_u64(vals + pl + 1, vend, idx, out);
	}
	return -ENOENT;
}

int parse_i64(const char *buf, int64_t *out)
{
	char *end;
	long long v;

	while (*buf == ' ')
		buf++;
	if (!(*buf == '-' || (*buf >= '0' && *buf <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf ||
	    (*end && *end != '\n' && *end != '\t' && *end != ' '))
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_i64_field(const char *buf, int idx, int64_t *out)
{
	const char *p = buf;

	for (; idx > 0; idx--) {
		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p != ' ' && *p != '\t')
			return -EINVAL;
	}
	while (*p == '\t')
		p++;
	return parse_i64(p, out);
}

/* Copies the next whitespace-separated word into @dst; false if none. */
static bool take_word(const char **p, char *dst, size_t len)
{
	const char *s = *p, *w;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	n = s - w;
	if (!n || n >= len)
		return false;
	memcpy(dst, w, n);
	dst[n] = 0;
	*p = s;
	return true;
}

/*
 * Keeps @dev in @ifname if its route has the lowest metric so far.  An
 * unreachable, prohibit or blackhole default names no interface ("*",
 * or lo for IPv6) and sends nothing anywhere: not one.
 */
static bool keep_best(const char *dev, uint32_t flags, uint32_t metric,
		      uint32_t *best, char *ifname, size_t len)
{
	if (!(flags & RTF_UP) || (flags & RTF_REJECT) || !strcmp(dev, "*") ||
	    !strcmp(dev, "lo") || metric >= *best || strlen(dev) >= len)
		return false;
	strcpy(ifname, dev);
	*best = metric;
	return true;
}

/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex) */
int parse_route_default(const char *buf, char *ifname, size_t len)
{
	const char *p = next_line(buf); /* header */
	uint32_t best = UINT32_MAX;
	bool found = false;

	for (; *p; p = next_line(p)) {
		const char *q = p;
		char dev[IF_NAMESIZE], w[16];
		uint32_t dst, gw, flags, mask;
		uint32_t metric;
		int i;

		if (!take_word(&q, dev, sizeof(dev)) || !hex_u32(&q, &dst) ||
		    !hex_u32(&q, &gw) || !hex_u32(&q, &flags))
			continue;
		for (i = 0; i < 2; i++) /* RefCnt Use */
			if (!take_word(&q, w, sizeof(w)))
				break;
		if (i < 2 || !take_word(&q, w, sizeof(w)) ||
		    !hex_u32(&q, &mask))
			continue;
		metric = (uint32_t)strtoul(w, NULL, 10);
		if (!dst && !mask)
			found |=
			    keep_best(dev, flags, metric, &best, ifname, len);
	}
	return found ? 0 : -ENOENT;
}

/* dst plen src plen nexthop metric refcnt use flags dev (hex fields) */
int parse_ipv6_route_default(const char *buf, char *ifname, size_t len)
{
	const char *p;
	uint32_t best = UINT32_MAX;
	bool found = false;

	for (p = buf; *p; p = next_line(p)) {
		const char *q = p;
		char dst[40], plen[8], w[40], dev[IF_NAMESIZE];
		uint32_t metric, refcnt, use, flags;

		if (!take_word(&q, dst, sizeof(dst)) ||
		    !take_word(&q, plen, sizeof(plen)) ||
		    !take_word(&q, w, sizeof(w)) ||
		    !take_word(&q, w, sizeof(w)) ||
		    !take_word(&q, w, sizeof(w)) || !hex_u32(&q, &metric) ||
		    !hex_u32(&q, &refcnt) || !hex_u32(&q, &use) ||
		    !hex_u32(&q, &flags) || !take_word(&q, dev, sizeof(dev)))
			continue;
		if (strspn(dst, "0") != 32 || dst[32] || strcmp(plen, "00"))
			continue;
		found |= keep_best(dev, flags, metric, &best, ifname, len);
	}
	return found ? 0 : -ENOENT;
}

/* Read @fd to its end into @buf, NUL-terminated; bytes read or -errno. */
static int read_fd_text(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int err = 0;

	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = 0;
	return err ? err : (int)got;
}

int ws_read_text(const char *path, char *buf, size_t len)
{
	int n, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read_fd_text(fd, buf, len);
	close(fd);
	return n;
}

static int read_i64(const char *path, int64_t *out)
{
	char buf[64];
	int n = ws_read_text(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_i64(buf, out);
}

/* The parent of @pid from /proc/PID/stat, or 0. */
static int parent_pid(int pid)
{
	char path[64], buf[512];
	const char *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ws_read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p || sscanf(p, ") %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/*
 * Read @path in the network namespace of @pid, from a child process so that
 * ours never moves (a failed return would leave us, and any netlink socket
 * opened later, in the wrong one).  Bytes read, or -errno.
 */
static int read_in_netns_of(int pid, const char *path, char *buf, size_t len)
{
	int fd, pipefd[2], status, n = -ENOENT, got;
	char ns[64];
	pid_t child;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", pid);
	fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC)) {
		n = -errno;
		close(fd);
		return n;
	}
	child = fork();
	if (!child) {
		n = setns(fd, CLONE_NEWNET) ? -1 : ws_read_text(path, buf, len);
		_exit(n > 0 && write(pipefd[1], buf, n) == n ? 0 : 1);
	}
	if (child < 0)
		n = -errno;
	close(fd);
	close(pipefd[1]);
	got = child > 0 ? read_fd_text(pipefd[0], buf, len) : n;
	close(pipefd[0]);
	if (child < 0)
		return n;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -ENOENT;
	return got;
}

/*
 * net.core.netdev_max_backlog and the netdev_budget pair are global: only
 * the initial network namespace shows them, and `ip netns exec` hides them.
 * Our ancestors (the shell that ran `ip netns exec`) are likely still there,
 * and pid 1 may not let us in: try each, from the parent up.  A parent in
 * our own namespace reads ENOENT again, so the first that reads is right.
 */
static int read_in_init_netns(const char *path, char *buf, size_t len)
{
	int pid = getppid(), hops, n = -ENOENT;

	for (hops = 0; pid > 0 && hops < 64; hops++, pid = parent_pid(pid)) {
		n = read_in_netns_of(pid, path, buf, len);
		if (n >= 0)
			break;
	}
	return n;
}

int ws_sysctl_field(const char *name, int idx, int64_t *out)
{
	char path[256], buf[128], *c;
	int n;

	if (snprintf(path, sizeof(path), "/proc/sys/%s", name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	for (c = path + 10; *c; c++)
		if (*c == '.')
			*c = '/';
	n = ws_read_text(path, buf, sizeof(buf));
	if (n == -ENOENT && !strncmp(name, "net.core.", 9))
		n = read_in_init_netns(path, buf, sizeof(buf));
	return n < 0 ? n : parse_i64_field(buf, idx, out);
}

int ws_sysctl(const char *name, int64_t *out)
{
	return ws_sysctl_field(name, 0, out);
}

int ws_sysfs_net(const char *iface, const char *file, int64_t *out)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", iface, file);
	return read_i64(path, out);
}

static const struct {
	const char *file, *proto, *field;
} tcp_src[WS_TCP_NSTATS] = {
	[WS_TCP_OUT_SEGS] = { "snmp", "Tcp", "OutSegs" },
	[WS_TCP_RETRANS_SEGS] = { "snmp", "Tcp", "RetransSegs" },
	[WS_TCP_LISTEN_OVERFLOWS] = { "netstat", "TcpExt", "ListenOverflows" },
	[WS_TCP_LISTEN_DROPS] = { "netstat", "TcpExt", "ListenDrops" },
	[WS_TCP_REQQ_FULL_DROP] = { "netstat", "TcpExt", "TCPReqQFullDrop" },
	[WS_TCP_PRUNE_CALLED] = { "netstat", "TcpExt", "PruneCalled" },
	[WS_TCP_RCV_PRUNED] = { "netstat", "TcpExt", "RcvPruned" },
	[WS_TCP_RCVQ_DROP] = { "netstat", "TcpExt", "TCPRcvQDrop" },
	[WS_TCP_DSACK_SEGS] = { "netstat", "TcpExt", "TCPDSACKRecvSegs" },
};

void parse_tcp_counters(struct ws_tcp_counters *c, const char *snmp,
			const char *netstat)
{
	uint64_t v;
	int i;

	for (i = 0; i < WS_TCP_NSTATS; i++) {
		if (parse_snmp(tcp_src[i].file[0] == 's' ? snmp : netstat,
			       tcp_src[i].proto, tcp_src[i].field, &v)) {
			c->unread |= 1U << i; /* the last good value stands */
			continue;
		}
		if (!(c->known & 1U << i))
			c->base[i] = v;
		c->last[i] = v;
		c->known |= 1U << i;
	}
}

void ws_tcp_counters_read(struct ws_tcp_counters *c)
{
	static char snmp[8192], netstat[16384];

	if (ws_read_text("/proc/net/snmp", snmp, sizeof(snmp)) < 0)
		snmp[0] = 0;
	if (ws_read_text("/proc/net/netstat", netstat, sizeof(netstat)) < 0)
		netstat[0] = 0;
	parse_tcp_counters(c, snmp, netstat);
}

uint64_t ws_tcp_delta(const struct ws_tcp_counters *c, int i)
{
	return c->last[i] > c->base[i] ? c->last[i] - c->base[i] : 0;
}

void ws_tcp_counters_unread(const struct ws_tcp_counters *c, uint32_t mask,
			    struct ws_findings *f)
{
	char key[32];
	int i;

	for (i = 0; i < WS_TCP_NSTATS; i++) {
		if (!(c->unread & mask & 1U << i))
			continue;
		snprintf(key, sizeof(key), "%s.%s", tcp_src[i].proto,
			 tcp_src[i].field);
		ws_evidence_unread(f, key);
	}
}

uint64_t ws_kernel_tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec ||
	    res.tv_nsec <= 0 || res.tv_nsec > 100000000)
		return 0;
	return (uint64_t)res.tv_nsec;
}
