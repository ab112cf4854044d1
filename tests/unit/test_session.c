// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop's timing as a user sees it: -d ends the watch at -d (the
 * last interval shorter, its rates over its real length), count still
 * counts intervals, and a stop signal mid-interval ends it at once.  Runs
 * whole sessions with a probe collector that needs no interface (root).
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <arpa/inet.h>
#include "unit.h"
#include "core/core.h"
#include "core/netlink.h"

#define MAX_TICKS 16

static double secs[MAX_TICKS];
static int nticks; /* may pass MAX_TICKS: counted, not recorded */
static bool first_taken, second_seen;

static void record(struct ws_session *s, double dt)
{
	if (nticks < MAX_TICKS)
		secs[nticks] = dt;
	nticks++;
}

/* At the summary: the signal that ended the watch is spent; a new one is
 * seen (what resets --locate's stop probes check). */
static void at_summary(struct ws_session *s)
{
	first_taken = !ws_session_stopped_again(s);
	kill(getpid(), SIGINT);
	second_seen = ws_session_stopped_again(s);
}

static const struct ws_collector probe = {
	.name = "probe",
	.interval = record,
	.summary = at_summary,
};

static int run(double interval, long count, double duration, double *elapsed)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	int err;

	ws_opts_init(&o);
	o.interval = interval;
	o.count = count;
	o.duration = duration;
	nticks = 0;
	first_taken = second_seen = false;
	ws_session_add(&s, &probe);
	err = ws_session_run(&s);
	*elapsed = s.elapsed;
	return err;
}

/*
 * Within 0.2 s: room for a loaded CI machine, and still far from the old
 * loop's whole intervals, 0.3 s or more off in every case below.
 */
static bool near(double v, double want)
{
	return fabs(v - want) < 0.2;
}

static void test_duration_not_rounded_up(void)
{
	double el;

	case_begin("-d 1.2 with 0.5 s intervals: 0.5, 0.5, 0.2 s, ends at 1.2");
	CHECK_EQ(run(0.5, 0, 1.2, &el), 0, "exit");
	CHECK_EQ(nticks, 3, "intervals");
	CHECK(near(secs[0], 0.5) && near(secs[1], 0.5), "%g %g", secs[0],
	      secs[1]);
	CHECK(near(secs[2], 0.2), "last interval %g s, not its real length",
	      secs[2]);
	CHECK(el >= 1.2 && el < 1.45, "watched %g s of -d 1.2", el);
	case_end();
}

static void test_duration_below_interval(void)
{
	double el;

	case_begin("-d 0.3 with 1 s intervals: one 0.3 s interval");
	CHECK_EQ(run(1, 0, 0.3, &el), 0, "exit");
	CHECK_EQ(nticks, 1, "intervals");
	CHECK(near(secs[0], 0.3), "interval %g s", secs[0]);
	CHECK(el >= 0.3 && el < 0.8, "watched %g s of -d 0.3", el);
	case_end();
}

static void test_count_within_duration(void)
{
	double el;

	case_begin("count 2 within -d 5: two whole intervals; count 5 "
		   "beyond -d 0.5: -d ends it");
	CHECK_EQ(run(0.2, 2, 5, &el), 0, "exit");
	CHECK_EQ(nticks, 2, "intervals");
	CHECK(near(secs[1], 0.2) && el < 0.8, "%g s, watched %g", secs[1], el);
	CHECK_EQ(run(0.4, 5, 0.5, &el), 0, "exit");
	CHECK_EQ(nticks, 2, "intervals");
	CHECK(near(secs[1], 0.1) && el < 0.75, "last %g s, watched %g", secs[1],
	      el);
	case_end();
}

static int sigint_fd = -1;

/* Armed once attached: the loop polls it, never reads it (stays ready). */
static int arm_sigint(struct ws_session *s)
{
	struct itimerspec its = { .it_value.tv_nsec = 300000000 };

	return timerfd_settime(sigint_fd, 0, &its, NULL) ? WS_EXIT_RUNTIME : 0;
}

static int send_sigint(void *ctx)
{
	static bool sent;

	if (!sent)
		kill(getpid(), SIGINT);
	sent = true;
	return 0;
}

/*
 * SIGINT 0.3 s into a 1 s interval: the watch ends then, with no line for
 * the part interval (the summary has it), and the signal is taken: only
 * a second one asks the summary to hurry.
 */
static void test_sigint_mid_interval(void)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o, .on_ready = arm_sigint };
	int err;

	case_begin("SIGINT mid-interval: ends at once; a second one is seen");
	sigint_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	CHECK(sigint_fd >= 0, "timerfd");
	ws_opts_init(&o);
	nticks = 0;
	ws_session_add(&s, &probe);
	ws_session_add_poller(&s, sigint_fd, send_sigint, NULL);
	err = ws_session_run(&s);
	CHECK_EQ(err, 0, "exit");
	CHECK_EQ(nticks, 0, "intervals");
	CHECK(s.elapsed >= 0.29 && s.elapsed < 0.8, "watched %g s", s.elapsed);
	CHECK(first_taken, "the first signal still pending at the summary");
	CHECK(second_seen, "a second signal not seen");
	if (sigint_fd >= 0)
		close(sigint_fd);
	case_end();
}

/*
 * A session with -i lo already gone, as if deleted and then re-created (a
 * "lo" is here), and -i @other (on lo too, @other_gone or not) if not
 * NULL, a name no interface has; with export's flags if @export.
 */
static int run_back(bool export, const char *other, bool other_gone,
		    double *elapsed)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o,
				.outlive_ifaces = export,
				.restart_when_back = export };
	int err;

	ws_opts_init(&o);
	o.interval = 0.1;
	o.duration = 1;
	if (ws_add_iface(&o, "lo"))
		return -1;
	o.ifaces[0].gone = true;
	if (other) {
		o.ifaces[1] = o.ifaces[0];
		o.ifaces[1].gone = other_gone;
		strcpy(o.ifaces[1].label, other);
		o.n_ifaces = 2;
	}
	nticks = 0;
	ws_session_add(&s, &probe);
	err = ws_session_run(&s);
	*elapsed = s.elapsed;
	return err;
}

/*
 * export cannot attach once it has dropped its privileges: a gone -i
 * interface back under its name ends it at the next tick with exit 9, for
 * its service manager to restart it, but not while another -i name is
 * missing (the restart would exit 5).  The other commands are unchanged.
 */
static void test_export_exits_when_back(void)
{
	double el;

	case_begin("export: a gone -i name back: exit 9 at the next tick; "
		   "not while another -i name is missing; only export");
	CHECK_EQ(run_back(true, NULL, false, &el), WS_EXIT_REATTACH, "exit");
	CHECK(nticks == 1, "%d ticks watched before the exit (%g s)", nticks,
	      el);
	CHECK_EQ(run_back(true, "h_reattach_no0", true, &el), 0,
		 "exit, another gone and not back");
	CHECK(near(el, 1), "watched %g s", el);
	CHECK_EQ(run_back(true, "h_reattach_no0", false, &el), 0,
		 "exit, another renamed away");
	CHECK_EQ(run_back(false, NULL, false, &el), WS_EXIT_IFACE,
		 "exit, not export");
	case_end();
}

static int wait_option(int c, const char *arg, struct ws_opts *o,
		       const char *cmd, void *ctx)
{
	if (c != WS_OPT_CMD_BASE)
		return -1;
	o->wait_ifaces = true; /* as export's --wait-interface */
	return 0;
}

/* @argv parsed as export's -i and --wait-interface (cmd_export.c). */
static int parse_export(struct ws_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		{ "wait-interface", no_argument, NULL, WS_OPT_CMD_BASE },
		{},
	};
	static const struct ws_cmd cmd = { "export", "", longopts, wait_option,
					   WS_CMD_NEED_IFACE |
					       WS_CMD_NO_POSITIONALS };

	ws_opts_init(o);
	ws_argv = argv;
	optind = 0;
	return ws_parse_args(&cmd, argc, argv, o, NULL);
}

/* A session on @o for 1 s of 0.1 s ticks, with export's flags. */
static int run_export(struct ws_opts *o, double *elapsed)
{
	struct ws_session s = { .o = o,
				.outlive_ifaces = true,
				.restart_when_back = true };
	int err;

	o->interval = 0.1;
	o->duration = 1;
	nticks = 0;
	ws_session_add(&s, &probe);
	err = ws_session_run(&s);
	*elapsed = s.elapsed;
	return err;
}

/*
 * An -i name no interface has at start: exit 5 at once, but with
 * --wait-interface (before or after it) export serves without it, gone
 * from the start, and exits 9 at the first tick it exists (the back path
 * of a deleted one), even while another -i name is still missing: a
 * restart with the option waits for that one instead of exiting 5.
 */
static void test_export_waits_for_missing(void)
{
	char *no[] = { "export", "-i", "h_wait_no0", NULL };
	char *after[] = { "export",	"-i",
			  "h_wait_no0", "--wait-interface",
			  "-i",		"h_wait_no1",
			  NULL };
	char *wait[] = { "export", "-i", "h_wait_no0", "--wait-interface",
			 NULL };
	char *wait_two[] = { "export", "--wait-interface", "-i", "h_wait_no0",
			     "-i",     "h_wait_no1",	   NULL };
	struct ws_opts o;
	double el;

	case_begin("export: an -i name missing at start: exit 5 at once; "
		   "--wait-interface serves without it, exit 9 once it exists");
	CHECK_EQ(parse_export(&o, 3, no), WS_EXIT_IFACE, "no option: parse");
	CHECK_EQ(parse_export(&o, 6, after), -1, "the option after -i");
	CHECK(o.n_ifaces == 2 && o.ifaces[0].missing && o.ifaces[1].gone,
	      "two -i names, missing and gone (%d)", o.n_ifaces);
	CHECK_EQ(parse_export(&o, 4, wait), -1, "the option: parse");
	CHECK(o.ifaces[0].missing && o.ifaces[0].gone && !o.ifaces[0].ifindex,
	      "missing, gone, no ifindex");
	CHECK_EQ(run_export(&o, &el), 0, "exit, still missing");
	CHECK(near(el, 1) && nticks >= 9, "served %g s, %d ticks", el, nticks);
	parse_export(&o, 4, wait);
	strcpy(o.ifaces[0].label, "lo"); /* as if it appeared */
	CHECK_EQ(run_export(&o, &el), WS_EXIT_REATTACH, "exit, there now");
	CHECK(nticks == 1, "%d ticks before the exit (%g s)", nticks, el);
	parse_export(&o, 6, wait_two);
	strcpy(o.ifaces[0].label, "lo");
	CHECK_EQ(run_export(&o, &el), WS_EXIT_REATTACH,
		 "exit, there now, another still missing");
	CHECK(nticks == 1, "%d ticks before the exit (%g s)", nticks, el);
	case_end();
}

#define ROUNDS 4 /* the starts, two ticks, the final sample */

static int opened[ROUNDS]; /* a listener per round, opened after reading */
static uint32_t opened_ino[ROUNDS];
static unsigned long last_round;
static int rounds, reads, kept_before, fresh_seen;
static bool now_seen;

static bool has_inode(const struct nl_listener *v, int n, uint32_t ino)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].inode == ino)
			return true;
	return false;
}

/* A new listener on 127.0.0.1 (any port): its inode, or 0. */
static uint32_t open_listener(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stat st;

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(*fd, 8) || fstat(*fd, &st))
		return 0;
	return st.st_ino;
}

/* First in each round: reads, then opens a listener the round's other
 * readers must not see (they share its dump); the next round must. */
static int opener_round(struct ws_session *s)
{
	const struct nl_listener *v;
	int n = ws_session_listeners(s, &v);

	if (n < 0 || s->round == last_round || rounds == ROUNDS)
		return 0;
	last_round = s->round;
	if (rounds && has_inode(v, n, opened_ino[rounds - 1]))
		kept_before++;
	opened_ino[rounds] = open_listener(&opened[rounds]);
	rounds++;
	return 0;
}

static int reader_round(struct ws_session *s)
{
	const struct nl_listener *v;
	int n = ws_session_listeners(s, &v);

	if (n < 0 || !rounds)
		return 0;
	reads++;
	fresh_seen += has_inode(v, n, opened_ino[rounds - 1]);
	return 0;
}

static void opener_summary(struct ws_session *s)
{
	opener_round(s);
}

/* The last call of all: then a dump of its own sees the new listener. */
static void reader_summary(struct ws_session *s)
{
	const struct nl_listener *v;
	int n;

	reader_round(s);
	n = ws_session_listeners_now(s, &v);
	now_seen = n >= 0 && rounds && has_inode(v, n, opened_ino[rounds - 1]);
}

static const struct ws_collector opener = {
	.name = "opener",
	.start = opener_round,
	.sample = opener_round,
	.summary = opener_summary,
};

static const struct ws_collector reader = {
	.name = "reader",
	.start = reader_round,
	.sample = reader_round,
	.summary = reader_summary,
};

/*
 * Collectors of one round (the starts, a tick, the final sample and the
 * summaries) share one listener dump: a listener opened between two
 * readers of a round is seen only by the next round's.  The reader reads
 * five times: the final round has a sample and a summary.
 */
static void test_listeners_one_dump_per_round(void)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	int i;

	case_begin("listeners: one sock_diag dump per round, shared");
	ws_opts_init(&o);
	o.interval = 0.2;
	o.count = 2;
	ws_session_add(&s, &opener);
	ws_session_add(&s, &reader);
	CHECK_EQ(ws_session_run(&s), 0, "exit");
	CHECK_EQ(rounds, ROUNDS, "rounds the opener read");
	for (i = 0; i < rounds; i++)
		CHECK(opened_ino[i], "listener %d not opened", i);
	CHECK_EQ(reads, ROUNDS + 1, "times the reader read");
	CHECK_EQ(fresh_seen, 0,
		 "a second dump in a round (the reader saw "
		 "what the opener opened after the round's dump)");
	CHECK_EQ(kept_before, ROUNDS - 1,
		 "a new round's dump (the opener saw "
		 "what it opened the round before)");
	CHECK(now_seen, "ws_session_listeners_now() dumps afresh");
	for (i = 0; i < rounds; i++)
		if (opened[i] >= 0)
			close(opened[i]);
	case_end();
}

int main(void)
{
	static const char *const names[] = {
		"-d 1.2 with 0.5 s intervals",
		"-d 0.3 with 1 s intervals",
		"count within -d",
		"SIGINT mid-interval",
		"export: a gone -i name back",
		"export: an -i name missing at start",
		"listeners: one sock_diag dump per round, shared",
	};
	sigset_t mask;
	unsigned int i;

	if (geteuid()) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			case_skip(names[i], "needs root");
		return 0;
	}
	ws_block_stop_signals(&mask);
	test_duration_not_rounded_up();
	test_duration_below_interval();
	test_count_within_duration();
	test_sigint_mid_interval();
	test_export_exits_when_back();
	test_export_waits_for_missing();
	test_listeners_one_dump_per_round();
	return unit_exit();
}
