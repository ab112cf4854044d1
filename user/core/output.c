// SPDX-License-Identifier: GPL-2.0
/* Output helpers: timestamps, human units, histograms, JSON Lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio_ext.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/core.h"

int64_t ws_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ws_fmt_time(char *buf, size_t len, bool iso)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (iso) {
		gmtime_r(&ts.tv_sec, &tm);
		size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
	} else {
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, len, "%H:%M:%S", &tm);
	}
}

/*
 * A session's stdout (ws_output_stdout()).  A reader that stopped reading
 * (a stalled ssh, a paused consumer on a FIFO) would block a plain write()
 * with SIGTERM unseen: the stop signals stay blocked for the session's
 * signalfd, which only the loop reads.  So a write waits in poll() for room
 * and for that signalfd: with room it writes, whatever is pending; without
 * room, a pending stop signal cuts the output.  Once stopping, a write
 * waits at most stop_wait_ms without room.  FIFOs and terminals are written
 * through their own non-blocking open file description (a terminal that
 * polls writable may still block a write), sockets with MSG_DONTWAIT.
 */
static struct {
	FILE *f;
	int fd; /* STDOUT_FILENO, or our own non-blocking description */
	pthread_t owner; /* the session's thread */
	int sig_fd;
	bool sock;
	bool stderr_too;       /* stderr is the same file */
	bool cut;	       /* a write gave up: stop signal or stop's wait */
	int stop_wait_ms;      /* 0: not stopping */
	int64_t blocked_since; /* stopping, and no room since */
	int first_err;	       /* the first write's errno that failed */
} out = { .fd = -1, .sig_fd = -1 };

/* How long a poll may wait for room: -1 (no bound) until stopping. */
static int out_wait_ms(void)
{
	int64_t left;

	if (!out.stop_wait_ms)
		return -1;
	if (!out.blocked_since)
		return 0; /* first see whether there is room */
	left = out.blocked_since + out.stop_wait_ms - ws_mono_ms();
	return left > 0 ? (int)left : 0;
}

/* 0: room (or an error the write will tell); -EINTR: cut; -errno. */
static int out_wait(void)
{
	struct pollfd p[2] = { { .fd = out.fd, .events = POLLOUT },
			       { .fd = out.sig_fd, .events = POLLIN } };
	int n;

	for (;;) {
		n = poll(p, 2, out_wait_ms());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (p[0].revents)
			return 0;
		if (p[1].revents)
			return -EINTR;
		if (out.blocked_since)
			return -EINTR; /* the stop's wait is over */
		out.blocked_since = ws_mono_ms();
	}
}

/* At most PIPE_BUF at a time: a pipe that polls writable takes that much. */
static ssize_t out_try_write(const char *buf, size_t len)
{
	if (out.sock)
		return send(out.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(out.fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
}

/*
 * Writable, yet the write said EAGAIN again (a socket at its memory
 * limit): no room after all.  -EINTR: cut (a stop signal, or the stop's
 * wait is over); else 0 after a pause of 10 ms.
 */
static int out_no_room(void)
{
	struct pollfd p = { .fd = out.sig_fd, .events = POLLIN };

	if (out.stop_wait_ms && !out.blocked_since)
		out.blocked_since = ws_mono_ms();
	if (out.stop_wait_ms &&
	    ws_mono_ms() - out.blocked_since >= out.stop_wait_ms)
		return -EINTR;
	return poll(&p, 1, 10) > 0 ? -EINTR : 0;
}

static ssize_t out_write_all(const char *buf, size_t len)
{
	size_t done = 0;
	int err = 0, again = 0;
	ssize_t n;

	while (done < len && !out.cut) {
		err = out_wait();
		if (err == -EINTR)
			out.cut = true;
		if (err)
			break;
		n = out_try_write(buf + done, len - done);
		if (n > 0) {
			done += n;
			again = 0;
			out.blocked_since = 0;
		} else if (n < 0 && errno == EAGAIN) {
			err = again++ ? out_no_room() : 0;
			out.cut = err == -EINTR;
			if (err)
				break;
		} else if (n == 0 || errno != EINTR) {
			err = n ? -errno : -EIO;
			break;
		}
	}
	errno = out.cut ? EINTR : -err;
	if (errno && !out.first_err)
		out.first_err = errno;
	return done;
}

static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	return out_write_all(buf, len); /* short: the stream's error flag */
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Our own description of a FIFO or terminal, to make non-blocking; not of
 * a stdout that cannot write (ws_hold_std_fds()' read-only /dev/null), nor
 * of a pty master (opening it again makes a new pty).
 */
static int own_description(const struct stat *st)
{
	const int flags = O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	int fl = fcntl(STDOUT_FILENO, F_GETFL), fd;
	unsigned int ptn;
	const char *tty;

	if ((!S_ISFIFO(st->st_mode) && !S_ISCHR(st->st_mode)) || fl < 0 ||
	    (fl & O_ACCMODE) == O_RDONLY ||
	    !ioctl(STDOUT_FILENO, TIOCGPTN, &ptn))
		return -1;
	fd = open("/proc/self/fd/1", flags);
	if (fd < 0 && (tty = ttyname(STDOUT_FILENO)))
		fd = open(tty, flags);
	return fd;
}

FILE *ws_output_stdout(int sig_fd)
{
	cookie_io_functions_t io = { .write = out_write };
	bool line = __flbf(stdout) || isatty(STDOUT_FILENO);
	struct stat st;
	FILE *f;

	if (fflush(stdout) || fstat(STDOUT_FILENO, &st) ||
	    !(f = fopencookie(NULL, "w", io)))
		return stdout;
	setvbuf(f, NULL, line ? _IOLBF : _IOFBF, BUFSIZ);
	out.f = f;
	out.owner = pthread_self();
	out.cut = false;
	out.first_err = 0;
	out.stop_wait_ms = 0;
	out.blocked_since = 0;
	out.fd = own_description(&st);
	if (out.fd < 0)
		out.fd = STDOUT_FILENO;
	out.sig_fd = sig_fd;
	out.sock = S_ISSOCK(st.st_mode);
	out.stderr_too = same_file(STDOUT_FILENO, STDERR_FILENO);
	return f;
}

bool ws_output_stderr_write(const char *buf, size_t len)
{
	/* Other threads (export's HTTP one) keep stderr's own path. */
	if (!out.f || !out.stderr_too ||
	    !pthread_equal(out.owner, pthread_self()))
		return false;
	out_write_all(buf, len);
	return true;
}

void ws_output_stopping(int wait_ms)
{
	out.stop_wait_ms = wait_ms;
}

void ws_output_warn_cut(void)
{
	if (out.cut && !out.stderr_too)
		ws_warn("stdout was not being read: the output was cut short, "
			"the summary with it");
}

bool ws_output_close(FILE *f)
{
	if (!f || f != out.f)
		return false;
	fclose(f);
	if (out.fd != STDOUT_FILENO)
		close(out.fd);
	out.f = NULL;
	out.fd = -1;
	return true;
}

/* A pipe or socket whose reader is gone polls as an error or hangup. */
static bool reader_gone(FILE *f, int err)
{
	struct pollfd p = { .fd = f == out.f ? out.fd : fileno(f) };

	if (err == EPIPE)
		return true;
	return poll(&p, 1, 0) == 1 && !(p.revents & POLLNVAL) &&
	       (p.revents & (POLLERR | POLLHUP));
}

int ws_output_check(FILE *f)
{
	int err;

	errno = 0;
	if (!fflush(f) && !ferror(f))
		return 0;
	/* The stream keeps its error, not the errno of the write that set it.
	 */
	err = f == out.f && out.first_err ? out.first_err : errno;
	if (f == out.f && out.cut)
		return -EINTR;
	if (reader_gone(f, err))
		return -EPIPE;
	return ws_error(WS_EXIT_RUNTIME, "cannot write the output: %s",
			err ? strerror(err) : "write error");
}

int ws_output_exit(FILE *f)
{
	return ws_output_check(f) > 0 ? WS_EXIT_RUNTIME : WS_EXIT_OK;
}

/*
 * Held read-only, a closed stdout fails every write (EBADF) instead of
 * writing the report into whatever the next open() returned.
 */
void ws_hold_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY) != fd)
			break;
}

/* 1234567 -> "1.2M"; small integers stay exact. */
const char *ws_human(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTP";
	int u = 0;

	if (v < 0)
		v = 0;
	if (v < 1000) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	while (v >= 999.95 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

const char *ws_fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (whole)
		snprintf(buf, len, "%.1f%%", 100.0 * part / whole);
	else
		snprintf(buf, len, "-");
	return buf;
}

const char *ws_fmt_sysctl(int64_t v, char *buf, size_t len)
{
	if (v >= 0)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "unknown");
	return buf;
}

const char *ws_fmt_addr(int family, const void *addr, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = addr;

	if (family == AF_INET6 && !memcmp(a, mapped, sizeof(mapped))) {
		family = AF_INET;
		a += sizeof(mapped);
	}
	if (!inet_ntop(family, a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ws_fmt_addr_scoped(int family, const void *addr, int ifindex,
			       char *buf, size_t len)
{
	char name[IF_NAMESIZE];
	size_t n;

	ws_fmt_addr(family, addr, buf, len);
	if (family != AF_INET6 ||
	    !IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)addr) ||
	    ifindex <= 0 || !if_indextoname(ifindex, name))
		return buf;
	n = strlen(buf);
	snprintf(buf + n, len - n, "%%%s", name);
	return buf;
}

const char *ws_fmt_endpoint(int family, const void *addr, uint16_t port,
			    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	ws_fmt_addr(family, addr, a, sizeof(a));
	snprintf(buf, len, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

/* A bcc print_log2_hist-style bar chart over named buckets. */

void ws_print_bar_hist(FILE *f, const char *label, const char *const *names,
		       const uint64_t *vals, int n)
{
	const int width = 40;
	uint64_t max = 0;
	int i, stars;

	for (i = 0; i < n; i++)
		if (vals[i] > max)
			max = vals[i];
	fprintf(f, "%18s : %-10s distribution\n", label, "count");
	for (i = 0; i < n; i++) {
		stars = max ? (int)((vals[i] * width + max - 1) / max) : 0;
		fprintf(f, "%18s : %-10" PRIu64 " |%-*.*s|\n", names[i],
			vals[i], width, stars,
			"****************************************");
	}
}

static void json_sep(struct ws_json *j)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

static void json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct ws_json *j, const char *key)
{
	json_sep(j);
	if (key) {
		json_escape(j->f, key);
		fputc(':', j->f);
	}
}

/* Starts one JSON Lines record: {"type":TYPE,"time":...  */
void json_begin(struct ws_json *j, FILE *f, const char *type)
{
	char ts[40];

	memset(j, 0, sizeof(*j));
	j->f = f;
	fputc('{', f);
	json_str(j, "type", type);
	ws_fmt_time(ts, sizeof(ts), true);
	json_str(j, "time", ts);
}

void json_end(struct ws_json *j)
{
	fputs("}\n", j->f);
}

void json_str(struct ws_json *j, const char *key, const char *val)
{
	json_key(j, key);
	json_escape(j->f, val ? val : "");
}

void json_u64(struct ws_json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct ws_json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_double(struct ws_json *j, const char *key, double v)
{
	json_key(j, key);
	fprintf(j->f, "%.6g", v);
}

void json_bool(struct ws_json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct ws_json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

void json_str_or_null(struct ws_json *j, const char *key, const char *val)
{
	if (val && val[0])
		json_str(j, key, val);
	else
		json_null(j, key);
}

void json_u64_or_null(struct ws_json *j, const char *key, bool counted,
		      uint64_t v)
{
	if (counted)
		json_u64(j, key, v);
	else
		json_null(j, key);
}

void json_pct_or_null(struct ws_json *j, const char *key, uint64_t part,
		      uint64_t whole)
{
	if (whole)
		json_double(j, key, 100.0 * part / whole);
	else
		json_null(j, key);
}

void json_sysctl(struct ws_json *j, const char *key, int64_t v)
{
	if (v >= 0)
		json_i64(j, key, v);
	else
		json_null(j, key);
}

static void json_open(struct ws_json *j, const char *key, char c)
{
	json_key(j, key);
	fputc(c, j->f);
	if (j->depth < 7)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct ws_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct ws_json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_obj_end(struct ws_json *j)
{
	json_close(j, '}');
}

void json_arr_begin(struct ws_json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_arr_end(struct ws_json *j)
{
	json_close(j, ']');
}

/* "ifaces": every interface the session watches, by its current name. */
void json_ifaces(struct ws_json *j, const struct ws_session *s)
{
	int i;

	json_arr_begin(j, "ifaces");
	for (i = 0; i < s->o->n_ifaces; i++)
		json_str(j, NULL, s->o->ifaces[i].name);
	json_arr_end(j);
}

static const struct ws_collector *session_collector(const struct ws_session *s,
						    const char *name)
{
	int i;

	for (i = 0; i < s->n_collectors; i++)
		if (!strcmp(s->collectors[i]->name, name))
			return s->collectors[i];
	return NULL;
}

bool ws_session_runs(const struct ws_session *s, const char *name)
{
	return session_collector(s, name);
}

bool ws_session_watches_iface(const struct ws_session *s)
{
	int i;

	for (i = 0; i < s->o->n_ifaces; i++)
		if (!s->o->ifaces[i].gone && !s->o->ifaces[i].implicit)
			return true;
	return false;
}

bool ws_collector_reports(const struct ws_session *s, const char *name)
{
	const struct ws_collector *c = session_collector(s, name);

	return !s->no_reports && c && !c->quiet;
}
