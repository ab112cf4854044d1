// SPDX-License-Identifier: GPL-2.0
/*
 * Map helpers: per-CPU values are summed across CPUs, never reset; hash
 * maps are walked a batch at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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

/* The bytes of one value a lookup copies out: one a CPU for per-CPU maps. */
static size_t lookup_value_size(const struct bpf_map *m)
{
	size_t size = bpf_map__value_size(m);

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return ((size + 7) & ~(size_t)7) * libbpf_num_possible_cpus();
	default:
		return size;
	}
}

/*
 * One key at a time (kernels before 5.6 have no batch lookups), and its
 * value when @fn wants it.  A key deleted between the two is skipped: the
 * walk goes on from the last key it kept, since the next key of a deleted
 * one is the map's first.  Keys deleted under it can still make the walk
 * restart: it stops after twice the capacity, in calls too.
 */
static long walk_by_key(const struct bpf_map *m, void *val, ws_map_fn fn,
			void *arg)
{
	uint32_t key_size = bpf_map__key_size(m);
	uint64_t bound = 2ULL * bpf_map__max_entries(m), calls = 0;
	char *key = calloc(2, key_size), *next = key + key_size;
	int fd = bpf_map__fd(m), err;
	void *prev = NULL;
	long n = 0;

	if (!key)
		return -ENOMEM;
	while (!(err = bpf_map_get_next_key(fd, prev, next)) &&
	       ++calls <= bound) {
		if (fn && bpf_map_lookup_elem(fd, next, val))
			continue;
		memcpy(key, next, key_size);
		prev = key;
		if (fn)
			fn(key, val, arg);
		n++;
	}
	err = err && errno != ENOENT ? -errno : 0;
	free(key);
	return err ? err : n;
}

/*
 * Each entry of hash map @m to @fn (NULL: only count them), a batch of
 * WS_WALK_BATCH a syscall from 5.6, else a key and its value a syscall
 * each: a full table of 65,536 flows is 64 syscalls instead of 131,072.
 * Returns the entries walked, or -errno.  WIRESCOPE_TEST_NO_BATCH (hidden,
 * for tests): as a kernel before 5.6.
 */
long ws_map_walk(const struct bpf_map *m, ws_map_fn fn, void *arg)
{
	uint32_t key_size = bpf_map__key_size(m), batch_token, n, i;
	uint32_t batch = bpf_map__max_entries(m) < WS_WALK_BATCH
			     ? bpf_map__max_entries(m)
			     : WS_WALK_BATCH;
	size_t value_size = lookup_value_size(m);
	int fd = bpf_map__fd(m), err;
	char *keys = calloc(batch, key_size);
	char *vals = calloc(batch, value_size);
	void *in = NULL;
	long total = 0;

	if (!keys || !vals) {
		total = -ENOMEM;
		goto out;
	}
	if (getenv("WIRESCOPE_TEST_NO_BATCH")) {
		total = walk_by_key(m, vals, fn, arg);
		goto out;
	}
	do {
		n = batch;
		err = bpf_map_lookup_batch(fd, in, &batch_token, keys, vals, &n,
					   NULL);
		if (err && errno != ENOENT) {
			total = in ? -errno : walk_by_key(m, vals, fn, arg);
			goto out;
		}
		for (i = 0; i < n && fn; i++)
			fn(keys + (size_t)i * key_size,
			   vals + (size_t)i * value_size, arg);
		total += n;
		in = &batch_token;
	} while (!err);
out:
	free(keys);
	free(vals);
	return total;
}
