// SPDX-License-Identifier: GPL-2.0
/* The packet-size collector: per interface and direction, by frame size. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collectors/sizes_collector.h"
#include "core/findings.h"
#include "wirescope.skel.h"

#define NWORDS	     (int)(sizeof(struct sizes_counters) / sizeof(uint64_t))
#define HEADER_EVERY 25

const char *const ws_size_bucket_names[WS_SIZE_NBUCKETS] = {
	"0-64",	    "65-127",	 "128-255", "256-511",
	"512-1023", "1024-1518", "1519+",
};

/* Column labels: six characters fit an 80-column terminal. */
static const char *const short_names[WS_SIZE_NBUCKETS] = {
	"<=64", "<=127", "<=255", "<=511", "<=1023", "<=1518", ">1518",
};

static const char *const dir_names[WS_NDIRS] = { "rx", "tx" };

struct snapshot {
	struct sizes_counters c[WS_MAX_IFACES][WS_NDIRS];
};

static struct snapshot base, prev, cur;
static unsigned long lines;

/* Busy-second accounting of received frames, updated at every sample. */
static struct busy {
	uint64_t packets, small, busy_packets, busy_small;
	double busy_secs, peak_pps;
} busy[WS_MAX_IFACES];
static struct sizes_counters busy_prev[WS_MAX_IFACES];
static double busy_t;

static void counters_sub(const struct sizes_counters *a,
			 const struct sizes_counters *b,
			 struct sizes_counters *out)
{
	/* __u64, the members' own type: uint64_t would break aliasing. */
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	__u64 *z = (__u64 *)out;
	int w;

	for (w = 0; w < NWORDS; w++)
		z[w] = x[w] - y[w];
}

const struct sizes_counters *sizes_total(int i, int dir,
					 struct sizes_counters *out)
{
	counters_sub(&cur.c[i][dir], &base.c[i][dir], out);
	return out;
}

int sizes_parse_small(const char *arg, struct ws_opts *o, const char *cmd)
{
	unsigned long v;

	if (ws_parse_ulong(arg, 1, 65535, &v))
		return ws_usage_error(cmd, "bad --small '%s': bytes, 1-65535",
				      arg);
	o->small = v;
	return 0;
}

static int sizes_configure(struct ws_session *s)
{
	s->skel->rodata->sizes_enabled = true;
	s->skel->rodata->sizes_small_threshold = s->o->small;
	return 0;
}

/* One sampling interval of @dt seconds: busy if it carried traffic. */
static void busy_account(int i, double dt)
{
	const struct sizes_counters *c = &cur.c[i][WS_RX];
	uint64_t n = c->packets - busy_prev[i].packets;
	uint64_t sm = c->small - busy_prev[i].small;
	struct busy *b = &busy[i];

	busy_prev[i] = *c;
	b->packets += n;
	b->small += sm;
	if (dt <= 0 || n / dt < WS_BUSY_PPS)
		return;
	b->busy_packets += n;
	b->busy_small += sm;
	b->busy_secs += dt;
	if (dt >= 0.5 && n / dt > b->peak_pps)
		b->peak_pps = n / dt;
}

static int sizes_sample(struct ws_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.sizes_counters);
	uint32_t key;
	int i, dir, err;

	for (i = 0; i < s->o->n_ifaces; i++) {
		for (dir = 0; dir < WS_NDIRS; dir++) {
			key = i * WS_NDIRS + dir;
			err = ws_percpu_sum_u64(fd, &key, s->ncpus,
						(uint64_t *)&cur.c[i][dir],
						NWORDS);
			if (err)
				return err;
		}
	}
	for (i = 0; i < s->o->n_ifaces; i++)
		busy_account(i, s->elapsed - busy_t);
	busy_t = s->elapsed;
	return 0;
}

void sizes_rx_rates(int i, double elapsed, struct ws_rx_rates *out)
{
	const struct busy *b = &busy[i];

	*out = (struct ws_rx_rates){
		.packets = b->packets,
		.small = b->small,
		.secs = elapsed,
		.busy_packets = b->busy_packets,
		.busy_small = b->busy_small,
		.busy_secs = b->busy_secs,
		.peak_pps = b->peak_pps,
	};
}

/* Point interface @ifindex at counter slot @slot (slots are stored +1). */
int sizes_set_slot(struct wirescope_bpf *skel, uint32_t ifindex, uint32_t slot)
{
	uint32_t val = slot + 1;
	int fd = ifindex < WS_IFINDEX_DIRECT
		     ? bpf_map__fd(skel->maps.sizes_slot_of)
		     : bpf_map__fd(skel->maps.sizes_slot_big);

	return bpf_map_update_elem(fd, &ifindex, &val, BPF_ANY) ? -errno : 0;
}

static int sizes_start(struct ws_session *s)
{
	int i, err;

	for (i = 0; i < s->o->n_ifaces; i++) {
		if (s->o->ifaces[i].missing) /* no ifindex, nothing counted */
			continue;
		err = sizes_set_slot(s->skel, s->o->ifaces[i].ifindex, i);
		if (err)
			return err;
	}
	err = sizes_sample(s);
	base = cur;
	prev = cur;
	for (i = 0; i < s->o->n_ifaces; i++)
		busy_prev[i] = cur.c[i][WS_RX];
	memset(busy, 0, sizeof(busy));
	busy_t = s->elapsed;
	return err;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static void print_header(struct ws_session *s)
{
	char small[16];
	int b;

	snprintf(small, sizeof(small), "<%uB%%", s->o->small);
	fprintf(s->out, "%s%-8s %-2s %6s %6s %6s",
		s->o->timestamp ? "TIME     " : "", "IFACE", "DIR", "PPS",
		"BIT/S", small);
	for (b = 0; b < WS_SIZE_NBUCKETS; b++)
		fprintf(s->out, " %6s", short_names[b]);
	fputc('\n', s->out);
}

static void print_text_row(struct ws_session *s, const char *iface, int dir,
			   const struct sizes_counters *d, double secs)
{
	char t[16], a[16], b[16], p[16];
	int k;

	if (s->o->timestamp) {
		ws_fmt_time(t, sizeof(t), false);
		fprintf(s->out, "%-8s ", t);
	}
	fprintf(s->out, "%-8s %-2s %6s %6s %6s", iface, dir_names[dir],
		ws_human(d->packets / secs, a, sizeof(a)),
		ws_human(d->bytes * 8 / secs, b, sizeof(b)),
		ws_fmt_pct(d->small, d->packets, p, sizeof(p)));
	for (k = 0; k < WS_SIZE_NBUCKETS; k++)
		fprintf(s->out, " %6s", ws_human(d->bucket[k], a, sizeof(a)));
	fputc('\n', s->out);
}

static void json_buckets(struct ws_json *j, const struct sizes_counters *d)
{
	int k;

	json_obj_begin(j, "buckets");
	for (k = 0; k < WS_SIZE_NBUCKETS; k++)
		json_u64(j, ws_size_bucket_names[k], d->bucket[k]);
	json_obj_end(j);
}

static void print_json(struct ws_session *s, const char *type,
		       const char *iface, int dir,
		       const struct sizes_counters *d, double secs)
{
	struct ws_json j;

	json_begin(&j, s->out, type);
	json_str(&j, "iface", iface);
	json_str(&j, "dir", dir_names[dir]);
	json_double(&j, type[0] == 'i' ? "interval_s" : "duration_s", secs);
	json_u64(&j, "packets", d->packets);
	json_u64(&j, "bytes", d->bytes);
	if (type[0] == 'i') {
		json_double(&j, "pps", secs > 0 ? d->packets / secs : 0);
		json_double(&j, "bps", secs > 0 ? d->bytes * 8 / secs : 0);
	}
	json_u64(&j, "small_threshold", s->o->small);
	json_u64(&j, "small", d->small);
	json_pct_or_null(&j, "small_pct", d->small, d->packets);
	json_buckets(&j, d);
	json_end(&j);
}

static void print_hist(struct ws_session *s, const char *iface, int dir,
		       const struct sizes_counters *d)
{
	char label[40];

	snprintf(label, sizeof(label), "%s %s bytes", iface, dir_names[dir]);
	ws_print_bar_hist(s->out, label, ws_size_bucket_names,
			  (const uint64_t *)d->bucket, WS_SIZE_NBUCKETS);
}

static void sizes_interval(struct ws_session *s, double secs)
{
	struct sizes_counters d;
	int i, dir;

	if (!s->o->json && (lines % HEADER_EVERY == 0 || s->o->hist))
		print_header(s);
	lines++;
	for (i = 0; i < s->o->n_ifaces; i++) {
		if (s->o->ifaces[i].gone)
			continue; /* no longer watched: no rows, not 0 */
		for (dir = 0; dir < WS_NDIRS; dir++) {
			const char *name = s->o->ifaces[i].name;

			counters_sub(&cur.c[i][dir], &prev.c[i][dir], &d);
			if (s->o->json)
				print_json(s, "interval", name, dir, &d, secs);
			else
				print_text_row(s, name, dir, &d, secs);
			if (s->o->hist && !s->o->json)
				print_hist(s, name, dir, &d);
		}
	}
	prev = cur;
}

static void print_summary_text(struct ws_session *s, int i, int dir,
			       const struct sizes_counters *d)
{
	char p[16];
	int k;

	fprintf(s->out, "%-8s %-2s %12llu %14llu %7s", s->o->ifaces[i].name,
		dir_names[dir], d->packets, d->bytes,
		ws_fmt_pct(d->small, d->packets, p, sizeof(p)));
	for (k = 0; k < WS_SIZE_NBUCKETS; k++)
		fprintf(s->out, " %s=%llu", short_names[k], d->bucket[k]);
	fputc('\n', s->out);
}

static void sizes_summary(struct ws_session *s)
{
	struct sizes_counters d;
	int i, dir;

	if (!s->o->json)
		fprintf(
		    s->out,
		    "\nSummary over %.1f s (frames < %u bytes are 'small'):\n"
		    "%-8s %-2s %12s %14s %7s buckets\n",
		    s->elapsed, s->o->small, "IFACE", "DIR", "PACKETS", "BYTES",
		    "SMALL");
	for (i = 0; i < s->o->n_ifaces; i++) {
		for (dir = 0; dir < WS_NDIRS; dir++) {
			sizes_total(i, dir, &d);
			if (s->o->json)
				print_json(s, "summary", s->o->ifaces[i].name,
					   dir, &d, s->elapsed);
			else
				print_summary_text(s, i, dir, &d);
		}
	}
}

/* Upper bucket edges for Prometheus: the inclusive bounds of ws_size_bucket. */
static const double size_le[WS_SIZE_NBUCKETS - 1] = { 64,  127,	 255,
						      511, 1023, 1518 };

static void prom_iface_counter(struct ws_session *s, struct ws_buf *b,
			       const char *name, const char *help, int dir,
			       bool bytes)
{
	struct sizes_counters d;
	char labels[128]; /* an escaped name: up to 5 bytes a byte */
	int i;

	prom_family(b, name, "counter", help);
	for (i = 0; i < s->o->n_ifaces; i++) {
		if (s->o->ifaces[i].gone)
			continue;
		sizes_total(i, dir, &d);
		prom_labels(labels, sizeof(labels), "interface",
			    s->o->ifaces[i].label, NULL);
		prom_u64(b, name, labels, bytes ? d.bytes : d.packets);
	}
}

static void sizes_prom(struct ws_session *s, struct ws_buf *b)
{
	const char *name = "wirescope_packet_size_bytes";
	struct sizes_counters d;
	char labels[128];
	int i, dir;

	prom_iface_counter(s, b, "wirescope_receive_packets_total",
			   "Frames received, counted at the ingress hook (tc, "
			   "or XDP with -m).",
			   WS_RX, false);
	prom_iface_counter(
	    s, b, "wirescope_receive_bytes_total",
	    "Bytes received, Ethernet header included, FCS excluded.", WS_RX,
	    true);
	prom_iface_counter(
	    s, b, "wirescope_transmit_packets_total",
	    "Frames transmitted, GSO super-packets as wire frames.", WS_TX,
	    false);
	prom_iface_counter(
	    s, b, "wirescope_transmit_bytes_total",
	    "Bytes transmitted, Ethernet header included, FCS excluded.", WS_TX,
	    true);
	prom_family(b, name, "histogram",
		    "On-wire frame size by interface and direction.");
	for (i = 0; i < s->o->n_ifaces; i++) {
		if (s->o->ifaces[i].gone)
			continue;
		for (dir = 0; dir < WS_NDIRS; dir++) {
			sizes_total(i, dir, &d);
			prom_labels(labels, sizeof(labels), "interface",
				    s->o->ifaces[i].label, "dir",
				    dir_names[dir], NULL);
			prom_histogram(b, name, labels, size_le,
				       (const uint64_t *)d.bucket,
				       WS_SIZE_NBUCKETS, d.bytes, 1.0);
		}
	}
}

/*
 * The seed: 88% of packets under 75 B at 300-500 kpps.  Below 10 kpps
 * small packets cost a CPU little whatever their share; from there, a
 * majority of them is a warning, and 80% at 100 kpps is critical: the
 * per-packet cost (interrupts, softirq, syscalls) dominates, not the bytes.
 *
 * Rates are over the busy seconds (struct ws_rx_rates): a 4 s flood at
 * 50 kpps in a 14 s run is 50 kpps, not 14 s's average of 14 kpps.  The
 * busiest interval (peak) and the whole run's average come along.  A run
 * with no busy interval (shorter than one) falls back to the whole run.
 */
void find_small_packets(const char *iface, const struct ws_rx_rates *r,
			unsigned threshold, struct ws_findings *f)
{
	bool by_busy = r->busy_secs > 0;
	double secs = by_busy ? r->busy_secs : r->secs;
	uint64_t n = by_busy ? r->busy_packets : r->packets;
	uint64_t sm = by_busy ? r->busy_small : r->small;
	double pps = secs > 0 ? n / secs : 0, sh = pct(sm, n);
	double run_pps = r->secs > 0 ? r->packets / r->secs : 0;
	double peak = r->peak_pps > pps ? r->peak_pps : pps;
	struct ws_finding *x;
	char a[16], p[16];

	if (pps < 10000 || sh < 50)
		return;
	x = ws_finding_add(f, "small_packets",
			   pps >= 100000 && sh >= 80 ? WS_SEV_CRITICAL
						     : WS_SEV_WARNING,
			   secs >= 3 ? 0.9 : 0.7,
			   "%.1f%% of the %s packets/s arriving on %s are "
			   "under %u bytes (mean of %.0f busy s, peak %s)",
			   sh, ws_human(pps, a, sizeof(a)), iface, threshold,
			   secs, ws_human(peak, p, sizeof(p)));
	ws_evidence_str(x, "iface", iface);
	ws_evidence_num(x, "small_pct", sh);
	ws_evidence_num(x, "small_threshold", threshold);
	ws_evidence_str(x, "rate_basis", by_busy ? "busy_seconds" : "run");
	ws_evidence_num(x, "rx_pps", pps);
	ws_evidence_num(x, "rx_pps_peak", peak);
	ws_evidence_num(x, "rx_pps_run", run_pps);
	ws_evidence_num(x, "small_pps", secs > 0 ? sm / secs : 0);
	ws_evidence_num(x, "busy_s", secs);
	ws_evidence_num(x, "run_s", r->secs);
	ws_evidence_num(x, "rx_packets", r->packets);
	ws_advice(x,
		  "the per-packet cost dominates, not bandwidth: spread "
		  "receive work over CPUs (RSS `ethtool -L %s combined N`, "
		  "RPS, irqbalance) and keep GRO on (`ethtool -K %s gro "
		  "on`); if these are short TCP connections (the seed: "
		  "HTTP POSTs without keep-alive behind IPVS), enable "
		  "keep-alive and connection reuse on clients and the load "
		  "balancer and check accept queues (wirescope accept); if "
		  "it is a flood, rate-limit it upstream",
		  iface, iface);
}

static void sizes_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_rx_rates r;
	int i;

	for (i = 0; i < s->o->n_ifaces; i++) {
		sizes_rx_rates(i, s->elapsed, &r);
		find_small_packets(s->o->ifaces[i].name, &r, s->o->small, f);
	}
}

const struct ws_collector ws_sizes_collector = {
	.name = "sizes",
	.map_prefix = "sizes_",
	.needs_hooks = true,
	.configure = sizes_configure,
	.start = sizes_start,
	.sample = sizes_sample,
	.interval = sizes_interval,
	.summary = sizes_summary,
	.prom = sizes_prom,
	.findings = sizes_findings,
};
