/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A health counter summed over CPUs, for unit tests that run the real
 * programs.  Include after the test's own `skel` and `ncpus`.
 */
#ifndef WS_SKEL_HEALTH_H
#define WS_SKEL_HEALTH_H

static uint64_t health(int idx)
{
	uint32_t key = idx;
	uint64_t v = 0;

	ws_percpu_sum_u64(bpf_map__fd(skel->maps.ws_health), &key, ncpus, &v,
			  1);
	return v;
}

#endif
