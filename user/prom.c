// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition format 0.0.4 into a growable buffer. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "core.h"

void ws_buf_printf(struct ws_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < need)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
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

void prom_double(struct ws_buf *b, const char *name, const char *labels,
		 double v)
{
	if (labels && *labels)
		ws_buf_printf(b, "%s{%s} %.9g\n", name, labels, v);
	else
		ws_buf_printf(b, "%s %.9g\n", name, v);
}

void prom_escape(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 3 < len; src++) {
		if (*src == '\\' || *src == '"') {
			dst[o++] = '\\';
			dst[o++] = *src;
		} else if (*src == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = *src;
		}
	}
	dst[o] = '\0';
}
