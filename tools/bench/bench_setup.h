/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which collectors the benchmark switches on (everything diag runs), and
 * the map state each path needs: a baseline entry for "established", an
 * empty or a full table for SYN, the SYN / SYN-ACK state for the final ACK.
 *
 * BPF_PROG_TEST_RUN's repeat runs one frame again and again, so a stateful
 * path (a SYN that inserts, a final ACK that completes) would measure its
 * first run once and then a different path (a retransmitted SYN) 10^6 times.
 * Those paths run repeat 1 on a distinct frame per call instead: bench_key()
 * writes key number i into the frame, and bench_stage() prepares its state.
 */
#ifndef WS_BENCH_SETUP_H
#define WS_BENCH_SETUP_H

#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/core.h"
#include "core/procfs.h"
#include "sizes.h"
#include "handshakes.h"
#include "resets.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "wirescope.skel.h"

#define BENCH_IFINDEX	 1 /* lo: the device of every test run */
#define BENCH_SYNACK_ISN 5000

enum bench_state {
	BENCH_ST_NONE,	    /* stateless, or state the first run creates */
	BENCH_ST_EMPTY,	    /* both flow tables emptied first */
	BENCH_ST_FULL,	    /* both flow tables filled to capacity first */
	BENCH_ST_HANDSHAKE, /* SYN and SYN-ACK seen for every key */
	BENCH_ST_FLOWS,	    /* a baseline for every key: many established */
	BENCH_ST_CALIBRATE, /* one call per run, the same frame: method bias */
};

/* Collectors switched on: a comma list, or "all" (what diag runs). */
static bool bench_on(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (!strcmp(list, "all"))
		return true;
	for (p = strstr(list, name); p; p = strstr(p + 1, name))
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
	return false;
}

static void bench_enable(struct wirescope_bpf *skel, const char *list)
{
	struct stat st;
	uint32_t ino = stat("/proc/self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;

	skel->rodata->sizes_enabled = bench_on(list, "sizes");
	skel->rodata->handshakes_enabled = bench_on(list, "handshakes");
	skel->rodata->accept_enabled = bench_on(list, "accept");
	skel->rodata->accept_netns_ino = ino;
	skel->rodata->resets_enabled = bench_on(list, "resets");
	skel->rodata->resets_lo_ifindex = 0; /* test runs are on lo */
	skel->rodata->resets_netns_ino = ino;
	skel->rodata->resets_tick_ns = ws_kernel_tick_ns();
	skel->rodata->resets_gate_segs = RST_GATE_SEGS_DEFAULT;
	skel->rodata->retrans_enabled = bench_on(list, "retrans");
	skel->rodata->retrans_netns = ino;
}

static void bench_prepare(struct wirescope_bpf *skel)
{
	sizes_set_slot(skel, BENCH_IFINDEX, 0);
}

/* Key number @i: IPv4 source in 198.18.0.0/15 and source port (@base + hi). */
static void bench_key(uint8_t *frame, unsigned int i, uint16_t base)
{
	uint32_t saddr = 0xc6120000u | (i & 0x1ffff);
	uint16_t sport = base + (i >> 17);

	frame[26] = saddr >> 24;
	frame[27] = saddr >> 16;
	frame[28] = saddr >> 8;
	frame[29] = saddr;
	frame[34] = sport >> 8;
	frame[35] = sport;
}

/* The key of @frame's flow, its source the initiator; @server: our role. */
static void bench_hs_key(const uint8_t *frame, bool server, struct hs_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->caddr[0], frame + 26, 4);
	memcpy(&k->saddr[0], frame + 30, 4);
	k->cport = frame[34] << 8 | frame[35];
	k->sport = frame[36] << 8 | frame[37];
	k->ifindex = BENCH_IFINDEX;
	k->family = 4;
	k->server = server;
}

/* Oriented as resets_observe() does: local first, by direction. */
static void bench_rst_key(const uint8_t *frame, bool rx, struct rst_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->laddr[0], frame + (rx ? 30 : 26), 4);
	memcpy(&k->raddr[0], frame + (rx ? 26 : 30), 4);
	k->lport = frame[rx ? 36 : 34] << 8 | frame[rx ? 37 : 35];
	k->rport = frame[rx ? 34 : 36] << 8 | frame[rx ? 35 : 37];
	k->family = 4;
}

static void bench_clear(int fd)
{
	static uint8_t keys[1 << 17][48];
	uint8_t *prev = NULL;
	unsigned int n = 0, i;

	while (n < sizeof(keys) / sizeof(keys[0]) &&
	       !bpf_map_get_next_key(fd, prev, keys[n])) {
		prev = keys[n];
		n++;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys[i]);
}

/* Fill both flow tables to capacity with keys no path uses (port 20000). */
static void bench_fill(struct wirescope_bpf *skel, const uint8_t *proto,
		       unsigned int len)
{
	int hs = bpf_map__fd(skel->maps.hs_flows);
	int rst = bpf_map__fd(skel->maps.rst_flows);
	unsigned int cap = bpf_map__max_entries(skel->maps.hs_flows), i;
	struct hs_flow fl = { .state = HS_ST_SYN, .server = 1, .isn = 1 };
	struct rst_flow rf = { .flags = RST_F_RX_SEEN | RST_F_SYN };
	struct rst_flow_key rk;
	struct hs_key hk;
	uint8_t frame[128];

	memcpy(frame, proto, len < sizeof(frame) ? len : sizeof(frame));
	for (i = 0; i < cap; i++) {
		bench_key(frame, i, 20000);
		bench_hs_key(frame, fl.server, &hk);
		bpf_map_update_elem(hs, &hk, &fl, BPF_ANY);
		bench_rst_key(frame, true, &rk);
		bpf_map_update_elem(rst, &rk, &rf, BPF_ANY);
	}
}

/*
 * Keys [0, n) on @proto's 4-tuple as established flows with a baseline
 * (@handshake false), or with their SYN and SYN-ACK just seen.
 */
static void bench_flows(struct wirescope_bpf *skel, const uint8_t *proto,
			unsigned int len, bool xdp, unsigned int n,
			uint16_t base, bool handshake)
{
	int hs = bpf_map__fd(skel->maps.hs_flows);
	int rst = bpf_map__fd(skel->maps.rst_flows);
	struct hs_flow fl = { .state = HS_ST_SYNACK,
			      .server = xdp,
			      .isn = 1,
			      .server_isn = BENCH_SYNACK_ISN };
	struct rst_flow rf = { .flags =
				   RST_F_RX_SEEN | RST_F_TX_SEEN | RST_F_SYN };
	struct rst_flow_key rk;
	struct hs_key hk;
	uint8_t frame[128];
	unsigned int i;

	memcpy(frame, proto, len < sizeof(frame) ? len : sizeof(frame));
	for (i = 0; i < n; i++) {
		bench_key(frame, i, base);
		bench_hs_key(frame, fl.server, &hk);
		if (handshake)
			bpf_map_update_elem(hs, &hk, &fl, BPF_ANY);
		bench_rst_key(frame, xdp, &rk);
		bpf_map_update_elem(rst, &rk, &rf, BPF_ANY);
	}
	if (!handshake)
		return;
	/*
	 * The pending filter says "in progress" for every tuple.  Each
	 * completion decrements its slot: start high enough that a slot shared
	 * by several keys stays non-zero, as it would with one insert each.
	 */
	for (i = 0; i < HS_FILTER_SLOTS; i++)
		skel->bss->hs_pending[i] = n;
}

/*
 * rst_flows' presence filter as a running wirescope keeps it: one rebuild
 * marks exactly the flows in the table.  Without it, the marks earlier
 * paths left would send a flow never seen to a failed lookup that the
 * filter saves on a live host.
 */
static void bench_sync_present(struct wirescope_bpf *skel)
{
	static struct rst_present p;

	if (!p.slots && resets_present_open(&p, skel))
		return;
	resets_present_rebuild(&p);
}

/* Before a round of a distinct-frame path: @n keys from port @base. */
static void bench_stage(struct wirescope_bpf *skel, enum bench_state st,
			const uint8_t *proto, unsigned int len, bool xdp,
			unsigned int n, uint16_t base)
{
	memset(skel->bss->hs_pending, 0, sizeof(skel->bss->hs_pending));
	if (st == BENCH_ST_CALIBRATE)
		return;
	/* full: filled once, kept full by the evictions */
	if (st != BENCH_ST_FULL) {
		bench_clear(bpf_map__fd(skel->maps.hs_flows));
		bench_clear(bpf_map__fd(skel->maps.rst_flows));
	}
	if (st == BENCH_ST_HANDSHAKE || st == BENCH_ST_FLOWS)
		bench_flows(skel, proto, len, xdp, n, base,
			    st == BENCH_ST_HANDSHAKE);
	bench_sync_present(skel);
}

/* After the path: leave the cheap "nothing in progress" state. */
static void bench_unstage(struct wirescope_bpf *skel)
{
	memset(skel->bss->hs_pending, 0, sizeof(skel->bss->hs_pending));
}

/* hs_stats counter @idx summed over CPUs. */
static uint64_t bench_hs_count(struct wirescope_bpf *skel, unsigned int idx)
{
	static struct hs_stats v[512];
	int n = libbpf_num_possible_cpus(), i;
	uint32_t zero = 0;
	uint64_t sum = 0;

	if (n < 1 || n > 512 ||
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.hs_stats), &zero, v))
		return 0;
	for (i = 0; i < n; i++)
		sum += v[i].count[idx];
	return sum;
}

#endif
