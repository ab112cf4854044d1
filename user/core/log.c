// SPDX-License-Identifier: GPL-2.0
/* Logging: one line to stderr, prefixed with the program name. */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core.h"
#include "core/log.h"

const char *ws_prog = "wirescope";

/* One write per line, whatever its length; fprintf if memory is short. */
static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char *body, *line;
	int len;

	if (vasprintf(&body, fmt, ap) < 0) {
		fprintf(stderr, "%s: %s%s\n", ws_prog, prefix, fmt);
		return;
	}
	len = asprintf(&line, "%s: %s%s\n", ws_prog, prefix, body);
	if (len < 0)
		fprintf(stderr, "%s: %s%s\n", ws_prog, prefix, body);
	else if (!ws_output_stderr_write(line, len))
		fputs(line, stderr);
	if (len >= 0)
		free(line);
	free(body);
}

int ws_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
	return code;
}

void ws_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}
