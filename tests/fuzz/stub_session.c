// SPDX-License-Identifier: GPL-2.0
/*
 * Stands in for user/session.c in the fuzz build: no BPF, no attach.  The
 * options a command hands to its session must be within their documented
 * ranges; anything else is a parser bug and aborts.
 */
#include <stdlib.h>
#include <string.h>
#include "core/core.h"

void ws_session_add(struct ws_session *s, const struct ws_collector *c)
{
	if (s->n_collectors < WS_MAX_COLLECTORS)
		s->collectors[s->n_collectors++] = c;
}

int ws_session_add_poller(struct ws_session *s, int fd, int (*cb)(void *ctx),
			  void *ctx)
{
	return 0;
}

int ws_block_stop_signals(sigset_t *mask)
{
	return sigemptyset(mask);
}

int ws_session_run(struct ws_session *s)
{
	const struct ws_opts *o = s->o;
	int i;

	if (o->n_ifaces < 0 || o->n_ifaces > WS_MAX_IFACES)
		abort();
	/* No ifindex only for a name export --wait-interface waits for. */
	for (i = 0; i < o->n_ifaces; i++)
		if (!memchr(o->ifaces[i].name, 0, IF_NAMESIZE) ||
		    (o->ifaces[i].ifindex <= 0 &&
		     !(o->ifaces[i].missing && o->wait_ifaces)))
			abort();
	if (!(o->interval >= 0.01 && o->interval <= 86400) || o->count < 0 ||
	    !(o->duration >= 0 && o->duration <= 86400) ||
	    (unsigned int)o->mode > WS_MODE_TC)
		abort();
	return WS_EXIT_OK;
}

int ws_session_features(const struct ws_session *s, struct ws_feature *out)
{
	return 0;
}

int ws_tp_nargs(const char *event)
{
	return -2;
}

void ws_session_use_prog(struct ws_session *s, struct bpf_program *p,
			 const char *loss)
{
}

bool ws_session_prog_active(const struct ws_session *s,
			    const struct bpf_program *p)
{
	return false;
}

bool ws_session_use_active(const struct ws_session *s,
			   const struct ws_prog_use *u)
{
	return false;
}

bool ws_kernel_has_enum_value(const char *name)
{
	return false;
}

bool ws_session_watch_done(const struct ws_session *s)
{
	return true;
}

bool ws_session_stopped_again(const struct ws_session *s)
{
	return false;
}
