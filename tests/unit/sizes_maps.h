/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the sizes collector's unit tests share: its maps as they read them
 * (lo, ifindex 1, is watched in slot 0, so its counters are at index dir)
 * and the bucket edges of the spec.
 */
#ifndef WS_SIZES_MAPS_H
#define WS_SIZES_MAPS_H

#include <string.h>
#include <bpf/libbpf.h>
#include "core/core.h"
#include "sizes.h"
#include "wirescope.skel.h"

#define LO_IFINDEX 1
#define NWORDS	   (int)(sizeof(struct sizes_counters) / 8)

static struct wirescope_bpf *skel;
static int ncpus;

static int counters_fd(void)
{
	return bpf_map__fd(skel->maps.sizes_counters);
}

static void read_counters(int dir, struct sizes_counters *c)
{
	uint32_t key = dir;

	memset(c, 0, sizeof(*c));
	ws_percpu_sum_u64(counters_fd(), &key, ncpus, (uint64_t *)c, NWORDS);
}

#include "skel_health.h"

/* The spec's buckets, written out independently of ws_size_bucket(). */
static unsigned int expected_bucket(unsigned int len)
{
	static const unsigned int upper[] = { 64, 127, 255, 511, 1023, 1518 };
	unsigned int b;

	for (b = 0; b < 6; b++)
		if (len <= upper[b])
			return b;
	return 6;
}

#endif
