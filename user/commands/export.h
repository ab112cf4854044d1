/* SPDX-License-Identifier: GPL-2.0 */
/* wirescope export: the Prometheus exporter (export.c). */
#ifndef WS_EXPORT_H
#define WS_EXPORT_H

#include <sys/types.h>
#include "core/core.h"
#include "core/http.h"

#define WS_EXPORT_DEFAULT_LISTEN "127.0.0.1:19460"

struct ws_export {
	const char *listen; /* ADDR:PORT */
	const char *user;   /* run as this user once attached */
	double timeout;	    /* seconds a client has to send its request */
	/* internal */
	struct ws_session *s;
	struct ws_http http;
	pthread_mutex_t lock;
	const char *ready_file;
	uint64_t start_time; /* seconds since the epoch */
	uid_t uid;
	gid_t gid;
};

/* Bind, run the session with @s's collectors and serve until signalled. */
int ws_export_run(struct ws_session *s, struct ws_export *x);

#endif
