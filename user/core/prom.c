// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition format 0.0.4 into a growable buffer. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "core/core.h"

/* Room for @extra more bytes and a NUL; false (and sticky oom) if none. */
static bool buf_reserve(struct ws_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap;
	char *p;

	if (b->oom)
		return false;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void ws_buf_printf(struct ws_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ws_buf_append(struct ws_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void ws_buf_free(struct ws_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void prom_family(struct ws_buf *b, const char *name, const char *type,
		 const char *help)
{
	ws_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		      type);
}

void prom_u64(struct ws_buf *b, const char *name, const char *labels,
	      uint64_t v)
{
	if (labels && *labels)
		ws_buf_printf(b, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		ws_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

void prom_counter(struct ws_buf *b, const char *name, const char *help,
		  const char *labels, uint64_t v)
{
	prom_family(b, name, "counter", help);
	prom_u64(b, name, labels, v);
}

void prom_double(struct ws_buf *b, const char *name, const char *labels,
		 double v)
{
	if (labels && *labels)
		ws_buf_printf(b, "%s{%s} %.9g\n", name, labels, v);
	else
		ws_buf_printf(b, "%s %.9g\n", name, v);
}

/*
 * Bytes in the well-formed UTF-8 sequence at @s (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), 0 if it is not one.  Stops
 * at the first bad byte, so never reads past a NUL.
 */
static int utf8_seq_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* The character at @s as a label value writes it; *@used: bytes of @s. */
static int escape_char(char *out, const unsigned char *s, int *used)
{
	int n = utf8_seq_len(s);

	*used = n ? n : 1;
	if (*s == '\\' || *s == '"')
		return sprintf(out, "\\%c", *s);
	if (*s == '\n')
		return sprintf(out, "\\n");
	/* \xHH as text, so "\\xHH" here: the format has no other escape */
	if (!n || *s < 0x20 || *s == 0x7f)
		return sprintf(out, "\\\\x%02x", *s);
	memcpy(out, s, n);
	return n;
}

/*
 * Prometheus rejects the whole scrape for one label value that is not
 * UTF-8, and Linux takes any byte in an interface name but '/', ':' and
 * white space: a byte outside a valid sequence, or a control character,
 * becomes the text \xHH (docs/metrics.md).  Truncates between characters.
 */
void prom_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;
	char piece[8];
	int n, used;

	while (*s) {
		n = escape_char(piece, s, &used);
		if (o + n >= len)
			break;
		memcpy(dst + o, piece, n);
		o += n;
		s += used;
	}
	dst[o] = '\0';
}

const char *prom_labels(char *dst, size_t len, ...)
{
	const char *name, *val;
	char esc[256];
	size_t o = 0;
	va_list ap;
	int n;

	dst[0] = '\0';
	va_start(ap, len);
	while ((name = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		prom_escape(esc, sizeof(esc), val);
		n = snprintf(dst + o, len - o, "%s%s=\"%s\"", o ? "," : "",
			     name, esc);
		if (n < 0 || (size_t)n >= len - o) {
			dst[o] = '\0'; /* no half pair, no open quote */
			break;
		}
		o += (size_t)n;
	}
	va_end(ap);
	return dst;
}

void prom_histogram(struct ws_buf *b, const char *name, const char *labels,
		    const double *le, const uint64_t *counts, int n,
		    uint64_t sum, double unit)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	int i;

	if (!labels)
		labels = "";
	for (i = 0; i < n; i++) {
		cum += counts[i];
		if (i < n - 1)
			ws_buf_printf(
			    b, "%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", name,
			    labels, sep, le[i], cum);
		else
			ws_buf_printf(
			    b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name,
			    labels, sep, cum);
	}
	if (unit == 1.0)
		ws_buf_printf(b, "%s_sum%s%s%s %" PRIu64 "\n", name,
			      *labels ? "{" : "", labels, *labels ? "}" : "",
			      sum);
	else
		ws_buf_printf(b, "%s_sum%s%s%s %.9g\n", name,
			      *labels ? "{" : "", labels, *labels ? "}" : "",
			      sum * unit);
	ws_buf_printf(b, "%s_count%s%s%s %" PRIu64 "\n", name,
		      *labels ? "{" : "", labels, *labels ? "}" : "", cum);
}

uint64_t prom_monotonic(uint64_t *high, uint64_t v)
{
	if ((int64_t)(v - *high) > 0)
		*high = v;
	return *high;
}

unsigned int prom_port_slot(struct prom_ports *p, unsigned int max,
			    uint16_t port)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->port[i] == port)
			return i;
	if (p->n >= max || p->n >= WS_PROM_MAX_PORTS)
		return WS_PROM_PORT_OTHER;
	p->port[p->n] = port;
	return p->n++;
}

const char *prom_port_name(const struct prom_ports *p, unsigned int slot,
			   char *buf, size_t len)
{
	if (slot >= p->n)
		return "other";
	snprintf(buf, len, "%u", p->port[slot]);
	return buf;
}

void prom_interfaces_watched(struct ws_buf *b, const struct ws_opts *o)
{
	const char *name = "wirescope_interface_watched";
	char labels[128]; /* an escaped name: up to 5 bytes a byte */
	int i;

	prom_family(b, name, "gauge",
		    "1 while the interface is watched; 0 once it is gone "
		    "(deleted or moved to another network namespace), or "
		    "while no interface has the name (--wait-interface).  One "
		    "re-created or appearing under its name ends the exporter "
		    "(exit 9), for its service manager to restart it.");
	for (i = 0; i < o->n_ifaces; i++) {
		if (o->ifaces[i].implicit)
			continue;
		prom_labels(labels, sizeof(labels), "interface",
			    o->ifaces[i].label, NULL);
		prom_u64(b, name, labels, !o->ifaces[i].gone);
	}
}
