// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter: a session with every collector, no reports, and
 * an HTTP server thread.  The main thread keeps the session loop (signals,
 * interface watch); a scrape samples every collector under the session lock
 * and renders each collector's prom hook plus our own health.  The BPF side
 * is never waited on: the data plane only bumps per-CPU counters.
 *
 * Order: bind (as root, so a port below 1024 works) -> load and attach ->
 * drop every capability (but CAP_NET_ADMIN on the clsact fallback, to
 * remove its filters at exit) and switch user -> start the HTTP thread,
 * which drops even that.  No request is parsed with privileges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "commands/export.h"
#include "wirescope.skel.h"

#ifndef WS_VERSION
#define WS_VERSION "unknown"
#endif

/*
 * A name or a numeric uid (its group from /etc/passwd, else the same
 * number), from /etc/passwd directly: a static binary has no NSS.
 */
static int lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	unsigned long num = 0;
	bool numeric = !ws_parse_ulong(name, 0, 0xfffffffeUL, &num);
	bool found = numeric;
	struct passwd *pw;

	*uid = num;
	*gid = num;
	while (f && (pw = fgetpwent(f)) != NULL) {
		if (numeric ? pw->pw_uid == num : !strcmp(pw->pw_name, name)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!found)
		return ws_usage_error("export", "unknown --user '%s'", name);
	if (*uid == 0 || *gid == 0)
		return ws_usage_error("export",
				      "--user '%s' is root: pick an "
				      "unprivileged user",
				      name);
	return 0;
}

static bool bounding_set_empty(void)
{
	int cap, in_set;

	for (cap = 0; (in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++)
		if (in_set)
			return false;
	return true;
}

/* Effective and permitted set to exactly @caps, nothing inheritable. */
static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};
	int i;

	for (i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = (uint32_t)(caps >> (32 * i));
	return syscall(SYS_capset, &hdr, d);
}

/* Anything beyond @keep (effective and permitted), or root? */
static bool privileged_beyond(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};
	uint64_t eff, prm;

	if (syscall(SYS_capget, &hdr, d))
		return true;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return eff != keep || prm != keep || d[0].inheritable ||
	       d[1].inheritable || !bounding_set_empty() || geteuid() == 0;
}

/*
 * Empty the bounding and ambient sets while we still may, switch user
 * (which clears the permitted and effective sets, but for @keep), then make
 * sure: capset to exactly @keep and no_new_privs, so nothing can bring the
 * rest back.
 */
static int drop_privileges(uid_t uid, gid_t gid, uint64_t keep)
{
	int cap, in_set;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		goto fail;
	for (cap = 0; (in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++)
		if (in_set && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			goto fail;
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		goto fail;
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		goto fail;
	if (set_caps(keep) || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		goto fail;
	if (privileged_beyond(keep))
		return ws_error(WS_EXIT_PERM, "capabilities remain after the "
					      "privilege drop");
	return 0;
fail:
	return ws_error(WS_EXIT_PERM,
			"cannot drop privileges: %s (needs CAP_SETPCAP, "
			"CAP_SETUID and CAP_SETGID)",
			strerror(errno));
}

/* The serving thread parses requests: it gives up even what we kept. */
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* CAP_BPF if even the HTTP thread's map reads need it, else 0. */
static uint64_t bpf_read_caps;

/*
 * Can a thread without capabilities read our maps?  Older kernels with
 * kernel.unprivileged_bpf_disabled set (5.10: yes; 6.1: no) refuse every
 * bpf() call without CAP_BPF.  Asked of the kernel in a child process.
 */
static bool bpf_reads_need_cap(const struct ws_session *s)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		memset(&info, 0, sizeof(info));
		_exit(set_caps(0) ? 2
		      : bpf_obj_get_info_by_fd(
			    bpf_map__fd(s->skel->maps.ws_health), &info, &len)
			  ? 1
			  : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

/* WIRESCOPE_TEST_HTTP_FAIL (hidden, for tests): the thread cannot start. */
static int http_thread_init(void *ctx)
{
	(void)ctx;
	if (getenv("WIRESCOPE_TEST_HTTP_FAIL"))
		return -EPERM;
	return set_caps(bpf_read_caps) ? -errno : 0;
}

/* An exporter that serves nothing must not look alive to its supervisor. */
static int http_died(void *ctx)
{
	struct ws_export *x = ctx;

	return ws_error(WS_EXIT_RUNTIME,
			"export: the HTTP thread stopped: %s; exiting",
			strerror(x->http.dead_err));
}

/*
 * A clsact filter (no tcx) outlives us unless removed at exit, which takes
 * CAP_NET_ADMIN; a tcx link goes with its file descriptor.
 */
static bool uses_clsact(const struct ws_session *s)
{
	int i;

	for (i = 0; i < s->o->n_ifaces; i++)
		if (s->o->ifaces[i].hook.clsact_ingress ||
		    s->o->ifaces[i].hook.clsact_egress)
			return true;
	return false;
}

static void build_info(struct ws_buf *b)
{
	char labels[256];
	struct utsname u;

	if (uname(&u))
		strcpy(u.release, "unknown");
	prom_family(b, "wirescope_build_info", "gauge",
		    "Always 1; the labels say which wirescope runs where.");
	prom_labels(labels, sizeof(labels), "version", WS_VERSION, "libbpf",
		    libbpf_version_string(), "kernel", u.release, NULL);
	prom_u64(b, "wirescope_build_info", labels, 1);
}

static void programs_attached(struct ws_session *s, struct ws_buf *b)
{
	const char *name = "wirescope_programs_attached";
	unsigned int xdp = 0, tc = 0;
	int i;

	for (i = 0; i < s->o->n_ifaces; i++) {
		const struct ws_hook *h = &s->o->ifaces[i].hook;

		if (s->o->ifaces[i].gone)
			continue;
		xdp += h->xdp_link_fd >= 0;
		tc += (h->tcx_ingress_fd >= 0) + (h->tcx_egress_fd >= 0) +
		      h->clsact_ingress + h->clsact_egress;
	}
	prom_family(b, name, "gauge",
		    "BPF programs attached, by hook (one per interface and "
		    "hook point).");
	prom_u64(b, name, "hook=\"xdp\"", xdp);
	prom_u64(b, name, "hook=\"tc\"", tc);
	prom_u64(b, name, "hook=\"tracepoint\"", s->n_links);
}

static bool is_hash(const struct bpf_map *m)
{
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

static void map_family(struct ws_session *s, struct ws_buf *b, const char *name,
		       const char *help, bool capacity)
{
	struct bpf_map *m;
	char labels[64];
	long n, max;

	prom_family(b, name, "gauge", help);
	bpf_object__for_each_map(m, s->skel->obj)
	{
		if (!is_hash(m))
			continue;
		max = bpf_map__max_entries(m);
		n = capacity ? max : ws_map_walk(m, NULL, NULL);
		if (n < 0) /* unknown: no sample rather than a wrong one */
			continue;
		prom_labels(labels, sizeof(labels), "map", bpf_map__name(m),
			    NULL);
		/* A key-by-key walk that restarted may count keys twice. */
		prom_u64(b, name, labels, n < max ? n : max);
	}
}

static void map_fill(struct ws_session *s, struct ws_buf *b)
{
	map_family(s, b, "wirescope_map_entries",
		   "Entries in each BPF hash map (a full map loses counts: "
		   "see wirescope_lost_total).",
		   false);
	map_family(s, b, "wirescope_map_capacity",
		   "Maximum entries of each BPF hash map.", true);
}

static void http_responses(struct ws_export *x, struct ws_buf *b)
{
	const char *name = "wirescope_http_responses_total";
	char labels[32];
	int i;

	prom_family(b, name, "counter",
		    "HTTP answers of this exporter by status code, counted "
		    "when queued, read or not (408: a client too slow to "
		    "send its request, or dropped to make room).");
	for (i = 0; i < WS_HTTP_NCODES; i++) {
		snprintf(labels, sizeof(labels), "code=\"%d\"",
			 ws_http_codes[i]);
		prom_u64(
		    b, name, labels,
		    __atomic_load_n(&x->http.responses[i], __ATOMIC_RELAXED));
	}
}

static unsigned long count_open_fds(void)
{
	unsigned long n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n ? n - 1 : 0; /* not the one opendir holds */
}

/* The standard process_* families every exporter serves. */
static void process_metrics(struct ws_export *x, struct ws_buf *b)
{
	unsigned long size = 0, resident = 0;
	struct rusage ru = {};
	struct rlimit rl = {};
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	getrlimit(RLIMIT_NOFILE, &rl);
	prom_family(b, "process_cpu_seconds_total", "counter",
		    "User and system CPU time spent, in seconds.");
	prom_double(b, "process_cpu_seconds_total", NULL,
		    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	prom_family(b, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.");
	prom_u64(b, "process_resident_memory_bytes", NULL,
		 (uint64_t)resident * sysconf(_SC_PAGESIZE));
	prom_family(b, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
	prom_u64(b, "process_open_fds", NULL, count_open_fds());
	prom_family(b, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.");
	prom_u64(b, "process_max_fds", NULL, rl.rlim_cur);
	prom_family(b, "process_start_time_seconds", "gauge",
		    "Start time of the process since the Unix epoch, in "
		    "seconds.");
	prom_u64(b, "process_start_time_seconds", NULL, x->start_time);
}

static void render_metrics(struct ws_export *x, struct ws_buf *b)
{
	struct ws_session *s = x->s;
	bool ok[WS_MAX_COLLECTORS];
	double t0 = ws_mono_ns() / 1e9;
	char labels[64];
	int i;

	pthread_mutex_lock(&x->lock);
	for (i = 0; i < s->n_collectors; i++)
		ok[i] =
		    !s->collectors[i]->sample || !s->collectors[i]->sample(s);
	for (i = 0; i < s->n_collectors; i++)
		if (ok[i] && s->collectors[i]->prom)
			s->collectors[i]->prom(s, b);
	prom_family(b, "wirescope_scrape_collector_success", "gauge",
		    "1 if the collector's counters could be read this scrape.");
	for (i = 0; i < s->n_collectors; i++) {
		prom_labels(labels, sizeof(labels), "collector",
			    s->collectors[i]->name, NULL);
		prom_u64(b, "wirescope_scrape_collector_success", labels,
			 ok[i]);
	}
	build_info(b);
	programs_attached(s, b);
	prom_interfaces_watched(b, s->o);
	pthread_mutex_unlock(&x->lock);
	map_fill(s, b); /* a long walk of a big map holds up nobody */
	http_responses(x, b);
	process_metrics(x, b);
	prom_family(b, "wirescope_scrape_duration_seconds", "gauge",
		    "Time this scrape took to read and render the counters.");
	prom_double(b, "wirescope_scrape_duration_seconds", NULL,
		    ws_mono_ns() / 1e9 - t0);
}

static const char landing[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>wirescope exporter</title>"
    "</head>\n<body>\n<h1>wirescope exporter</h1>\n"
    "<p>Packet sizes, handshakes, accept queues and resets seen from the "
    "driver, for Prometheus.</p>\n"
    "<p><a href=\"metrics\">Metrics</a></p>\n"
    "</body></html>\n";

static int route(void *ctx, const char *path, struct ws_buf *body,
		 const char **ctype)
{
	if (!strcmp(path, "/metrics")) {
		render_metrics(ctx, body);
		*ctype = WS_PROM_CONTENT_TYPE;
		return 200;
	}
	if (!strcmp(path, "/")) {
		ws_buf_printf(body, "%s", landing);
		*ctype = "text/html; charset=utf-8";
		return 200;
	}
	return 404;
}

/* Attached and started: drop privileges, then serve. */
static int export_ready(struct ws_session *s)
{
	struct ws_export *x = s->ctx;
	int fd = -1, err;
	uint64_t keep;
	char pid[32];

	if (x->ready_file) {
		fd = open(x->ready_file,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return ws_error(WS_EXIT_RUNTIME, "cannot write %s: %s",
					x->ready_file, strerror(errno));
	}
	keep = uses_clsact(s) ? 1ULL << CAP_NET_ADMIN : 0;
	bpf_read_caps = bpf_reads_need_cap(s) ? 1ULL << CAP_BPF : 0;
	keep |= bpf_read_caps;
	if (bpf_read_caps)
		ws_warn("export: keeping CAP_BPF%s: with "
			"kernel.unprivileged_bpf_disabled set, this kernel "
			"lets nothing else read the BPF maps",
			keep & (1ULL << CAP_NET_ADMIN) ? " and CAP_NET_ADMIN"
						       : "");
	else if (keep)
		ws_warn("export: keeping CAP_NET_ADMIN, and no other "
			"capability, to remove its clsact filters at exit");
	err = drop_privileges(x->uid, x->gid, keep);
	if (!err && (err = ws_http_start(&x->http)))
		err = ws_error(WS_EXIT_RUNTIME,
			       "cannot start the HTTP thread: %s",
			       strerror(-err));
	if (!err && ws_session_add_poller(s, x->http.dead_fd, http_died, x))
		err = ws_error(WS_EXIT_RUNTIME, "no room to watch the HTTP "
						"thread");
	/* Filled only now: a non-empty file means we are serving. */
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (!err && fd >= 0 && write(fd, pid, strlen(pid)) < 0)
		err = ws_error(WS_EXIT_RUNTIME, "cannot write %s: %s",
			       x->ready_file, strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static void export_stop(struct ws_session *s)
{
	ws_http_stop(&((struct ws_export *)s->ctx)->http);
}

int ws_export_run(struct ws_session *s, struct ws_export *x)
{
	int err;

	err = lookup_user(x->user, &x->uid, &x->gid);
	if (err)
		return err;
	x->s = s;
	x->start_time = time(NULL);
	x->http.handler = route;
	x->http.ctx = x;
	x->http.thread_init = http_thread_init;
	x->http.timeout_ms = (int)(x->timeout * 1000);
	err = ws_http_listen(&x->http, x->listen);
	if (err)
		return err;
	pthread_mutex_init(&x->lock, NULL);
	x->ready_file = s->o->ready_file;
	s->o->ready_file = NULL; /* ours: written once serving */
	s->o->interval = 1;	 /* the loop only watches interfaces */
	s->no_reports = true;
	s->outlive_ifaces = true;
	s->restart_when_back = true;
	s->lock = &x->lock;
	s->ctx = x;
	s->on_ready = export_ready;
	s->on_stop = export_stop;
	err = ws_session_run(s);
	ws_http_stop(&x->http);
	pthread_mutex_destroy(&x->lock);
	return err;
}
