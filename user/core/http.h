/* SPDX-License-Identifier: GPL-2.0 */
/* The exporter's HTTP server (http.c). */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include "core/core.h"

#define WS_HTTP_MAX_CONNS 256
#define WS_HTTP_MAX_HEAD  8192 /* request line and headers */
#define WS_HTTP_NCODES	  9

/* Status codes we answer, in the order of ws_http.responses. */
extern const int ws_http_codes[WS_HTTP_NCODES];

/*
 * Serves @path (query stripped) of a GET or HEAD into @body; sets @ctype;
 * returns the status code.  Runs on the server thread.
 */
typedef int (*ws_http_handler)(void *ctx, const char *path, struct ws_buf *body,
			       const char **ctype);

struct http_conn;

struct ws_http {
	ws_http_handler handler;
	void *ctx;
	/* Optional, run first by the serving thread (nonzero: no serving). */
	int (*thread_init)(void *ctx);
	int timeout_ms; /* to read a request head; to write the answer */
	int listen_fd;
	int wake_fd;
	/* Readable once the thread ended unasked: dead_err says why (errno). */
	int dead_fd;
	int dead_err;
	pthread_t thread;
	bool running;
	struct http_conn *conns;
	int n_conns;
	int64_t accept_pause_until;
	uint64_t responses[WS_HTTP_NCODES]; /* atomic: read by the handler */
};

/* A parsed request head: only what the exporter uses. */
struct ws_http_req {
	char *path; /* query and fragment cut off */
	bool head;  /* HEAD, else GET */
	bool gzip;  /* Accept-Encoding allows gzip */
};

/*
 * Parse the request head (request line and headers, NUL-terminated) in
 * place.  Returns 0, or the status code of the error to answer: 400
 * malformed, 405 not GET or HEAD, 505 not HTTP/1.x.
 */
int ws_http_parse(char *head, struct ws_http_req *req);

/* Bind and listen (as root: ports below 1024 work); 0 or an exit code. */
int ws_http_listen(struct ws_http *h, const char *spec);
/* Start serving on a thread with every signal blocked; 0 or -errno. */
int ws_http_start(struct ws_http *h);
/* Stop the thread, close every connection and the listener. */
void ws_http_stop(struct ws_http *h);

#endif
