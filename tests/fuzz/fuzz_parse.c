// SPDX-License-Identifier: GPL-2.0
/*
 * headers/parse.h, the packet parser the BPF programs run, on arbitrary
 * bytes.  The frame is copied to a buffer of its exact size so ASan catches
 * any read past the end; the result must describe a packet inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

static void check(const struct ws_pkt *p, size_t len)
{
	if (p->len != len || p->layer > WS_LAYER_L4)
		abort();
	if (p->layer >= WS_LAYER_L3 && (p->ip_ver != 4 && p->ip_ver != 6))
		abort();
	if (p->layer >= WS_LAYER_L3 && p->l3_off + 20u > len)
		abort();
	if (p->layer == WS_LAYER_L4 &&
	    ((unsigned)p->l4_off + p->l4_hlen > len || p->l4_hlen < 8 ||
	     p->l4_off < p->l3_off + 20u))
		abort();
	if (p->layer == WS_LAYER_L4 && p->l4_proto != WS_IPPROTO_TCP &&
	    p->l4_proto != WS_IPPROTO_UDP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = malloc(size ? size : 1);
	struct ws_pkt p;
	int layer;

	memcpy(frame, data, size);
	layer = ws_parse(frame, frame + size, &p);
	if (layer != p.layer)
		abort();
	check(&p, size);
	free(frame);
	return 0;
}
