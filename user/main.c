// SPDX-License-Identifier: GPL-2.0
/* wirescope: one binary, one subcommand per job. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "commands/commands.h"

#ifndef WS_VERSION
#define WS_VERSION "unknown"
#endif

static const struct ws_command commands[] = {
	{ "sizes", "packets by on-wire size, per interface and direction",
	  cmd_sizes },
	{ "handshakes", "TCP handshakes: counts, latency, unanswered SYNs",
	  cmd_handshakes },
	{ "accept", "accept queues per listener: depth, overflows, verdict",
	  cmd_accept },
	{ "resets",
	  "who sent each TCP RST: this host, the peer, or a middlebox",
	  cmd_resets },
	{ "diag", "watch a few seconds, then name the problem and the fix",
	  cmd_diag },
	{ "export", "Prometheus exporter: every collector at /metrics",
	  cmd_export },
};

#define NCOMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	int i;

	fprintf(f,
		"Usage: wirescope COMMAND [options]\n"
		"       wirescope COMMAND --help\n"
		"\n"
		"eBPF/XDP network observability: what the wire carries, seen\n"
		"from the driver, in seconds.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f,
		"\nOptions:\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"\n"
		"Run as root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN).  Linux >= "
		"5.10 with BTF.\n");
}

/* One line on stderr: what was wrong, and the commands there are. */
static int command_error(const char *what, const char *cmd)
{
	char names[128] = "";
	int i, n = 0;

	for (i = 0; i < NCOMMANDS && n < (int)sizeof(names); i++)
		n += snprintf(names + n, sizeof(names) - n, "%s%s",
			      i ? ", " : "", commands[i].name);
	fprintf(stderr,
		"wirescope: %s%s%s%s; the commands are %s (see "
		"'wirescope --help')\n",
		what, cmd ? " '" : "", cmd ? cmd : "", cmd ? "'" : "", names);
	return WS_EXIT_USAGE;
}

/*
 * 128 + N: stopped by signal N before it began watching, all detached.
 * End by that signal, as the shell and systemd expect of a stop.
 */
static int end_by_signal(int rc, const sigset_t *stop_signals)
{
	if (rc <= 128 || !sigismember(stop_signals, rc - 128))
		return rc;
	fflush(NULL);
	signal(rc - 128, SIG_DFL);
	raise(rc - 128);
	sigprocmask(SIG_UNBLOCK, stop_signals, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	sigset_t stop_signals;
	int i;

	/* Before anything is loaded: see ws_session_run(). */
	ws_block_stop_signals(&stop_signals);
	ws_hold_std_fds();
	if (!cmd)
		return command_error("no command given", NULL);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return ws_output_exit(stdout);
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("wirescope %s\n", WS_VERSION);
		return ws_output_exit(stdout);
	}
	opterr = 0; /* we word the errors ourselves */
	ws_argv = argv + 1;
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return end_by_signal(
			    commands[i].main(argc - 1, argv + 1),
			    &stop_signals);
	return command_error(cmd[0] == '-' ? "options follow the command, "
					     "not before it: at"
					   : "unknown command",
			     cmd);
}
