/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which collectors the benchmark switches on, and the map state each path
 * needs (a baseline entry for "established", an empty or full table for
 * SYN).  Extend here as collectors land: everything diag runs, runs here.
 */
#ifndef WS_BENCH_SETUP_H
#define WS_BENCH_SETUP_H

#include <string.h>
#include "core.h"
#include "sizes.h"
#include "collectors.h"
#include "wirescope.skel.h"

static void bench_enable_all(struct wirescope_bpf *skel)
{
	skel->rodata->sizes_enabled = true;
	skel->rodata->resets_enabled = true;
	skel->rodata->resets_lo_ifindex = 0; /* test runs are on lo */
}

static void bench_prepare(struct wirescope_bpf *skel)
{
	sizes_set_slot(skel, 1, 0); /* lo, the test-run device */
}

/* Per round, per path: vary keys so stateful paths measure what they say. */
static void bench_before_run(const char *path, uint8_t *frame, unsigned int len)
{
	(void)path;
	(void)frame;
	(void)len;
}

#endif
