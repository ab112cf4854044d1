// SPDX-License-Identifier: GPL-2.0
/*
 * A small HTTP/1.1 server for the exporter: one thread, non-blocking
 * sockets and poll(), so a slow or stalled client never holds up another
 * scrape.  Every connection has a deadline (reading the request head, then
 * writing the answer); the request head is bounded (431 past it); only GET
 * and HEAD are served (405); when every slot is taken one that has been
 * answered, or else the one still reading its request nearest its deadline,
 * makes room (503 when every one is being answered); gzip when asked.  One
 * request per connection (Connection: close): after the answer we shut down our
 * side and drain theirs briefly, so an unread request tail cannot turn our
 * close into a RST that eats the answer.
 *
 * libmicrohttpd was the alternative, but Debian's libmicrohttpd.a needs
 * gnutls, and p11-kit and libunistring ship no static archive: it cannot
 * link into our static binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <zlib.h>
#include "core/http.h"

#define LINGER_MS    1000 /* drain the client's side after our answer */
#define ACCEPT_BURST 64	  /* accepts per poll round */

enum conn_state { CONN_FREE = 0, CONN_READ, CONN_WRITE, CONN_DRAIN };

struct http_conn {
	int fd;
	enum conn_state state;
	int64_t deadline; /* ms, CLOCK_MONOTONIC */
	char *in;
	size_t in_len;
	struct ws_buf out;
	size_t out_off;
};

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (every IPv4 address, as Go
 * exporters read it); numeric addresses only: a static binary has no NSS. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	size_t hl;

	if (!colon || ws_parse_ulong(colon + 1, 0, 65535, &port))
		return -EINVAL;
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1
			   ? 0
			   : -EINVAL;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*len = sizeof(*s4);
	if (!hl) {
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

int ws_http_listen(struct ws_http *h, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	if (parse_listen(spec, &ss, &len))
		return ws_usage_error("export",
				      "bad --listen '%s': use ADDR:PORT, "
				      "[ADDR6]:PORT or :PORT, numeric",
				      spec);
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ws_error(WS_EXIT_RUNTIME, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128)) {
		int err = errno;

		close(fd);
		if (err == EADDRINUSE)
			return ws_error(WS_EXIT_RUNTIME,
					"cannot listen on %s: address already "
					"in use",
					spec);
		if (err == EACCES) /* a port below 1024 */
			return ws_error(WS_EXIT_PERM,
					"cannot listen on %s: must run as root "
					"(needs CAP_NET_BIND_SERVICE)",
					spec);
		return ws_error(WS_EXIT_RUNTIME, "cannot listen on %s: %s",
				spec, strerror(err));
	}
	h->listen_fd = fd;
	h->wake_fd = h->dead_fd = -1;
	return 0;
}

static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

static void count_code(struct ws_http *h, int code)
{
	int i;

	for (i = 0; i < WS_HTTP_NCODES; i++)
		if (ws_http_codes[i] == code)
			__atomic_fetch_add(&h->responses[i], 1,
					   __ATOMIC_RELAXED);
}

const int ws_http_codes[WS_HTTP_NCODES] = { 200, 400, 404, 405, 408,
					    431, 500, 503, 505 };

/* @in gzip-compressed into @out; false if zlib fails. */
static bool gzip_body(const struct ws_buf *in, struct ws_buf *out)
{
	z_stream z = {};
	bool ok;

	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return false;
	out->cap = deflateBound(&z, in->len) + 1;
	out->data = malloc(out->cap);
	z.next_in = (Bytef *)in->data;
	z.avail_in = in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = out->cap;
	ok = out->data && deflate(&z, Z_FINISH) == Z_STREAM_END;
	out->len = z.total_out;
	deflateEnd(&z);
	return ok;
}

/*
 * The Date header line, now as an HTTP-date (RFC 9110 6.6.1), or "" when the
 * clock cannot be read: no date rather than a wrong one.  The C locale's
 * day and month names are HTTP's.
 */
static void date_header(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    !strftime(buf, size, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm))
		buf[0] = '\0';
}

static void respond(struct ws_http *h, struct http_conn *c, int code,
		    const char *ctype, const struct ws_buf *body, bool head,
		    bool gzip)
{
	struct ws_buf zbody = {};
	char date[48];

	if (gzip && body->len && gzip_body(body, &zbody))
		body = &zbody;
	else
		gzip = false;
	count_code(h, code);
	date_header(date, sizeof(date));
	ws_buf_printf(
	    &c->out,
	    "HTTP/1.1 %d %s\r\n"
	    "%s"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s%s"
	    "Connection: close\r\n\r\n",
	    code, reason(code), date, ctype, body->len,
	    code == 405 ? "Allow: GET, HEAD\r\n" : "",
	    gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" : "");
	if (!head)
		ws_buf_append(&c->out, body->data, body->len);
	ws_buf_free(&zbody);
	c->out_off = 0;
	c->state = CONN_WRITE;
	c->deadline = ws_mono_ms() + h->timeout_ms;
}

static void respond_error(struct ws_http *h, struct http_conn *c, int code)
{
	struct ws_buf body = {};

	ws_buf_printf(&body, "%d %s\n", code, reason(code));
	respond(h, c, code, "text/plain; charset=utf-8", &body, false, false);
	ws_buf_free(&body);
}

/*
 * Whether the Accept-Encoding headers among the header lines at @hdrs list
 * gzip with a q-value above 0 ("gzip", "gzip;q=0.5"; not "gzip;q=0").  A
 * header repeated is one list (RFC 9110 5.3): its first gzip decides.
 */
static bool accepts_gzip(const char *hdrs)
{
	const char *p = hdrs, *end;
	char val[256], *tok, *save = NULL, *q;

	for (; *(p += strspn(p, "\r\n")); p = end) {
		end = p + strcspn(p, "\r\n");
		if (strncasecmp(p, "Accept-Encoding:", 16))
			continue;
		snprintf(val, sizeof(val), "%.*s", (int)(end - p - 16), p + 16);
		for (tok = strtok_r(val, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			tok += strspn(tok, " \t");
			if (strncasecmp(tok, "gzip", 4) ||
			    (tok[4] && !strchr("; \t", tok[4])))
				continue;
			q = strstr(tok, "q=");
			return !q || strtod(q + 2, NULL) > 0;
		}
	}
	return false;
}

/* The path of an origin-form ("/x") or absolute-form ("http://h/x") target. */
static char *target_path(char *target)
{
	if (!strncasecmp(target, "http://", 7)) {
		target = strchr(target + 7, '/');
		if (!target)
			return NULL;
	}
	if (target[0] != '/')
		return NULL;
	target[strcspn(target, "?#")] = '\0';
	return target;
}

int ws_http_parse(char *head, struct ws_http_req *req)
{
	char *eol = strpbrk(head, "\r\n"), *method, *target, *version;
	char *save = NULL;
	const char *hdrs = "";

	memset(req, 0, sizeof(*req));
	if (eol) {
		*eol = '\0';
		hdrs = eol + 1;
	}
	method = strtok_r(head, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (!method || !target || !version || strtok_r(NULL, " ", &save) ||
	    strncmp(version, "HTTP/", 5))
		return 400;
	if (strcmp(version, "HTTP/1.0") && strcmp(version, "HTTP/1.1"))
		return 505;
	req->head = !strcmp(method, "HEAD");
	if (!req->head && strcmp(method, "GET"))
		return 405;
	req->path = target_path(target);
	if (!req->path)
		return 400;
	req->gzip = accepts_gzip(hdrs);
	return 0;
}

static void handle_request(struct ws_http *h, struct http_conn *c)
{
	const char *ctype = "text/plain; charset=utf-8";
	struct ws_buf body = {};
	struct ws_http_req req;
	int code;

	code = ws_http_parse(c->in, &req);
	if (code)
		return respond_error(h, c, code);
	code = h->handler(h->ctx, req.path, &body, &ctype);
	if (body.oom)
		code = 500;
	if (code != 200 && !body.len)
		ws_buf_printf(&body, "%d %s\n", code, reason(code));
	respond(h, c, code, ctype, &body, req.head, req.gzip);
	ws_buf_free(&body);
}

/* The end of the request head, or NULL while it is incomplete. */
static char *head_end(struct http_conn *c)
{
	char *p = strstr(c->in, "\r\n\r\n");

	return p ? p : strstr(c->in, "\n\n");
}

static void conn_close(struct ws_http *h, struct http_conn *c)
{
	close(c->fd);
	free(c->in);
	ws_buf_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	h->n_conns--;
}

static void conn_read(struct ws_http *h, struct http_conn *c)
{
	char *end;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, WS_HTTP_MAX_HEAD - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return conn_close(h, c);
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (strlen(c->in) != c->in_len)
		return respond_error(h, c, 400); /* NUL in the head */
	end = head_end(c);
	if (end) {
		*end = '\0'; /* the headers stop here, whatever follows */
		return handle_request(h, c);
	}
	if (c->in_len == WS_HTTP_MAX_HEAD)
		respond_error(h, c, 431);
}

static void conn_write(struct ws_http *h, struct http_conn *c)
{
	ssize_t n;

	if (c->out.oom)
		return conn_close(h, c);
	n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
		 MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		return conn_close(h, c);
	c->out_off += (size_t)n;
	if (c->out_off < c->out.len)
		return;
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAIN;
	c->deadline = ws_mono_ms() + LINGER_MS;
}

static void conn_drain(struct ws_http *h, struct http_conn *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(h, c);
}

static void conn_timeout(struct ws_http *h, struct http_conn *c)
{
	if (c->state == CONN_READ) {
		/* Best effort: tell a slow client why, then hang up. */
		static const char msg[] = "HTTP/1.1 408 Request Timeout\r\n"
					  "Connection: close\r\n"
					  "Content-Length: 0\r\n\r\n";

		count_code(h, 408);
		send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	conn_close(h, c);
}

static struct http_conn *conn_slot(struct ws_http *h)
{
	int i;

	for (i = 0; i < WS_HTTP_MAX_CONNS; i++)
		if (h->conns[i].state == CONN_FREE)
			return &h->conns[i];
	return NULL;
}

/*
 * What the client sent and we have not read, as far as it has arrived:
 * unread, it would turn our close into an RST, which discards the tail of
 * an answer still in our send queue.
 */
static void discard_input(int fd)
{
	char sink[4096];
	int i;

	for (i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0;
	     i++)
		;
}

/* Which connection makes room first: @a rather than @b? */
static bool evict_before(const struct http_conn *a, const struct http_conn *b)
{
	if (a->state != b->state)
		return a->state == CONN_DRAIN;
	return a->deadline < b->deadline;
}

/*
 * Full: a connection draining after its answer makes room, else the one
 * still reading its request head closest to its deadline (slowloris).  An
 * answer being written is never cut short: NULL when all of them are.
 */
static struct http_conn *make_room(struct ws_http *h)
{
	struct http_conn *c = NULL;
	int i;

	for (i = 0; i < WS_HTTP_MAX_CONNS; i++)
		if (h->conns[i].state != CONN_WRITE &&
		    (!c || evict_before(&h->conns[i], c)))
			c = &h->conns[i];
	if (c && c->state == CONN_DRAIN)
		discard_input(c->fd);
	if (c)
		conn_timeout(h, c);
	return c;
}

/* No room: tell the newcomer, best effort, and hang up. */
static void refuse(struct ws_http *h, int fd)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
				  "Connection: close\r\n"
				  "Content-Length: 0\r\n\r\n";

	count_code(h, 503);
	send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	discard_input(fd);
	close(fd);
}

static void accept_all(struct ws_http *h)
{
	struct http_conn *c;
	int n, fd;

	for (n = 0; n < ACCEPT_BURST; n++) {
		fd = accept4(h->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				h->accept_pause_until = ws_mono_ms() + 100;
			return;
		}
		c = conn_slot(h);
		if (!c)
			c = make_room(h);
		if (!c) {
			refuse(h, fd);
			continue;
		}
		c->in = malloc(WS_HTTP_MAX_HEAD + 1);
		if (!c->in) {
			close(fd);
			return;
		}
		c->in[0] = '\0';
		c->fd = fd;
		c->state = CONN_READ;
		c->deadline = ws_mono_ms() + h->timeout_ms;
		h->n_conns++;
	}
}

static void step(struct ws_http *h, struct http_conn *c, short revents)
{
	if (revents & POLLNVAL)
		return conn_close(h, c);
	switch (c->state) {
	case CONN_READ:
		return conn_read(h, c);
	case CONN_WRITE:
		return conn_write(h, c);
	case CONN_DRAIN:
		return conn_drain(h, c);
	default:
		return;
	}
}

/*
 * One poll round: the wake fd, the listener, then every connection.  False
 * once woken, or (h->dead_err) when poll itself fails.
 */
static bool poll_once(struct ws_http *h, struct pollfd *pfd, int *idx)
{
	int64_t now = ws_mono_ms(), wait = -1;
	int n = 0, i, nconn;

	pfd[n++] = (struct pollfd){ .fd = h->wake_fd, .events = POLLIN };
	if (now >= h->accept_pause_until)
		pfd[n++] =
		    (struct pollfd){ .fd = h->listen_fd, .events = POLLIN };
	else
		wait = 100;
	nconn = n;
	for (i = 0; i < WS_HTTP_MAX_CONNS; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->state == CONN_FREE)
			continue;
		idx[n] = i;
		pfd[n++] = (struct pollfd){ .fd = c->fd,
					    .events = c->state == CONN_WRITE
							  ? POLLOUT
							  : POLLIN };
		if (wait < 0 || c->deadline - now < wait)
			wait = c->deadline > now ? c->deadline - now : 0;
	}
	if (poll(pfd, n, (int)wait) < 0) {
		h->dead_err = errno == EINTR ? 0 : errno;
		return errno == EINTR;
	}
	if (pfd[0].revents)
		return false;
	now = ws_mono_ms();
	for (i = nconn; i < n; i++) {
		struct http_conn *c = &h->conns[idx[i]];

		if (c->state == CONN_FREE || c->fd != pfd[i].fd)
			continue;
		if (pfd[i].revents)
			step(h, c, pfd[i].revents);
		if (c->state != CONN_FREE && now >= c->deadline)
			conn_timeout(h, c);
	}
	if (nconn == 2 && pfd[1].revents)
		accept_all(h);
	return true;
}

static void *serve(void *arg)
{
	struct pollfd pfd[WS_HTTP_MAX_CONNS + 2];
	int idx[WS_HTTP_MAX_CONNS + 2];
	struct ws_http *h = arg;
	uint64_t one = 1;
	int i, err;

	err = h->thread_init ? h->thread_init(h->ctx) : 0;
	if (err)
		h->dead_err = -err;
	while (!err && poll_once(h, pfd, idx))
		;
	for (i = 0; i < WS_HTTP_MAX_CONNS; i++)
		if (h->conns[i].state != CONN_FREE)
			conn_close(h, &h->conns[i]);
	/* Not asked to stop: the session's loop must learn it. */
	if (h->dead_err && write(h->dead_fd, &one, sizeof(one)) < 0)
		ws_warn("HTTP thread: stopped (%s); not serving",
			strerror(h->dead_err));
	return NULL;
}

int ws_http_start(struct ws_http *h)
{
	sigset_t all, old;
	int err;

	h->conns = calloc(WS_HTTP_MAX_CONNS, sizeof(*h->conns));
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->dead_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!h->conns || h->wake_fd < 0 || h->dead_fd < 0)
		return -ENOMEM;
	/* Signals belong to the session's signalfd, not to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	h->running = true;
	return 0;
}

void ws_http_stop(struct ws_http *h)
{
	uint64_t one = 1;

	if (h->running) {
		if (write(h->wake_fd, &one, sizeof(one)) < 0)
			ws_warn("http: cannot wake the server thread");
		pthread_join(h->thread, NULL);
		h->running = false;
	}
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	if (h->dead_fd >= 0)
		close(h->dead_fd);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	h->wake_fd = h->dead_fd = h->listen_fd = -1;
	free(h->conns);
	h->conns = NULL;
}
