// SPDX-License-Identifier: GPL-2.0
/* ws_output_check(): a write that fails is an error, a reader gone is not. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "unit.h"
#include "core/core.h"

/* One line written to @path opened with @mode: the exit code it ends with. */
static void check_write(const char *name, const char *path, const char *mode,
			int want)
{
	FILE *f = path ? fopen(path, mode) : tmpfile();

	case_begin(name);
	CHECK(f, "%s", path ? path : "tmpfile");
	if (f) {
		fputs("line\n", f);
		CHECK_EQ(ws_output_exit(f), want, "exit code");
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
	check_write("output written to a file: 0", NULL, NULL, WS_EXIT_OK);
	check_write("output into a full disk: exit 8", "/dev/full", "w",
		    WS_EXIT_RUNTIME);
	/* What ws_hold_std_fds() leaves on a closed stdout. */
	check_write("output into a closed stdout (held read-only): exit 8",
		    "/dev/null", "r", WS_EXIT_RUNTIME);
	test_reader_gone();
	test_hold_std_fds();
	return unit_exit();
}
