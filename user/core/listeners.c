// SPDX-License-Identifier: GPL-2.0
/*
 * One sock_diag dump of the listening TCP sockets per round of collector
 * calls (s->round), shared: accept's queues and hoststat's somaxconn
 * finding are then judged on the same kernel snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include "core/core.h"
#include "core/netlink.h"

static void keep_listener(const struct nl_listener *l, void *arg)
{
	struct ws_listener_snap *snap = arg;
	struct nl_listener *v;
	int cap;

	if (snap->err)
		return;
	if (snap->n == snap->cap) {
		cap = snap->cap ? 2 * snap->cap : 64;
		v = realloc(snap->v, cap * sizeof(*v));
		if (!v) {
			snap->err = -ENOMEM;
			return;
		}
		snap->v = v;
		snap->cap = cap;
	}
	snap->v[snap->n++] = *l;
}

int ws_session_listeners_now(struct ws_session *s, const struct nl_listener **v)
{
	struct ws_listener_snap *snap = &s->listeners;
	int err;

	snap->n = snap->err = 0;
	err = nl_tcp_listeners(keep_listener, snap);
	if (!snap->err)
		snap->err = err;
	snap->round = s->round;
	snap->taken = true;
	*v = snap->v;
	return snap->err ? snap->err : snap->n;
}

int ws_session_listeners(struct ws_session *s, const struct nl_listener **v)
{
	const struct ws_listener_snap *snap = &s->listeners;

	if (!snap->taken || snap->round != s->round)
		return ws_session_listeners_now(s, v);
	*v = snap->v;
	return snap->err ? snap->err : snap->n;
}

void ws_session_listeners_free(struct ws_session *s)
{
	free(s->listeners.v);
	s->listeners = (struct ws_listener_snap){ 0 };
}
