// SPDX-License-Identifier: GPL-2.0
/* ws_output_check(): a write that fails is an error, a reader gone is not. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "unit.h"
#include "core/core.h"

static void test_written(void)
{
	FILE *f = tmpfile();

	case_begin("output written to a file: 0");
	CHECK(f, "tmpfile");
	if (f) {
		fputs("line\n", f);
		CHECK_EQ(ws_output_check(f), 0, "check");
		CHECK_EQ(ws_output_exit(f), WS_EXIT_OK, "exit code");
		fclose(f);
	}
	case_end();
}

static void test_full_disk(void)
{
	FILE *f = fopen("/dev/full", "w");

	case_begin("output into a full disk: exit 8");
	CHECK(f, "/dev/full");
	if (f) {
		fputs("line\n", f);
		CHECK_EQ(ws_output_check(f), WS_EXIT_RUNTIME, "check");
		fclose(f);
	}
	case_end();
}

/* What ws_hold_std_fds() leaves on a closed stdout. */
static void test_closed_stdout(void)
{
	FILE *f = fopen("/dev/null", "r");

	case_begin("output into a closed stdout (held read-only): exit 8");
	CHECK(f, "/dev/null");
	if (f) {
		fputs("line\n", f);
		CHECK_EQ(ws_output_exit(f), WS_EXIT_RUNTIME, "exit code");
		fclose(f);
	}
	case_end();
}

static void test_reader_gone(void)
{
	int p[2];
	FILE *f;

	case_begin("output into a pipe whose reader is gone: quiet");
	signal(SIGPIPE, SIG_IGN);
	CHECK(!pipe(p), "pipe");
	close(p[0]);
	f = fdopen(p[1], "w");
	CHECK(f, "fdopen");
	if (f) {
		fputs("line\n", f);
		CHECK_EQ(ws_output_check(f), -EPIPE, "check");
		CHECK_EQ(ws_output_exit(f), WS_EXIT_OK, "exit code");
		fclose(f);
	}
	case_end();
}

static void test_hold_std_fds(void)
{
	int saved = dup(STDIN_FILENO);

	case_begin("a closed stdin is held on /dev/null, not left free");
	close(STDIN_FILENO);
	ws_hold_std_fds();
	CHECK(fcntl(STDIN_FILENO, F_GETFD) >= 0, "fd 0 still closed");
	CHECK_EQ(fcntl(STDIN_FILENO, F_GETFL) & O_ACCMODE, O_RDONLY, "mode");
	dup2(saved, STDIN_FILENO);
	close(saved);
	case_end();
}

int main(void)
{
	test_written();
	test_full_disk();
	test_closed_stdout();
	test_reader_gone();
	test_hold_std_fds();
	return unit_exit();
}
