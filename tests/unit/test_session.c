// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop's timing as a user sees it: -d ends the watch at -d (the
 * last interval shorter, its rates over its real length), count still
 * counts intervals, and a stop signal mid-interval ends it at once.  Runs
 * whole sessions with a probe collector that needs no interface (root).
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include "unit.h"
#include "core/core.h"

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

int main(void)
{
	static const char *const names[] = {
		"-d 1.2 with 0.5 s intervals",
		"-d 0.3 with 1 s intervals",
		"count within -d",
		"SIGINT mid-interval",
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
	return unit_exit();
}
