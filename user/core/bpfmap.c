// SPDX-License-Identifier: GPL-2.0
/* Per-CPU map helpers: values are summed across CPUs, never reset. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "core/core.h"

/* Sum a per-CPU value of @nwords u64 words across every possible CPU. */
int ws_percpu_sum_u64(int map_fd, const void *key, int ncpus, uint64_t *out,
		      int nwords)
{
	uint64_t *vals = calloc((size_t)ncpus * nwords, sizeof(uint64_t));
	int cpu, w, err = 0;

	if (!vals)
		return -ENOMEM;
	memset(out, 0, nwords * sizeof(uint64_t));
	if (bpf_map_lookup_elem(map_fd, key, vals)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		for (w = 0; w < nwords; w++)
			out[w] += vals[cpu * nwords + w];
out:
	free(vals);
	return err;
}

/* Create a zeroed per-CPU entry; an existing one is left as it is. */
int ws_percpu_insert_zero(int map_fd, const void *key, int ncpus,
			  size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	void *vals = calloc(ncpus, stride);
	int err = 0;

	if (!vals)
		return -ENOMEM;
	if (bpf_map_update_elem(map_fd, key, vals, BPF_NOEXIST) &&
	    errno != EEXIST)
		err = -errno;
	free(vals);
	return err;
}

/* out = a - b, word by word, for snapshots of cumulative u64 counters. */
void ws_sub_u64(const void *a, const void *b, void *out, int nwords)
{
	const uint64_t *x = a, *y = b;
	uint64_t *z = out;
	int w;

	for (w = 0; w < nwords; w++)
		z[w] = x[w] - y[w];
}
