// SPDX-License-Identifier: GPL-2.0
/*
 * The presence filter in front of rst_flows (headers/resets.h): BPF sets
 * both bits of a flow's slot when it inserts the flow, and never clears
 * one, so the marks of evicted flows pile up and the filter saves less.
 * Once they have doubled since the last rebuild, the idle half's bits are
 * cleared, every flow in the table is marked in it again, and the halves
 * swap.  A flow inserted during the walk sets both bits itself, after its
 * insert: a clear that came before cannot undo it, and one that came after
 * ran before the walk, which finds the flow.  No flow in the table is ever
 * unmarked in the half BPF reads.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collectors/resets_collector.h"
#include "core/log.h"
#include "wirescope.skel.h"

#define WALK_BATCH 1024

static uint32_t marked_after_rebuild;

/* Slots whose bit @bit is set. */
static uint32_t count_marked(const uint8_t *slots, uint8_t bit)
{
	uint32_t i, n = 0;

	for (i = 0; i < RST_PRESENT_SLOTS; i++)
		n += (slots[i] & bit) != 0;
	return n;
}

/* Atomic: BPF may store RST_PRESENT_BOTH into the same byte meanwhile. */
static void mark(uint8_t *slots, const struct rst_flow_key *k, uint8_t bit)
{
	__atomic_fetch_or(&slots[rst_present_slot(k)], bit, __ATOMIC_RELAXED);
}

/* One key at a time: kernels or maps without batch lookups. */
static int mark_by_key(int fd, uint8_t *slots, uint8_t bit)
{
	struct rst_flow_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		mark(slots, &next, bit);
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int mark_flows(int fd, uint8_t *slots, uint8_t bit)
{
	static struct rst_flow_key keys[WALK_BATCH];
	static struct rst_flow vals[WALK_BATCH];
	__u32 batch, n, i;
	void *in = NULL;
	int err;

	do {
		n = WALK_BATCH;
		err =
		    bpf_map_lookup_batch(fd, in, &batch, keys, vals, &n, NULL);
		if (err && errno != ENOENT)
			return in ? -errno : mark_by_key(fd, slots, bit);
		for (i = 0; i < n; i++)
			mark(slots, &keys[i], bit);
		in = &batch;
	} while (!err);
	return 0;
}

int resets_present_rebuild(struct wirescope_bpf *skel)
{
	uint32_t idle = !(skel->bss->rst_present_half & 1);
	uint8_t *slots = skel->bss->rst_present, bit = 1 << idle;
	uint32_t i;
	int err;

	for (i = 0; i < RST_PRESENT_SLOTS; i++)
		if (slots[i] & bit)
			__atomic_fetch_and(&slots[i], ~bit, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	err = mark_flows(bpf_map__fd(skel->maps.rst_flows), slots, bit);
	if (err)
		return err;
	marked_after_rebuild = count_marked(slots, bit);
	__atomic_store_n(&skel->bss->rst_present_half, idle, __ATOMIC_RELEASE);
	return 0;
}

/* Stale marks cost time, never evidence: a failed rebuild only warns. */
void resets_present_refresh(struct wirescope_bpf *skel)
{
	uint32_t active = skel->bss->rst_present_half & 1;
	uint32_t marked = count_marked(skel->bss->rst_present, 1 << active);
	static bool warned;
	int err;

	if (marked < RST_PRESENT_SLOTS / 8 || marked < 2 * marked_after_rebuild)
		return;
	err = resets_present_rebuild(skel);
	if (err && !warned) {
		ws_warn("resets: cannot rebuild the flow filter: %s",
			strerror(-err));
		warned = true;
	}
}
