// SPDX-License-Identifier: GPL-2.0
/* Logging: one line to stderr, prefixed with the program name. */
#include <stdarg.h>
#include <stdio.h>
#include "core/log.h"

const char *ws_prog = "wirescope";

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", ws_prog, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
