// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the data plane to one interface.
 *
 * Ingress: an XDP bpf_link, native with a generic fallback.  If another XDP
 * program owns the hook we never replace it: we count ingress with tc.
 * Egress (and tc ingress): a tcx bpf_link.  Links die with the process, so
 * kill -9 leaves nothing behind.  On kernels without tcx we fall back to a
 * clsact filter with our own handle and priority; that survives a crash, so
 * the next start removes it (an flock tells a dead owner from a live one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/core.h"
#include "core/netlink.h"
#include "wirescope.skel.h"

#define WS_BPF_TCX_INGRESS 46
#define WS_BPF_TCX_EGRESS  47
#define WS_BPF_F_BEFORE	   (1U << 3) /* tcx: no relative program = first */
#define WS_TC_HANDLE	   0x5753    /* "WS" */
#define WS_TC_PRIO	   0x5753
#define WS_LOCK_DIR	   "/run/wirescope"
#define WS_ENOTSUPP	   524 /* kernel-internal, can leak to user space */

void ws_hook_init(struct ws_hook *h)
{
	memset(h, 0, sizeof(*h));
	h->xdp_link_fd = -1;
	h->tcx_ingress_fd = -1;
	h->tcx_egress_fd = -1;
	h->clsact_lock_fd = -1;
	h->nl_fd = -1;
}

const char *ws_hook_mode_name(enum ws_hook_mode m)
{
	switch (m) {
	case WS_HOOK_XDP_NATIVE:
		return "xdp-native";
	case WS_HOOK_XDP_GENERIC:
		return "xdp-generic";
	case WS_HOOK_TCX:
		return "tcx";
	case WS_HOOK_CLSACT:
		return "clsact";
	default:
		return "none";
	}
}

/* Test-only switch: behave as if the kernel had no tcx (issue: hardening). */
static bool tcx_available(void)
{
	return !getenv("WIRESCOPE_TEST_NO_TCX");
}

static int xdp_link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);

	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * Our network namespace's cookie, which the kernel never reuses (5.14+),
 * or 0.  Its inode number is reused as soon as the namespace is gone: a
 * lock file named by it could make a later namespace's empty clsact look
 * like one a crashed wirescope made.
 */
static unsigned long long netns_cookie(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

static int lock_path(int ifindex, char *buf, size_t len)
{
	unsigned long long cookie = netns_cookie();
	struct stat st;

	if (mkdir(WS_LOCK_DIR, 0700) && errno != EEXIST)
		return -errno;
	/* ifindexes repeat across network namespaces: name both. */
	if (cookie) {
		snprintf(buf, len, WS_LOCK_DIR "/clsact-c%llu-%d.lock", cookie,
			 ifindex);
		return 0;
	}
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(buf, len, WS_LOCK_DIR "/clsact-%lu-%d.lock",
		 (unsigned long)st.st_ino, ifindex);
	return 0;
}

/*
 * A clean stop unlinks its lock file while it still holds it, so a lock
 * taken on a file no longer at @path is no lock.
 */
static bool still_named_at(int fd, int dir_fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) &&
	       !fstatat(dir_fd, path, &b, AT_SYMLINK_NOFOLLOW) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static bool still_named(int fd, const char *path)
{
	return still_named_at(fd, AT_FDCWD, path);
}

/*
 * What the lock file records: a clsact qdisc we made (for a start after a
 * crash to remove), or a clean stop that could not unlink it.
 */
#define WS_LOCK_CREATED "created\n"
#define WS_LOCK_STOPPED "stopped\n"

static bool clsact_lock_says(int fd, const char *what)
{
	char c = 0;

	return pread(fd, &c, 1, 0) == 1 && c == what[0];
}

static void clsact_lock_write(int fd, const char *what)
{
	if (ftruncate(fd, 0) == 0 && what &&
	    pwrite(fd, what, strlen(what), 0) != (ssize_t)strlen(what))
		ws_warn("cannot write the clsact lock file: %s",
			strerror(errno));
}

/*
 * A clean stop after a privilege drop (export's) cannot unlink its lock
 * file: it says "stopped" instead, and a later start removes it, once it
 * holds the lock of it.  Other files stay: a crash's tell the next start
 * in their namespace what to recover.
 */
static void sweep_stopped_locks(void)
{
	DIR *d = opendir(WS_LOCK_DIR);
	struct dirent *de;
	int fd;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "clsact-", 7))
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		/* Another sweep may have replaced it meanwhile: a live one. */
		if (!flock(fd, LOCK_EX | LOCK_NB) &&
		    clsact_lock_says(fd, WS_LOCK_STOPPED) &&
		    still_named_at(fd, dirfd(d), de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

/* Our sweep may hold a free file's lock for a moment: ask again. */
static int flock_patiently(int fd)
{
	const struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		nanosleep(&pause, NULL);
	}
	return -EBUSY;
}

/*
 * Hold an exclusive flock while our clsact filters are attached.  A filter
 * found on start whose lock is free was left by a crashed instance.
 */
static int clsact_lock(int ifindex, int create)
{
	char path[96];
	int fd, err, tries;

	err = lock_path(ifindex, path, sizeof(path));
	if (err)
		return err;
	if (create)
		sweep_stopped_locks();
	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC | create, 0600);
		if (fd < 0)
			return -errno;
		err = flock_patiently(fd);
		if (err) {
			close(fd);
			return err;
		}
		if (still_named(fd, path))
			return fd; /* kept open for the life of the process */
		close(fd);	   /* its owner unlinked it as it stopped */
		if (!create)
			return -ENOENT;
	}
	return -EBUSY;
}

/*
 * A clean stop (@clean: none of our filters is left) has nothing to
 * recover, so it leaves no file either: one per namespace would pile up.
 * Without the right to unlink it (after export's privilege drop), it says
 * so in the file, for sweep_stopped_locks().
 */
static void clsact_unlock(int *lock_fd, int ifindex, bool clean)
{
	char path[96];

	if (*lock_fd < 0)
		return;
	if (clean && (lock_path(ifindex, path, sizeof(path)) ||
		      !still_named(*lock_fd, path) || unlink(path)))
		clsact_lock_write(*lock_fd, WS_LOCK_STOPPED);
	close_fd(lock_fd);
}

/*
 * The lock file also remembers that a wirescope created the clsact qdisc,
 * so that one left empty by a crash is removed later (qdiscs carry no owner
 * of their own, and one someone else made must never be destroyed).
 */
static void clsact_mark(int lock_fd, bool created)
{
	if (lock_fd >= 0)
		clsact_lock_write(lock_fd, created ? WS_LOCK_CREATED : NULL);
}

static bool clsact_marked(int lock_fd)
{
	return clsact_lock_says(lock_fd, WS_LOCK_CREATED);
}

static bool clsact_empty(int ifindex)
{
	return nl_tc_filter_count(ifindex, 0) == 0 &&
	       nl_tc_filter_count(ifindex, 1) == 0;
}

static void clsact_destroy(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

static int clsact_attach(struct ws_iface *ifc, int prog_fd, bool egress)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WS_TC_HANDLE,
		    .priority = WS_TC_PRIO, .prog_fd = prog_fd);
	struct ws_hook *h = &ifc->hook;
	int err;

	if (h->clsact_lock_fd < 0) {
		err = clsact_lock(ifc->ifindex, O_CREAT);
		if (err < 0)
			return err;
		h->clsact_lock_fd = err;
	}
	/*
	 * Mark first: a kill -9 between creating the qdisc and marking it
	 * would leave ours looking foreign.  The next start removes a marked
	 * clsact only when it holds no filter: at worst, a kill in the few
	 * instructions before the unmark below takes an empty clsact that
	 * someone else made.
	 */
	if (!h->clsact_created)
		clsact_mark(h->clsact_lock_fd, true);
	err = bpf_tc_hook_create(&hook);
	if (!err) {
		h->clsact_created = true;
	} else {
		if (!h->clsact_created)
			clsact_mark(h->clsact_lock_fd, false);
		if (err != -EEXIST)
			return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return err;
	if (egress)
		h->clsact_egress = true;
	else
		h->clsact_ingress = true;
	return 0;
}

/* True if our filter is gone. */
static bool clsact_detach(struct ws_iface *ifc, bool egress)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WS_TC_HANDLE,
		    .priority = WS_TC_PRIO);
	int err = bpf_tc_detach(&hook, &opts);

	return !err || err == -ENOENT;
}

/* Attach one tc program: a tcx link, else a clsact filter. */
static int tc_attach(struct ws_iface *ifc, struct bpf_program *prog,
		     bool egress, enum ws_hook_mode *mode)
{
	/*
	 * First in the chain: a program that ends it (TC_ACT_OK, as Cilium's
	 * do) would hide every packet from one attached after it; ours
	 * returns TC_ACT_UNSPEC, so the rest of the chain runs as before.
	 */
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = WS_BPF_F_BEFORE);
	int prog_fd = bpf_program__fd(prog);
	int fd, err;

	if (tcx_available()) {
		fd = bpf_link_create(
		    prog_fd, ifc->ifindex,
		    egress ? WS_BPF_TCX_EGRESS : WS_BPF_TCX_INGRESS, &opts);
		if (fd >= 0) {
			if (egress)
				ifc->hook.tcx_egress_fd = fd;
			else
				ifc->hook.tcx_ingress_fd = fd;
			*mode = WS_HOOK_TCX;
			return 0;
		}
		if (fd != -EINVAL && fd != -EOPNOTSUPP && fd != -WS_ENOTSUPP)
			return fd;
	}
	err = clsact_attach(ifc, prog_fd, egress);
	if (!err)
		*mode = WS_HOOK_CLSACT;
	if (!err && egress)
		ws_warn("%s: no tcx in this kernel; using a clsact filter "
			"(a crash leaves it until our next start)",
			ifc->name);
	return err;
}

static void tc_error(struct ws_iface *ifc, const char *dir, int err)
{
	if (err == -EBUSY)
		ws_error(err, "%s: tc %s is held by another running wirescope",
			 ifc->name, dir);
	else if (err == -EACCES || err == -EPERM)
		ws_error(err,
			 "%s: cannot attach tc %s: %s (root is needed, and "
			 "without tcx write access to " WS_LOCK_DIR
			 " for the clsact filter's lock)",
			 ifc->name, dir, strerror(-err));
	else
		ws_error(err, "%s: cannot attach tc %s: %s", ifc->name, dir,
			 strerror(-err));
}

static int xdp_attach(struct ws_iface *ifc, struct wirescope_bpf *skel,
		      enum ws_attach_mode mode)
{
	int prog_fd = bpf_program__fd(skel->progs.ws_xdp_ingress);
	int fd = -EOPNOTSUPP;

	if (mode == WS_MODE_NATIVE) {
		fd = xdp_link_create(prog_fd, ifc->ifindex, XDP_FLAGS_DRV_MODE);
		ifc->hook.rx_mode = WS_HOOK_XDP_NATIVE;
	} else {
		fd = xdp_link_create(prog_fd, ifc->ifindex, XDP_FLAGS_SKB_MODE);
		ifc->hook.rx_mode = WS_HOOK_XDP_GENERIC;
	}
	if (fd < 0)
		return fd;
	ifc->hook.xdp_link_fd = fd;
	return 0;
}

static int attach_ingress(struct ws_iface *ifc, struct wirescope_bpf *skel,
			  enum ws_attach_mode mode)
{
	/*
	 * The default is tc: native XDP strips a veth peer's TSO and makes
	 * many NICs re-create rings or reset the link, generic XDP counts
	 * GRO/GSO super-packets as one frame (docs/sizes.md).  XDP only when
	 * asked for.
	 */
	if (ws_mode_is_xdp(mode))
		return xdp_attach(ifc, skel, mode);
	return tc_attach(ifc, skel->progs.ws_tc_ingress, false,
			 &ifc->hook.rx_mode);
}

bool ws_mode_is_xdp(enum ws_attach_mode mode)
{
	return mode == WS_MODE_NATIVE || mode == WS_MODE_GENERIC;
}

/* What a refused XDP attach's errno means, where it is vague. */
static const char *xdp_hint(int err)
{
	switch (err) {
	case -EBUSY:  /* a program or link in this mode */
	case -EEXIST: /* one in the other mode, or on an upper device */
		return " (an XDP program is attached to it or to a device "
		       "above it: use -m tc, the default)";
	case -ERANGE:
		return " (the MTU is too large for native XDP on this device: "
		       "use -m tc, the default, or -m generic)";
	case -EOPNOTSUPP:
		return " (the driver has no native XDP: use -m tc, the "
		       "default, or -m generic)";
	default:
		return "";
	}
}

static void attach_error(struct ws_iface *ifc, bool egress,
			 enum ws_attach_mode mode, int err)
{
	bool native = mode == WS_MODE_NATIVE;

	if (!egress && ws_mode_is_xdp(mode))
		ws_error(err, "%s: cannot attach XDP (%s mode): %s%s",
			 ifc->name, native ? "native" : "generic",
			 strerror(-err), xdp_hint(err));
	else
		tc_error(ifc, egress ? "egress" : "ingress", err);
}

/*
 * Link notifications, opened before attaching (and before export drops its
 * privileges): an RTM_DELLINK for our ifindex says the interface was deleted
 * or moved to another namespace even when a new one took its ifindex at
 * once.  A tcx link on a moved interface stays attached there, and without
 * CAP_NET_ADMIN nothing else tells it from the new one (XDP had netlink).
 */
static int link_events_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Drain the notifications: true if one removed @ifindex from here. */
static bool link_deleted(int fd, int ifindex)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *nh;
	const struct ifinfomsg *ifi;
	bool gone = false;
	ssize_t n;
	int len;

	while (fd >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue; /* overrun: the other checks stand */
			break;
		}
		len = (int)n;
		for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type != RTM_DELLINK ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			ifi = NLMSG_DATA(nh);
			/* AF_BRIDGE: only a port leaving its bridge */
			if (ifi->ifi_family == AF_UNSPEC &&
			    ifi->ifi_index == ifindex)
				gone = true;
		}
	}
	return gone;
}

/* No interface here has @ifc's ifindex any more: deleted or moved away. */
static bool iface_vanished(const struct ws_iface *ifc)
{
	char name[IF_NAMESIZE];

	return !if_indextoname(ifc->ifindex, name) && errno == ENXIO;
}

int ws_hook_attach(struct ws_iface *ifc, struct wirescope_bpf *skel,
		   enum ws_attach_mode mode)
{
	bool egress = false;
	int err;

	if (ifc->hook.nl_fd < 0)
		ifc->hook.nl_fd = link_events_open();

	err = attach_ingress(ifc, skel, mode);
	if (!err) {
		egress = true;
		err = tc_attach(ifc, skel->progs.ws_tc_egress, true,
				&ifc->hook.tx_mode);
	}
	if (!err)
		return 0;
	ifc->gone = iface_vanished(ifc); /* its filters went with it */
	ws_hook_detach(ifc);
	if (ifc->gone)
		return WS_HOOK_VANISHED;
	attach_error(ifc, egress, mode, err);
	return err;
}

/* The program of link @fd, if the kernel still has it attached. */
static __u32 link_prog(int fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	/* xdp.ifindex and tcx.ifindex share the offset; 0 = detached */
	return info.xdp.ifindex ? info.prog_id : 0;
}

/* Unprivileged (export after its drop) the query fails: assume present. */
static bool tcx_has(int ifindex, int attach_type, __u32 prog_id)
{
	__u32 ids[64], n = 64, i;

	if (bpf_prog_query(ifindex, attach_type, 0, NULL, ids, &n))
		return true;
	for (i = 0; i < n; i++)
		if (ids[i] == prog_id)
			return true;
	return false;
}

/*
 * True if the interface our links were made on is no longer the one with
 * this ifindex in our namespace: deleted (the kernel detached the links),
 * or moved to another namespace (they stay attached to it there), perhaps
 * with a new interface already holding the ifindex here.
 */
bool ws_hook_lost(const struct ws_iface *ifc)
{
	const struct ws_hook *h = &ifc->hook;
	__u32 id, here = 0;

	if (link_deleted(h->nl_fd, ifc->ifindex))
		return true;

	if (h->xdp_link_fd >= 0) {
		id = link_prog(h->xdp_link_fd);
		if (!id)
			return true;
		/* Without privileges the query fails: the link's word stands.
		 */
		if (!bpf_xdp_query_id(ifc->ifindex,
				      h->rx_mode == WS_HOOK_XDP_NATIVE
					  ? XDP_FLAGS_DRV_MODE
					  : XDP_FLAGS_SKB_MODE,
				      &here) &&
		    id != here)
			return true;
	}
	if (h->tcx_ingress_fd >= 0) {
		id = link_prog(h->tcx_ingress_fd);
		if (!id || !tcx_has(ifc->ifindex, WS_BPF_TCX_INGRESS, id))
			return true;
	}
	if (h->tcx_egress_fd >= 0) {
		id = link_prog(h->tcx_egress_fd);
		if (!id || !tcx_has(ifc->ifindex, WS_BPF_TCX_EGRESS, id))
			return true;
	}
	return false;
}

void ws_hook_detach(struct ws_iface *ifc)
{
	struct ws_hook *h = &ifc->hook;
	bool left = false;

	close_fd(&h->xdp_link_fd);
	close_fd(&h->tcx_ingress_fd);
	close_fd(&h->tcx_egress_fd);
	close_fd(&h->nl_fd);
	/* A deleted interface took our filters; its ifindex may be reused. */
	if (ifc->gone) {
		clsact_mark(h->clsact_lock_fd, false);
		h->clsact_ingress = h->clsact_egress = h->clsact_created =
		    false;
	}
	if (h->clsact_ingress && !clsact_detach(ifc, false))
		left = true;
	if (h->clsact_egress && !clsact_detach(ifc, true))
		left = true;
	/* Remove the clsact qdisc only if we made it and nobody uses it. */
	if (h->clsact_created && clsact_empty(ifc->ifindex))
		clsact_destroy(ifc->ifindex);
	if (h->clsact_created)
		clsact_mark(h->clsact_lock_fd, false);
	clsact_unlock(&h->clsact_lock_fd, ifc->ifindex, !left);
	h->clsact_ingress = h->clsact_egress = h->clsact_created = false;
	h->rx_mode = h->tx_mode = WS_HOOK_NONE;
}

static bool is_our_prog(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool ours;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       !strncmp(info.name, "ws_tc_", 6);
	close(fd);
	return ours;
}

/*
 * Remove clsact filters left by a wirescope that died without cleaning up,
 * and the clsact qdisc too if a wirescope made it and it is now empty.
 * Returns the number of filters removed, or -EBUSY if a live instance owns
 * them.
 */
int ws_hook_remove_stale(struct ws_iface *ifc)
{
	int removed = 0, egress, lock_fd;

	/* No lock file: no wirescope ever used clsact here. */
	lock_fd = clsact_lock(ifc->ifindex, 0);
	if (lock_fd < 0)
		return lock_fd; /* -EBUSY: a live instance, leave it alone */
	for (egress = 0; egress <= 1; egress++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
			    .attach_point =
				egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WS_TC_HANDLE,
			    .priority = WS_TC_PRIO);

		if (bpf_tc_query(&hook, &opts) || !is_our_prog(opts.prog_id))
			continue;
		opts.prog_id = 0;
		opts.prog_fd = 0;
		opts.flags = 0;
		if (!bpf_tc_detach(&hook, &opts))
			removed++;
	}
	if (clsact_marked(lock_fd)) {
		if (clsact_empty(ifc->ifindex)) {
			clsact_destroy(ifc->ifindex);
			ws_warn("%s: removed the empty clsact qdisc a crashed "
				"wirescope made",
				ifc->name);
		}
		clsact_mark(lock_fd, false); /* else it is someone else's now */
	}
	close(lock_fd);
	return removed;
}
