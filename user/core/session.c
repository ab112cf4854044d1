// SPDX-License-Identifier: GPL-2.0
/*
 * Session lifecycle shared by every command:
 * open -> configure collectors -> load -> attach -> loop -> summary -> detach.
 * The loop waits on a signalfd and a CLOCK_MONOTONIC timerfd with poll();
 * each report is the delta of cumulative counters over the measured time.
 */
#define _GNU_SOURCE /* vasprintf */
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "core/core.h"
#include "core/netlink.h"
#include "wirescope.skel.h"

static int verbose;

/* The program libbpf last failed to load (the kernel refused it). */
static char refused_prog[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	char *line;
	va_list ap;
	int n;

	if (level == LIBBPF_WARN &&
	    strstr(fmt, "prog '%s': failed to load: %d")) {
		va_copy(ap, args);
		snprintf(refused_prog, sizeof(refused_prog), "%s",
			 va_arg(ap, const char *));
		va_end(ap);
	}
	if (verbose < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	va_copy(ap, args);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return vfprintf(stderr, fmt, args);
	if (!ws_output_stderr_write(line, n))
		fputs(line, stderr);
	free(line);
	return n;
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

/*
 * The kernel's BTF is there and reads as BTF: else every later failure
 * (a relocation, a tracepoint's arguments) would blame something else.
 * WIRESCOPE_TEST_NO_BTF (hidden, for tests) simulates a kernel without.
 */
static int check_btf(void)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	__u16 magic = 0;
	ssize_t n;
	int fd, err;

	if (getenv("WIRESCOPE_TEST_NO_BTF") || access(path, F_OK))
		return ws_error(WS_EXIT_KERNEL,
				"this kernel has no BTF (%s is missing): "
				"wirescope needs CONFIG_DEBUG_INFO_BTF=y",
				path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, &magic, sizeof(magic));
	err = errno; /* before close() may change it */
	if (fd >= 0)
		close(fd);
	if (n != sizeof(magic) || magic != BTF_MAGIC)
		return ws_error(WS_EXIT_KERNEL,
				"cannot read this kernel's BTF (%s): %s", path,
				n < 0 ? strerror(err) : "not BTF");
	return 0;
}

/*
 * The kernel event of a tracepoint program's section: "tp_btf/NAME",
 * "raw_tp/NAME", "raw_tracepoint/NAME", "tp/CAT/NAME", "tracepoint/CAT/NAME".
 * NULL for any other section.
 */
const char *ws_tp_event(const char *sec)
{
	static const char *const prefixes[] = {
		"tp_btf/", "raw_tp/", "raw_tracepoint/", "tp/", "tracepoint/",
	};
	const char *name, *slash;
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(sec, prefixes[i], n))
			continue;
		name = sec + n;
		slash = strrchr(name, '/');
		name = slash ? slash + 1 : name;
		return *name ? name : NULL;
	}
	return NULL;
}

bool ws_tp_listed(const char *list, const char *event)
{
	size_t n = strlen(event);
	const char *p;

	if (!list)
		return false;
	if (!strcmp(list, "*"))
		return true;
	for (p = list; (p = strstr(p, event)); p += n)
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
	return false;
}

/*
 * WIRESCOPE_TEST_NO_TP (hidden, for tests): a comma-separated list of
 * tracepoint names, or "*", that behave as if this kernel lacked them.
 */
bool ws_tp_test_missing(const char *event)
{
	return ws_tp_listed(getenv("WIRESCOPE_TEST_NO_TP"), event);
}

/* The kernel's BTF, loaded on first use: most commands have no tp_btf. */
static struct btf *kernel_btf(bool free_it)
{
	static struct btf *btf;
	static bool tried;

	if (free_it) {
		btf__free(btf);
		btf = NULL;
		tried = false;
	} else if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf(); /* NULL on error (libbpf 1) */
	}
	return btf;
}

/*
 * How many arguments tracepoint @event has in this kernel, void *ctx not
 * counted, from its prototype btf_trace_<event>: -1 if the kernel has no
 * such tracepoint, -2 if it cannot tell (no BTF).
 */
int ws_tp_nargs(const char *event)
{
	struct btf *btf = kernel_btf(false);
	const struct btf_type *t;
	char type[128];
	int id;

	if (!btf)
		return -2;
	snprintf(type, sizeof(type), "btf_trace_%s", event);
	id = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || !btf_vlen(t))
		return -2;
	return btf_vlen(t) - 1;
}

static bool tp_exists(const char *sec, const char *event)
{
	if (ws_tp_test_missing(event))
		return false;
	if (strncmp(sec, "tp_btf/", 7))
		return true; /* the others fail at attach, handled there */
	return ws_tp_nargs(event) != -1; /* cannot tell: the load will say */
}

/*
 * The tracepoint arguments later kernels added: the BPF programs read them
 * only where this kernel has them.  Say what their absence costs.
 */
static void tp_args(struct ws_session *s)
{
	struct wirescope_bpf *skel = s->skel;
	int n;

	n = ws_tp_nargs("kfree_skb");
	if (n > 0)
		skel->rodata->ws_tp_kfree_skb_nargs = n;
	if (n >= 0 && n < 3 && bpf_program__autoload(skel->progs.ws_kfree_skb))
		ws_warn("this kernel's skb:kfree_skb has no drop reason "
			"(5.17+): resets can't tell why the kernel dropped "
			"an RST");
	n = ws_tp_nargs("tcp_send_reset");
	if (n > 0)
		skel->rodata->ws_tp_send_reset_nargs = n;
	if (n >= 0 && n < 3 && bpf_program__autoload(skel->progs.ws_rst_send))
		ws_warn("this kernel's tcp:tcp_send_reset has no reason "
			"(6.10+): resets can't tell why this host sent an RST");
	/* Before 6.17 (no err) the event fires for sent segments only. */
	n = ws_tp_nargs("tcp_retransmit_skb");
	if (n > 0)
		skel->rodata->ws_tp_retransmit_nargs = n;
}

static struct ws_prog_use *prog_use(struct ws_session *s, const char *prog)
{
	int i;

	for (i = 0; i < s->n_prog_uses; i++)
		if (!strcmp(s->prog_uses[i].prog, prog))
			return &s->prog_uses[i];
	return NULL;
}

void ws_session_use_prog(struct ws_session *s, struct bpf_program *p,
			 const char *loss)
{
	const char *name = bpf_program__name(p);
	struct ws_prog_use *u = prog_use(s, name);
	size_t n;

	bpf_program__set_autoload(p, true);
	if (!u && s->n_prog_uses <
		      (int)(sizeof(s->prog_uses) / sizeof(s->prog_uses[0]))) {
		u = &s->prog_uses[s->n_prog_uses++];
		snprintf(u->prog, sizeof(u->prog), "%s", name);
		u->loss[0] = 0;
	}
	if (!u)
		return;
	n = strlen(u->loss);
	snprintf(u->loss + n, sizeof(u->loss) - n, "%s%s", n ? "; " : "", loss);
}

bool ws_session_use_active(const struct ws_session *s,
			   const struct ws_prog_use *u)
{
	const struct bpf_program *p =
	    bpf_object__find_program_by_name(s->skel->obj, u->prog);

	return p && ws_session_prog_active(s, p);
}

/* Names the program, and what its collectors lose (ws_session_use_prog). */
static void tp_missing(struct ws_session *s, struct bpf_program *p,
		       const char *event, const char *why)
{
	const struct ws_prog_use *u = prog_use(s, bpf_program__name(p));

	ws_warn(
	    "kernel tracepoint %s %s: %s is off%s%s%s, the rest still works",
	    event, why, bpf_program__name(p), u ? " (" : "", u ? u->loss : "",
	    u ? ")" : "");
}

/*
 * Before load: switch off tracepoint programs whose event this kernel lacks
 * (a tp_btf program would fail the whole load) or --skip-tracepoint names,
 * so the command degrades to what still works.  Collectors see it in
 * bpf_program__autoload().
 */
static void probe_tracepoints(struct ws_session *s)
{
	const char *event, *why;
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->skel->obj)
	{
		event = ws_tp_event(bpf_program__section_name(p));
		if (!bpf_program__autoload(p) || !event)
			continue;
		if (ws_tp_listed(s->o->skip_tracepoints, event))
			why = "is skipped (--skip-tracepoint)";
		else if (!tp_exists(bpf_program__section_name(p), event))
			why = "is not in this kernel";
		else
			continue;
		bpf_program__set_autoload(p, false);
		tp_missing(s, p, event, why);
	}
	tp_args(s);
}

/* Is @event one that some program of ours attaches to? */
static bool tp_is_ours(const struct ws_session *s, const char *event, size_t n)
{
	struct bpf_program *p;
	const char *e;

	bpf_object__for_each_program(p, s->skel->obj)
	{
		e = ws_tp_event(bpf_program__section_name(p));
		if (e && strlen(e) == n && !strncmp(e, event, n))
			return true;
	}
	return false;
}

/* Every name --skip-tracepoint gives must be a tracepoint we use. */
static int check_skip_tracepoints(const struct ws_session *s)
{
	const char *p = s->o->skip_tracepoints;
	size_t n;

	while (p && *p) {
		n = strcspn(p, ",");
		if (!tp_is_ours(s, p, n))
			return ws_error(WS_EXIT_USAGE,
					"--skip-tracepoint: '%.*s' is not a "
					"tracepoint wirescope attaches to",
					(int)n, p);
		p += n + (p[n] == ',');
	}
	return 0;
}

static bool needs_hooks(const struct ws_session *s);

bool ws_kernel_has_enum_value(const char *name)
{
	struct btf *btf = kernel_btf(false);
	const struct btf_type *t;
	int id, n = btf ? (int)btf__type_cnt(btf) : 0, i;

	for (id = 1; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (!btf_is_enum(t))
			continue;
		for (i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(
					btf, btf_enum(t)[i].name_off),
				    name))
				return true;
	}
	return false;
}

static bool all_hooks_tcx(const struct ws_session *s)
{
	int i;

	for (i = 0; i < s->o->n_ifaces; i++) {
		const struct ws_hook *h = &s->o->ifaces[i].hook;

		if (h->tx_mode == WS_HOOK_CLSACT ||
		    h->rx_mode == WS_HOOK_CLSACT)
			return false;
	}
	return true;
}

static void feature(struct ws_feature *out, int *n, const char *name, bool on)
{
	if (*n >= WS_MAX_FEATURES)
		return;
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	out[(*n)++].on = on;
}

int ws_session_features(const struct ws_session *s, struct ws_feature *out)
{
	const struct ws_prog_use *u;
	char name[48];
	int n = 0, i;

	if (needs_hooks(s))
		feature(out, &n, "tcx", all_hooks_tcx(s));
	feature(out, &n, "kfree_skb_reason", ws_tp_nargs("kfree_skb") >= 3);
	feature(out, &n, "send_reset_reason",
		ws_tp_nargs("tcp_send_reset") >= 3);
	feature(
	    out, &n, "listen_overflow_reason",
	    ws_kernel_has_enum_value("SKB_DROP_REASON_TCP_LISTEN_OVERFLOW"));
	for (i = 0; i < s->n_prog_uses; i++) {
		u = &s->prog_uses[i];
		snprintf(name, sizeof(name), "tracepoint_%s",
			 u->prog + (strncmp(u->prog, "ws_", 3) ? 0 : 3));
		feature(out, &n, name, ws_session_use_active(s, u));
	}
	return n;
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

static bool owns(const struct ws_collector *c, const char *map)
{
	return c->map_prefix &&
	       !strncmp(map, c->map_prefix, strlen(c->map_prefix));
}

/* Is @map a collector's, and is none of the session's collectors it? */
static bool map_unused(const struct ws_session *s, const char *map)
{
	bool known = false;
	int i;

	for (i = 0; ws_all_collectors[i]; i++)
		known |= owns(ws_all_collectors[i], map);
	for (i = 0; i < s->n_collectors; i++)
		if (owns(s->collectors[i], map))
			return false;
	return known;
}

/* Ingress runs XDP or tc, never both: the other is not loaded (verified). */
static bool hook_prog_used(const struct ws_session *s, struct bpf_program *p)
{
	bool xdp = ws_mode_is_xdp(s->o->mode);

	if (p == s->skel->progs.ws_xdp_ingress)
		return xdp;
	if (p == s->skel->progs.ws_tc_ingress)
		return !xdp;
	return p == s->skel->progs.ws_tc_egress;
}

/* Maps of collectors that do not run cost one entry (a page for rings). */
static void shrink_unused_maps(struct ws_session *s)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, s->skel->obj)
	{
		if (!map_unused(s, bpf_map__name(m)))
			continue;
		bpf_map__set_max_entries(m, bpf_map__type(m) ==
						    BPF_MAP_TYPE_RINGBUF
						? (__u32)getpagesize()
						: 1);
	}
}

/* Collectors switch on what they need in their configure hook. */
static int configure(struct ws_session *s)
{
	struct bpf_program *p;
	bool hooks = needs_hooks(s);
	int i, err;

	bpf_object__for_each_program(p, s->skel->obj)
	    bpf_program__set_autoload(p, hooks && hook_prog_used(s, p));
	shrink_unused_maps(s);
	for (i = 0; i < s->n_collectors; i++) {
		if (!s->collectors[i]->configure)
			continue;
		err = s->collectors[i]->configure(s);
		if (err)
			return err;
	}
	return 0;
}

static bool iface_is_up(const char *name)
{
	struct ifreq ifr = {};

	/* If we cannot tell, say nothing. */
	return ws_iface_ioctl(name, SIOCGIFFLAGS, &ifr) ||
	       ifr.ifr_flags & IFF_UP;
}

/*
 * The programs parse Ethernet frames.  On a device with no Ethernet header
 * (tun, WireGuard, ipip, gre, sit: link/none and the like) they would read
 * IP headers as MAC addresses and count nothing right: exit 5 before it
 * attaches.  The device is the ifindex about to be attached, whatever its
 * name now.
 */
static int refuse_non_ethernet(const struct ws_iface *ifc)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr = {};
	unsigned int type;

	if (!if_indextoname(ifc->ifindex, name) ||
	    ws_iface_ioctl(name, SIOCGIFHWADDR, &ifr))
		return 0; /* cannot tell: the attach will say */
	type = ifr.ifr_hwaddr.sa_family;
	if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK)
		return 0;
	return ws_error(WS_EXIT_IFACE,
			"%s is not an Ethernet device (link type %u): "
			"wirescope reads Ethernet frames only",
			ifc->label, type);
}

/*
 * An -i name export --wait-interface serves without, said once:
 * check_gone() watches for it.
 */
static void serving_without(const char *pre, const char *label,
			    const char *post)
{
	ws_warn("export: %s%s%s; serving without it, exiting %d once it "
		"exists so the service manager restarts wirescope to attach "
		"to it",
		pre, label, post, WS_EXIT_REATTACH);
}

/*
 * The interface vanished while we loaded, and one of its name is there
 * now (a bond re-created): attach to that one instead.
 */
static bool renew_ifindex(struct ws_iface *ifc)
{
	unsigned int idx = if_nametoindex(ifc->label);

	if (!idx)
		return false;
	ws_warn("%s: re-created while wirescope attached to it; attaching to "
		"the new one (ifindex %u)",
		ifc->label, idx);
	ifc->ifindex = idx;
	ifc->gone = false;
	return true;
}

/*
 * After ws_hook_attach() failed with @err: the exit code, or 0 when export
 * waits for the interface, which was deleted or moved away while we loaded
 * (a driver reload), as for one missing at start.  Without
 * --wait-interface that is an unusable interface.
 */
static int attach_failed(struct ws_session *s, struct ws_iface *ifc, int err)
{
	if (err == -EACCES || err == -EPERM)
		return WS_EXIT_PERM;
	if (err != WS_HOOK_VANISHED)
		return WS_EXIT_ATTACH;
	if (!s->o->wait_ifaces)
		return ws_error(WS_EXIT_IFACE,
				"%s vanished while wirescope attached to it",
				ifc->label);
	ifc->missing = true;
	ifc->ifindex = 0;
	serving_without("", ifc->label,
			" vanished while wirescope attached to it");
	return 0;
}

/* Attach to @ifc, or to one re-created under its name: 0 or an exit code. */
static int attach_iface(struct ws_session *s, struct ws_iface *ifc)
{
	int err = refuse_non_ethernet(ifc);

	if (err)
		return err;
	err = ws_hook_attach(ifc, s->skel, s->o->mode);
	if (err == WS_HOOK_VANISHED && renew_ifindex(ifc)) {
		err = refuse_non_ethernet(ifc);
		if (err)
			return err;
		err = ws_hook_attach(ifc, s->skel, s->o->mode);
	}
	return err ? attach_failed(s, ifc, err) : 0;
}

static int attach_hooks(struct ws_session *s)
{
	struct ws_iface *ifc;
	int i, n, err;

	for (i = 0; i < s->o->n_ifaces; i++) {
		ifc = &s->o->ifaces[i];
		if (ifc->missing) {
			serving_without("no interface is named ", ifc->label,
					" yet");
			continue;
		}
		n = ws_hook_remove_stale(ifc);
		if (n > 0)
			ws_warn("%s: removed %d tc filter(s) left by a crashed "
				"wirescope",
				ifc->name, n);
		err = attach_iface(s, ifc);
		if (err)
			return err;
		if (ifc->missing) /* vanished, waited for */
			continue;
		ifc->down = !iface_is_up(ifc->name);
		if (ifc->down && !ifc->implicit)
			ws_warn("%s: interface is down; counting starts when "
				"it comes up",
				ifc->name);
		if (s->o->verbose)
			ws_warn("%s: ingress %s, egress %s", ifc->name,
				ws_hook_mode_name(ifc->hook.rx_mode),
				ws_hook_mode_name(ifc->hook.tx_mode));
	}
	return 0;
}

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

/* True if @p runs: loaded and attached (optional tracepoints may not). */
bool ws_session_prog_active(const struct ws_session *s,
			    const struct bpf_program *p)
{
	struct bpf_link_info info;
	__u32 len;
	int i;

	for (i = 0; i < s->n_links; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_link__fd(s->links[i]), &info,
					    &len) &&
		    info.prog_id == prog_id(bpf_program__fd(p)))
			return true;
	}
	return false;
}

/*
 * Attach every loaded non-hook program.  A tracepoint that will not attach
 * costs only what depends on it: one line, and the command goes on, unless
 * nothing at all is left to observe.
 */
static int attach_tracepoints(struct ws_session *s)
{
	const char *event;
	struct bpf_program *p;
	struct bpf_link *l;
	int failed = 0;

	bpf_object__for_each_program(p, s->skel->obj)
	{
		if (!bpf_program__autoload(p) || is_hook_prog(s, p))
			continue;
		if (s->n_links == (int)(sizeof(s->links) / sizeof(s->links[0])))
			return ws_error(WS_EXIT_KERNEL, "too many programs");
		event = ws_tp_event(bpf_program__section_name(p));
		l = bpf_program__attach(p);
		if (!l && !event)
			return ws_error(WS_EXIT_KERNEL, "cannot attach %s: %s",
					bpf_program__name(p), strerror(errno));
		if (!l) {
			tp_missing(s, p, event, strerror(errno));
			failed++;
			continue;
		}
		s->links[s->n_links++] = l;
	}
	if (failed && !s->n_links && !needs_hooks(s))
		return ws_error(WS_EXIT_KERNEL,
				"none of the kernel tracepoints "
				"this command needs is available");
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
	if (fclose(f) || rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		return ws_error(WS_EXIT_RUNTIME, "cannot write %s: %s", path,
				strerror(err));
	}
	return 0;
}

/*
 * Follow one interface by its ifindex: report it going down and up (our
 * programs stay attached, counting resumes by itself), a new name (we go
 * on), or its deletion (the kernel detached our links).
 */
static void check_iface(struct ws_iface *ifc)
{
	char name[IF_NAMESIZE];
	bool up;

	if (ws_hook_lost(ifc) || !if_indextoname(ifc->ifindex, name)) {
		ws_warn("%s: interface gone (deleted or moved to another "
			"network namespace); no longer watched",
			ifc->name);
		ifc->gone = true;
		ws_hook_detach(ifc); /* a moved one still carries our links */
		return;
	}
	/* An altname the user gave still names it: no rename. */
	if (strcmp(name, ifc->name) &&
	    if_nametoindex(ifc->name) != (unsigned int)ifc->ifindex) {
		ws_warn("%s: interface renamed to %s; still watching it",
			ifc->name, name);
		strcpy(ifc->name, name);
	}
	up = iface_is_up(name);
	if (up == ifc->down && !ifc->implicit)
		ws_warn("%s: interface is %s", ifc->name,
			up ? "up again; counting resumes" : "down");
	ifc->down = !up;
}

/*
 * An -i name no interface here has now, which would make a restart exit 5,
 * or NULL.  With --wait-interface a restart waits for it instead.
 */
static const char *missing_name(const struct ws_opts *o)
{
	int i;

	for (i = 0; i < o->n_ifaces && !o->wait_ifaces; i++)
		if (!o->ifaces[i].implicit &&
		    !if_nametoindex(o->ifaces[i].label))
			return o->ifaces[i].label;
	return NULL;
}

/* How an unwatched -i name on an interface now reads: "back" if it was. */
static const char *now_there(const struct ws_iface *ifc)
{
	return ifc->missing ? "exists now" : "is back";
}

/*
 * A gone interface's -i name (what a restart watches) on a new one
 * (re-created, or moved back), or one missing at start that now exists.
 * Our programs attach at start only (export has dropped the privileges to
 * attach): export exits WS_EXIT_REATTACH for its service manager to
 * restart it, unless another -i name is missing and no --wait-interface
 * (the new process would exit 5, which is not restarted); the others say
 * once that it is not watched.
 */
static int check_gone(struct ws_session *s, struct ws_iface *ifc)
{
	const char *missing;
	unsigned int idx;

	if (ifc->implicit || (ifc->back && !s->restart_when_back))
		return 0;
	idx = if_nametoindex(ifc->label);
	if (!idx)
		return 0;
	missing = s->restart_when_back ? missing_name(s->o) : NULL;
	if (s->restart_when_back && !missing) {
		ws_warn("export: %s %s (ifindex %u); exiting so the service "
			"manager restarts wirescope to attach to it",
			ifc->label, now_there(ifc), idx);
		return WS_EXIT_REATTACH;
	}
	if (ifc->back)
		return 0;
	ifc->back = true;
	if (missing)
		ws_warn("export: %s is back (ifindex %u) but not watched: no "
			"interface is named %s, so a restart would fail; "
			"exiting once %s is back too",
			ifc->label, idx, missing, missing);
	else
		ws_warn("%s: an interface of this name is back (ifindex %u) "
			"but is not watched: restart wirescope to watch it",
			ifc->label, idx);
	return 0;
}

/*
 * Follow every interface.  *@alive: false once every interface the user
 * asked for is gone.  Returns WS_EXIT_REATTACH (check_gone) or 0.
 */
static int check_ifaces(struct ws_session *s, bool *alive)
{
	int i, asked = 0, left = 0, err;
	struct ws_iface *ifc;

	for (i = 0; i < s->o->n_ifaces; i++) {
		ifc = &s->o->ifaces[i];
		if (!ifc->gone)
			check_iface(ifc);
		/* and at once if it just went: it may be back already */
		err = ifc->gone ? check_gone(s, ifc) : 0;
		if (err)
			return err;
		if (ifc->implicit)
			continue;
		asked++;
		left += !ifc->gone;
	}
	*alive = left > 0 || !asked;
	return 0;
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

static void lock(struct ws_session *s)
{
	if (s->lock)
		pthread_mutex_lock(s->lock);
}

static void unlock(struct ws_session *s)
{
	if (s->lock)
		pthread_mutex_unlock(s->lock);
}

static int tick(struct ws_session *s, double dt)
{
	int i, err;

	s->round++;
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->housekeep)
			s->collectors[i]->housekeep(s);
	if (s->no_reports)
		return 0;
	err = sample_all(s);
	if (err)
		return err;
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->interval)
			s->collectors[i]->interval(s, dt);
	s->ticks++;
	return 0;
}

/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT stay blocked from main() on, and a
 * session reads them from a signalfd: one that comes while we load and
 * attach is taken between two steps, and everything attached so far is
 * detached (kill -9 aside).
 */
int ws_block_stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGQUIT);
	return sigprocmask(SIG_BLOCK, mask, NULL);
}

/*
 * Once stopping, how long the summary may wait for a reader that stopped
 * reading (a second signal cuts it at once).
 */
#define WS_STOP_OUTPUT_WAIT_MS 3000

/* The stop signal that came, or 0. */
static int stop_signal(const struct ws_session *s)
{
	struct pollfd p = { .fd = s->sig_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (poll(&p, 1, 0) <= 0 ||
	    read(s->sig_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

/*
 * When the tick after @now is due, in ns since the start: the end of the
 * interval @now is in, or -d's end if that comes first (the last interval
 * is then shorter).  Late ticks skip what they missed, as a periodic timer
 * does.  @dur 0: no -d.
 */
int64_t ws_next_tick_ns(int64_t now, int64_t iv, int64_t dur)
{
	int64_t due = (now / iv + 1) * iv;

	return dur && due > dur ? dur : due;
}

static int64_t secs_ns(double secs)
{
	return (int64_t)(secs * 1e9 + 0.5);
}

/* One-shot, at the next tick after @now (ns since @start). */
static int arm_timer(const struct ws_session *s, int tfd, int64_t start,
		     int64_t now)
{
	int64_t due = start + ws_next_tick_ns(now, secs_ns(s->o->interval),
					      secs_ns(s->o->duration));
	struct itimerspec its = {
		.it_value.tv_sec = due / 1000000000LL,
		.it_value.tv_nsec = due % 1000000000LL,
	};

	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * Every -i interface is gone: that ends the watch, or export serves on
 * (outlive_ifaces) once it has said so.
 */
static int all_ifaces_gone(struct ws_session *s, bool *said)
{
	if (!s->outlive_ifaces)
		return ws_error(WS_EXIT_IFACE,
				"no watched interface left; exiting");
	if (!*said)
		ws_warn("no watched interface left; serving the host-wide "
			"metrics only");
	*said = true;
	return 0;
}

bool ws_session_stopped_again(const struct ws_session *s)
{
	return s->sig_fd >= 0 && stop_signal(s);
}

static int open_timer(const struct ws_session *s, int64_t start)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (tfd >= 0 && arm_timer(s, tfd, start, 0)) {
		close(tfd);
		return -1;
	}
	return tfd;
}

bool ws_session_watch_done(const struct ws_session *s)
{
	if (s->o->count && s->ticks >= (unsigned long)s->o->count)
		return true;
	return s->o->duration && s->elapsed + 1e-3 >= s->o->duration;
}

static int run_loop(struct ws_session *s)
{
	int64_t start = ws_mono_ns(), prev = start, now;
	struct pollfd pfd[2 + sizeof(s->pollers) / sizeof(s->pollers[0])];
	int npfd = 2 + s->n_pollers, tfd, err = 0, i;
	uint64_t expirations;
	bool alive = true, said_gone = false;

	tfd = open_timer(s, start);
	if (tfd < 0)
		return ws_error(WS_EXIT_RUNTIME, "timer setup: %s",
				strerror(errno));
	pfd[0] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
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
		/* SIGINT/SIGTERM/SIGHUP: summary, exit 0.  Taken, so that
		 * ws_session_stopped_again() sees only a second one. */
		if (pfd[0].revents && stop_signal(s)) {
			ws_output_stopping(WS_STOP_OUTPUT_WAIT_MS);
			break;
		}
		lock(s);
		for (i = 0; i < s->n_pollers && !err; i++)
			if (pfd[2 + i].revents)
				err = s->pollers[i].cb(s->pollers[i].ctx);
		unlock(s);
		if (err) { /* > 0: an exit code, said already */
			if (err < 0)
				err =
				    ws_error(WS_EXIT_RUNTIME, "event read: %s",
					     strerror(-err));
			break;
		}
		if (!(pfd[1].revents & POLLIN) ||
		    read(tfd, &expirations, sizeof(expirations)) < 0)
			continue;
		now = ws_mono_ns();
		lock(s);
		s->elapsed = (now - start) / 1e9;
		err = tick(s, (now - prev) / 1e9);
		if (!err)
			err = check_ifaces(s, &alive);
		unlock(s);
		prev = now;
		if (!err && (err = ws_output_check(s->out))) {
			err = err < 0 ? 0 : err; /* reader gone: quietly */
			break;
		}
		if (!err && !alive && (err = all_ifaces_gone(s, &said_gone)))
			break;
		if (err || ws_session_watch_done(s))
			break;
		if (arm_timer(s, tfd, start, now - start))
			err = ws_error(WS_EXIT_RUNTIME, "timer: %s",
				       strerror(errno));
	}
	s->elapsed = (ws_mono_ns() - start) / 1e9;
	close(tfd);
	return err;
}

/*
 * Returns ws_output_check()'s answer for what it wrote, or the final
 * read's error: without the totals there is no summary, and no verdict.
 */
static int summarize(struct ws_session *s)
{
	int i, err;

	lock(s); /* export's scrapes read both until on_stop */
	s->final_sample = true;
	s->round++;
	unlock(s);
	if (s->no_reports)
		return 0;
	err = sample_all(s);
	if (err)
		return err;
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->summary)
			s->collectors[i]->summary(s);
	return ws_output_check(s->out);
}

static int start_collectors(struct ws_session *s)
{
	int i, err;

	s->round++;
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

	if (s->on_stop)
		s->on_stop(s);
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->stop)
			s->collectors[i]->stop(s);
	for (i = 0; i < s->o->n_ifaces; i++)
		ws_hook_detach(&s->o->ifaces[i]);
	for (i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	s->n_links = 0;
	ws_session_listeners_free(s);
	wirescope_bpf__destroy(s->skel);
	s->skel = NULL;
	kernel_btf(true);
}

/*
 * The object, with -vvv the verifier's statistics for each program (how
 * close it comes to the kernel's limit of 1M instructions processed):
 * libbpf prints the kernel's log at debug level even when the load works.
 */
static struct wirescope_bpf *open_skel(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .kernel_log_level = verbose >= 3 ? 4 : 0);

	return wirescope_bpf__open_opts(&opts);
}

/*
 * A fresh skeleton in @old's configuration (programs to load, map sizes,
 * .rodata and the other initial values), with program @off switched off.
 * libbpf cannot load an object again after a failed load.
 */
static struct wirescope_bpf *reopen(struct wirescope_bpf *old, const char *off)
{
	struct wirescope_bpf *n = open_skel();
	struct bpf_program *p, *q = NULL;
	struct bpf_map *m, *nm = NULL;
	size_t sz, nsz;
	void *v, *nv;

	if (!n)
		return NULL;
	bpf_object__for_each_program(p, old->obj)
	{
		q = bpf_object__next_program(n->obj, q);
		if (q)
			bpf_program__set_autoload(
			    q, bpf_program__autoload(p) &&
				   strcmp(bpf_program__name(p), off));
	}
	bpf_object__for_each_map(m, old->obj)
	{
		nm = bpf_object__next_map(n->obj, nm);
		if (!nm)
			break;
		bpf_map__set_max_entries(nm, bpf_map__max_entries(m));
		v = (void *)bpf_map__initial_value(m, &sz);
		nv = (void *)bpf_map__initial_value(nm, &nsz);
		if (v && nv && sz == nsz)
			memcpy(nv, v, sz);
	}
	return n;
}

/*
 * Load the programs.  A tracing program this kernel refuses is switched off
 * and the rest loaded again (a few times at most): its collector loses
 * that part, every other one works.  The XDP and tc programs are essential.
 */
static int load(struct ws_session *s)
{
	struct wirescope_bpf *n;
	struct bpf_program *p;
	int tries, err;

	for (tries = 0; tries < 6; tries++) {
		refused_prog[0] = 0;
		if (!wirescope_bpf__load(s->skel))
			return 0;
		err = errno; /* for the caller's message */
		p = refused_prog[0] ? bpf_object__find_program_by_name(
					  s->skel->obj, refused_prog)
				    : NULL;
		n = p && !is_hook_prog(s, p) &&
			    ws_tp_event(bpf_program__section_name(p))
			? reopen(s->skel, refused_prog)
			: NULL;
		if (!n) {
			errno = err;
			return -1;
		}
		tp_missing(s, p, ws_tp_event(bpf_program__section_name(p)),
			   "was refused by this kernel (-v shows why)");
		wirescope_bpf__destroy(s->skel);
		s->skel = n;
	}
	errno = err;
	return -1;
}

/* Not the initial user namespace (its inode is fixed: PROC_USER_INIT_INO). */
static bool in_user_namespace(void)
{
	char link[64];
	ssize_t n = readlink("/proc/self/ns/user", link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "user:[4026531837]");
}

/* Why the BPF object did not load (@err, an errno): the exit code. */
static int load_failed(int err)
{
	if (err == EPERM && in_user_namespace())
		return ws_error(WS_EXIT_PERM,
				"cannot load the BPF programs: not permitted "
				"in a user namespace (a rootless container, "
				"unshare -U): run wirescope as root on the "
				"host");
	/* A program's E2BIG is the verifier's, not a map's size. */
	if (err == E2BIG && refused_prog[0])
		return ws_error(WS_EXIT_KERNEL,
				"cannot load the BPF programs: %s is too "
				"complex for this kernel's verifier (E2BIG; "
				"-vvv shows how far each program got: please "
				"report it with uname -r)",
				refused_prog);
	if (err == ENOMEM || err == E2BIG)
		return ws_error(WS_EXIT_KERNEL,
				"cannot load the BPF programs: %s (the maps "
				"need more memory than the kernel gives: lower "
				"their sizes, --max-flows, --max-ports or "
				"resets' --flows)",
				strerror(err));
	return ws_error(WS_EXIT_KERNEL,
			"cannot load the BPF programs: %s (the kernel needs "
			"BTF and BPF support; -v shows why)",
			strerror(err));
}

static int attach_hooks_if_needed(struct ws_session *s)
{
	return needs_hooks(s) ? attach_hooks(s) : 0;
}

static int on_ready(struct ws_session *s)
{
	return s->on_ready ? s->on_ready(s) : 0;
}

static int ready_file(struct ws_session *s)
{
	return s->o->ready_file ? write_ready_file(s->o->ready_file) : 0;
}

/*
 * From the loaded programs to the ready file.  A stop signal between two
 * steps ends it: nothing was watched, so no summary, and the exit code is
 * 128 + the signal, as a shell reports a stop.
 */
static int start(struct ws_session *s)
{
	static int (*const steps[])(struct ws_session *) = {
		attach_hooks_if_needed,
		attach_tracepoints,
		start_collectors,
		on_ready,
		ready_file,
	};
	size_t i;
	int err, sig;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sig = stop_signal(s);
		if (sig)
			return 128 + sig;
		err = steps[i](s);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Run until the end, then the summary: losing every interface still ends
 * with the totals counted so far.
 */
static int watch(struct ws_session *s)
{
	int err = run_loop(s);

	s->end_code = err;
	if ((!err || err == WS_EXIT_IFACE) && summarize(s) > 0 && !err)
		err = WS_EXIT_RUNTIME;
	ws_output_warn_cut();
	return err;
}

int ws_session_run(struct ws_session *s)
{
	sigset_t stop_signals;
	int err;

	s->sig_fd = -1;
	verbose = s->o->verbose;
	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);
	if (!s->out)
		s->out = stdout;
	ws_session_add(s, &ws_health_collector);
	s->ncpus = libbpf_num_possible_cpus();
	s->skel = open_skel(); /* parses the object: no privilege */
	if (!s->skel || s->ncpus <= 0)
		return ws_error(WS_EXIT_KERNEL,
				"cannot open the BPF object: %s",
				strerror(errno));
	/* A usage error is one whoever runs it, on any kernel. */
	err = check_skip_tracepoints(s);
	if (!err)
		err = check_privileges();
	if (!err)
		err = check_btf();
	if (!err)
		err = configure(s);
	if (err)
		goto out;
	probe_tracepoints(s);
	if (load(s)) {
		err = load_failed(errno);
		goto out;
	}
	/* Blocked since main(): a signal that came meanwhile is pending. */
	s->sig_fd = ws_block_stop_signals(&stop_signals)
			? -1
			: signalfd(-1, &stop_signals, SFD_CLOEXEC);
	if (s->sig_fd >= 0 && s->out == stdout)
		s->out = ws_output_stdout(s->sig_fd);
	err = s->sig_fd < 0 ? ws_error(WS_EXIT_RUNTIME, "signal setup: %s",
				       strerror(errno))
			    : start(s);
	if (!err)
		err = watch(s);
out:
	teardown(s);
	if (ws_output_close(s->out))
		s->out = stdout;
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	return err;
}
