// SPDX-License-Identifier: GPL-2.0
/*
 * The whole command line, as `wirescope ARGS...` would see it, up to the
 * start of the session (stub_session.c checks the parsed options and
 * returns).  Every command in user/main.c's table is reached through its
 * name, so new commands are fuzzed without touching this file.  The input
 * is the arguments separated by NUL bytes.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 24

int ws_cli_main(int argc, char **argv);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p, *end;
	int argc = 1, rc;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "wirescope";
	for (p = buf, end = buf + size; p <= end && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	if (size && !data[size - 1])
		argc--; /* a trailing NUL ends the last argument */
	argv[argc] = NULL;
	optind = 0; /* full getopt reset between runs */
	rc = ws_cli_main(argc, argv);
	if (rc < 0 || rc > 8)
		abort(); /* only the documented exit codes */
	free(buf);
	return 0;
}
