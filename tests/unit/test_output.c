// SPDX-License-Identifier: GPL-2.0
/* ws_output_check(): a write that fails is an error, a reader gone is not. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
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

enum addr_format { ENDPOINT, SCOPED };

/*
 * @family @addr as ws_fmt_endpoint() prints it with port 80 (ENDPOINT), or
 * ws_fmt_addr_scoped() on lo, ifindex 1 (SCOPED), is @want.
 */
static void check_format(enum addr_format how, int family, const char *addr,
			 const char *want)
{
	uint8_t a[16] = { 0 };
	char buf[WS_ADDRSTRLEN];

	CHECK(inet_pton(family, addr, a) == 1, "%s", addr);
	if (how == SCOPED)
		ws_fmt_addr_scoped(family, a, 1, buf, sizeof(buf));
	else
		ws_fmt_endpoint(family, a, 80, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "%s: got %s, expected %s", addr, buf, want);
}

/*
 * A dual-stack socket's IPv4 peer (::ffff:a.b.c.d) prints as the wire
 * shows it and as resets and retransmits print it.
 */
static void test_endpoints(void)
{
	case_begin("endpoints: IPv4, IPv6 in brackets, IPv4-mapped as IPv4");
	check_format(ENDPOINT, AF_INET, "198.18.0.1", "198.18.0.1:80");
	check_format(ENDPOINT, AF_INET6, "2001:db8::1", "[2001:db8::1]:80");
	check_format(ENDPOINT, AF_INET6, "::ffff:198.18.0.1", "198.18.0.1:80");
	check_format(ENDPOINT, AF_INET6, "::198.18.0.1", "[::198.18.0.1]:80");
	case_end();
}

static void test_scoped(void)
{
	case_begin("a link-local address carries its interface, no other");
	check_format(SCOPED, AF_INET6, "fe80::1", "fe80::1%lo");
	check_format(SCOPED, AF_INET6, "febf::1", "febf::1%lo");
	check_format(SCOPED, AF_INET6, "fec0::1", "fec0::1");
	check_format(SCOPED, AF_INET6, "2001:db8::1", "2001:db8::1");
	check_format(SCOPED, AF_INET, "198.18.0.1", "198.18.0.1");
	/* Its bytes begin as fe80::/10's: IPv4 all the same. */
	check_format(SCOPED, AF_INET, "254.128.0.1", "254.128.0.1");
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
	test_endpoints();
	test_scoped();
	return unit_exit();
}
