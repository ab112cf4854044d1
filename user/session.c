// SPDX-License-Identifier: GPL-2.0
/*
 * Session lifecycle shared by every command:
 * open -> configure collectors -> load -> attach -> loop -> summary -> detach.
 * The loop waits on a signalfd and a CLOCK_MONOTONIC timerfd with poll();
 * each report is the delta of cumulative counters over the measured time.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "core.h"
#include "wirescope.skel.h"

static int verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (verbose < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, args);
}

void ws_session_add(struct ws_session *s, const struct ws_collector *c)
{
	if (s->n_collectors < WS_MAX_COLLECTORS)
		s->collectors[s->n_collectors++] = c;
}

int ws_session_add_poller(struct ws_session *s, int fd, int (*cb)(void *ctx),
			  void *ctx)
{
	const int max = sizeof(s->pollers) / sizeof(s->pollers[0]);

	if (s->n_pollers == max)
		return -E2BIG;
	s->pollers[s->n_pollers++] = (struct ws_poller){ fd, cb, ctx };
	return 0;
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

static int check_privileges(void)
{
	const int cap_bpf = 39, cap_perfmon = 38;

	if (has_cap(CAP_SYS_ADMIN) && has_cap(CAP_NET_ADMIN))
		return 0;
	if (has_cap(cap_bpf) && has_cap(cap_perfmon) && has_cap(CAP_NET_ADMIN))
		return 0;
	return ws_error(WS_EXIT_PERM, "must run as root (needs CAP_BPF, "
				      "CAP_PERFMON and CAP_NET_ADMIN)");
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool needs_hooks(const struct ws_session *s)
{
	int i;

	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->needs_hooks)
			return true;
	return false;
}

static bool is_hook_prog(const struct ws_session *s, struct bpf_program *p)
{
	return p == s->skel->progs.ws_xdp_ingress ||
	       p == s->skel->progs.ws_tc_egress ||
	       p == s->skel->progs.ws_tc_ingress;
}

/* Collectors switch on what they need in their configure hook. */
static int configure(struct ws_session *s)
{
	struct bpf_program *p;
	bool hooks = needs_hooks(s);
	int i, err;

	bpf_object__for_each_program(p, s->skel->obj)
	    bpf_program__set_autoload(p, hooks && is_hook_prog(s, p));
	for (i = 0; i < s->n_collectors; i++) {
		if (!s->collectors[i]->configure)
			continue;
		err = s->collectors[i]->configure(s);
		if (err)
			return err;
	}
	return 0;
}

static int attach_hooks(struct ws_session *s)
{
	struct ws_iface *ifc;
	int i, n;

	for (i = 0; i < s->o->n_ifaces; i++) {
		ifc = &s->o->ifaces[i];
		n = ws_hook_remove_stale(ifc);
		if (n > 0)
			ws_warn("%s: removed %d tc filter(s) left by a crashed "
				"wirescope",
				ifc->name, n);
		if (ws_hook_attach(ifc, s->skel, s->o->mode))
			return WS_EXIT_ATTACH;
		if (s->o->verbose)
			ws_warn("%s: ingress %s, egress %s", ifc->name,
				ws_hook_mode_name(ifc->hook.rx_mode),
				ws_hook_mode_name(ifc->hook.tx_mode));
	}
	return 0;
}

static int attach_tracepoints(struct ws_session *s)
{
	struct bpf_program *p;
	struct bpf_link *l;

	bpf_object__for_each_program(p, s->skel->obj)
	{
		if (!bpf_program__autoload(p) || is_hook_prog(s, p))
			continue;
		if (s->n_links == (int)(sizeof(s->links) / sizeof(s->links[0])))
			return ws_error(WS_EXIT_KERNEL, "too many programs");
		l = bpf_program__attach(p);
		if (!l)
			return ws_error(WS_EXIT_KERNEL, "cannot attach %s: %s",
					bpf_program__name(p), strerror(errno));
		s->links[s->n_links++] = l;
	}
	return 0;
}

static int write_ready_file(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return ws_error(WS_EXIT_RUNTIME, "cannot write %s: %s", tmp,
				strerror(errno));
	fprintf(f, "%d\n", getpid());
	if (fclose(f) || rename(tmp, path))
		return ws_error(WS_EXIT_RUNTIME, "cannot write %s: %s", path,
				strerror(errno));
	return 0;
}

/* Notice interfaces renamed or deleted under us; false once all are gone. */
static bool check_ifaces(struct ws_session *s)
{
	char name[IF_NAMESIZE];
	int i, alive = 0;

	for (i = 0; i < s->o->n_ifaces; i++) {
		struct ws_iface *ifc = &s->o->ifaces[i];

		if (ifc->gone)
			continue;
		if (!if_indextoname(ifc->ifindex, name)) {
			ws_warn("%s: interface disappeared", ifc->name);
			ifc->gone = true;
			continue;
		}
		if (strcmp(name, ifc->name)) {
			ws_warn("%s: interface renamed to %s", ifc->name, name);
			strcpy(ifc->name, name);
		}
		alive++;
	}
	return alive > 0 || !s->o->n_ifaces;
}

static int sample_all(struct ws_session *s)
{
	int i, err;

	for (i = 0; i < s->n_collectors; i++) {
		if (!s->collectors[i]->sample)
			continue;
		err = s->collectors[i]->sample(s);
		if (err)
			return ws_error(WS_EXIT_RUNTIME,
					"%s: reading counters: %s",
					s->collectors[i]->name, strerror(-err));
	}
	return 0;
}

static int tick(struct ws_session *s, double dt)
{
	int i, err;

	err = sample_all(s);
	if (err)
		return err;
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->interval)
			s->collectors[i]->interval(s, dt);
	s->ticks++;
	return 0;
}

static int open_fds(struct ws_session *s, int *sfd, int *tfd)
{
	double iv = s->o->interval;
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)iv,
		.it_value.tv_nsec = (long)((iv - (time_t)iv) * 1e9),
	};
	sigset_t mask;

	its.it_interval = its.it_value;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || timerfd_settime(*tfd, 0, &its, NULL))
		return ws_error(WS_EXIT_RUNTIME, "timer/signal setup: %s",
				strerror(errno));
	return 0;
}

static int run_loop(struct ws_session *s)
{
	double start = now_mono(), prev = start, now;
	struct pollfd pfd[2 + sizeof(s->pollers) / sizeof(s->pollers[0])];
	int npfd = 2 + s->n_pollers, sfd = -1, tfd = -1, err, i;
	uint64_t expirations;

	err = open_fds(s, &sfd, &tfd);
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	for (i = 0; i < s->n_pollers; i++)
		pfd[2 + i] =
		    (struct pollfd){ .fd = s->pollers[i].fd, .events = POLLIN };
	while (!err) {
		if (poll(pfd, npfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = ws_error(WS_EXIT_RUNTIME, "poll: %s",
				       strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break; /* SIGINT/SIGTERM/SIGHUP: summary, exit 0 */
		for (i = 0; i < s->n_pollers && !err; i++)
			if (pfd[2 + i].revents)
				err = s->pollers[i].cb(s->pollers[i].ctx);
		if (err) {
			err = ws_error(WS_EXIT_RUNTIME, "event read: %s",
				       strerror(-err));
			break;
		}
		if (!(pfd[1].revents & POLLIN) ||
		    read(tfd, &expirations, sizeof(expirations)) < 0)
			continue;
		now = now_mono();
		s->elapsed = now - start;
		err = tick(s, now - prev);
		prev = now;
		if (fflush(s->out) || ferror(s->out))
			break; /* reader went away (EPIPE): stop quietly */
		if (!check_ifaces(s)) {
			ws_warn("no watched interface left; exiting");
			break;
		}
		if (s->o->count && s->ticks >= (unsigned long)s->o->count)
			break;
		if (s->o->duration && s->elapsed + 1e-3 >= s->o->duration)
			break;
	}
	s->elapsed = now_mono() - start;
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return err;
}

static void summarize(struct ws_session *s)
{
	int i;

	if (sample_all(s))
		return;
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->summary)
			s->collectors[i]->summary(s);
	fflush(s->out);
}

static int start_collectors(struct ws_session *s)
{
	int i, err;

	for (i = 0; i < s->n_collectors; i++) {
		if (!s->collectors[i]->start)
			continue;
		err = s->collectors[i]->start(s);
		if (err)
			return ws_error(WS_EXIT_RUNTIME, "%s: start: %s",
					s->collectors[i]->name, strerror(-err));
	}
	return 0;
}

static void teardown(struct ws_session *s)
{
	int i;

	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->stop)
			s->collectors[i]->stop(s);
	for (i = 0; i < s->o->n_ifaces; i++)
		ws_hook_detach(&s->o->ifaces[i]);
	for (i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	s->n_links = 0;
	wirescope_bpf__destroy(s->skel);
	s->skel = NULL;
}

int ws_session_run(struct ws_session *s)
{
	int err;

	verbose = s->o->verbose;
	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);
	if (!s->out)
		s->out = stdout;
	err = check_privileges();
	if (err)
		return err;
	ws_session_add(s, &ws_health_collector);
	s->ncpus = libbpf_num_possible_cpus();
	s->skel = wirescope_bpf__open();
	if (!s->skel || s->ncpus <= 0)
		return ws_error(WS_EXIT_KERNEL,
				"cannot open the BPF object: %s",
				strerror(errno));
	err = configure(s);
	if (err)
		goto out;
	if (wirescope_bpf__load(s->skel)) {
		err = ws_error(WS_EXIT_KERNEL,
			       "cannot load the BPF programs: %s (the kernel "
			       "needs BTF and BPF support; -v shows why)",
			       strerror(errno));
		goto out;
	}
	err = needs_hooks(s) ? attach_hooks(s) : 0;
	if (!err)
		err = attach_tracepoints(s);
	if (!err)
		err = start_collectors(s);
	if (!err && s->o->ready_file)
		err = write_ready_file(s->o->ready_file);
	if (!err)
		err = run_loop(s);
	if (!err)
		summarize(s);
out:
	teardown(s);
	return err;
}
