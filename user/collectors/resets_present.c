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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collectors/resets_collector.h"
#include "core/log.h"
#include "wirescope.skel.h"

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

struct marking {
	uint8_t *slots;
	uint8_t bit;
};

static void mark_flow(const void *key, const void *flow, void *arg)
{
	struct marking *m = arg;

	mark(m->slots, key, m->bit);
}

int resets_present_open(struct rst_present *p, struct wirescope_bpf *skel)
{
	void *m = mmap(NULL, RST_PRESENT_SLOTS, PROT_READ | PROT_WRITE,
		       MAP_SHARED, bpf_map__fd(skel->maps.rst_present), 0);

	if (m == MAP_FAILED)
		return -errno;
	p->slots = m;
	p->half = &skel->bss->rst_present_half;
	p->flows = skel->maps.rst_flows;
	p->marked_after_rebuild = 0;
	return 0;
}

void resets_present_close(struct rst_present *p)
{
	if (p->slots)
		munmap(p->slots, RST_PRESENT_SLOTS);
	p->slots = NULL;
}

int resets_present_rebuild(struct rst_present *p)
{
	uint32_t idle = !(*p->half & 1), i;
	struct marking m = { p->slots, 1 << idle };
	long walked;

	for (i = 0; i < RST_PRESENT_SLOTS; i++)
		if (p->slots[i] & m.bit)
			__atomic_fetch_and(&p->slots[i], ~m.bit,
					   __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	walked = ws_map_walk(p->flows, mark_flow, &m);
	if (walked < 0)
		return walked;
	p->marked_after_rebuild = count_marked(p->slots, m.bit);
	__atomic_store_n(p->half, idle, __ATOMIC_RELEASE);
	return walked;
}

/* Stale marks cost time, never evidence: a failed rebuild only warns. */
int resets_present_refresh(struct rst_present *p)
{
	uint32_t marked = count_marked(p->slots, 1 << (*p->half & 1));
	static bool warned;
	int n;

	if (marked < RST_PRESENT_SLOTS / 8 ||
	    marked < 2 * p->marked_after_rebuild)
		return -1;
	n = resets_present_rebuild(p);
	if (n < 0 && !warned) {
		ws_warn("resets: cannot rebuild the flow filter: %s",
			strerror(-n));
		warned = true;
	}
	return n < 0 ? -1 : n;
}
