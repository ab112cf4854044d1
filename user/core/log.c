// SPDX-License-Identifier: GPL-2.0
/* Logging: one line to stderr, prefixed with the program name. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "core/core.h"
#include "core/log.h"

const char *ws_prog = "wirescope";

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n, len;

	n = snprintf(line, sizeof(line), "%s: %s", ws_prog, prefix);
	len = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	len = len < 0 ? n : len + n;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	line[len] = '\0';
	if (!ws_output_stderr_write(line, len))
		fputs(line, stderr);
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
