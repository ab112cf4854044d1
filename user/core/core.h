/* SPDX-License-Identifier: GPL-2.0 */
/* The common core every command drives: options, session, loop, output. */
#ifndef WS_CORE_H
#define WS_CORE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include "ws_types.h"
#include "core/log.h"

struct wirescope_bpf;
struct ws_session;
struct ws_findings;  /* findings.h */
struct ws_diag_cols; /* findings.h */

/* A growable text buffer (prom.c); oom is sticky. */
struct ws_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

/* Exit codes shared by every command (docs/exit-codes in README). */
enum ws_exit {
	WS_EXIT_OK = 0,
	/* 1 and 2 are diag's "warning" and "critical" verdicts. */
	WS_EXIT_USAGE = 3,   /* bad option or argument */
	WS_EXIT_PERM = 4,    /* not root / missing capabilities */
	WS_EXIT_IFACE = 5,   /* unknown or unusable interface */
	WS_EXIT_KERNEL = 6,  /* kernel lacks a feature; BPF load failed */
	WS_EXIT_ATTACH = 7,  /* a hook could not be attached */
	WS_EXIT_RUNTIME = 8, /* runtime failure: I/O, map read, port in use */
	/* export: a gone interface is back; a restart attaches to it */
	WS_EXIT_REATTACH = 9,
};

enum ws_attach_mode {
	WS_MODE_AUTO = 0, /* the default: tc ingress (tcx, else clsact) */
	WS_MODE_NATIVE,
	WS_MODE_GENERIC,
	WS_MODE_TC, /* tc ingress instead of XDP */
};

#define WS_MAX_IFACES 16

/* Attachment state of one interface; see hook.c. */
struct ws_hook {
	int xdp_link_fd;
	int tcx_ingress_fd;
	int tcx_egress_fd;
	int clsact_lock_fd;
	int nl_fd; /* RTMGRP_LINK: sees our interface deleted or moved */
	bool clsact_created;
	bool clsact_ingress;
	bool clsact_egress;
	enum ws_hook_mode rx_mode;
	enum ws_hook_mode tx_mode;
};

struct ws_iface {
	char name[IF_NAMESIZE]; /* now: follows a rename */
	/* The -i name, for life: its series stay one through renames. */
	char label[IF_NAMESIZE];
	int ifindex;
	bool gone; /* not watched: deleted while we ran, or @missing */
	/* No interface had the -i name at start (export --wait-interface):
	 * never attached, ifindex 0, and @gone from the start. */
	bool missing;
	bool down; /* administratively down at the last check */
	bool back; /* gone, and a new interface took its -i name: said once */
	/* Added by the command itself (resets adds lo), not asked for: it
	 * alone keeps no command running, and its state goes unreported. */
	bool implicit;
	struct ws_hook hook;
};

struct ws_opts {
	struct ws_iface ifaces[WS_MAX_IFACES];
	int n_ifaces;
	double interval; /* seconds between reports */
	long count;	 /* reports before exit; 0 = until signalled */
	double duration; /* seconds before exit; 0 = none */
	bool json;
	bool timestamp;
	/* export --wait-interface: an -i name no interface has yet is
	 * watched for (see ws_iface.missing), not an error */
	bool wait_ifaces;
	int verbose; /* -v: attach details and libbpf warnings; -vv: debug */
	bool hist;
	enum ws_attach_mode mode;
	const char *ready_file;
	/* --skip-tracepoint: kernel events not to attach, comma-separated */
	const char *skip_tracepoints;
	/* sizes */
	uint32_t small;
	/* export --max-ports: listener ports with their own label */
	uint32_t prom_max_ports;
	/* handshakes, accept */
	uint32_t max_flows;
	uint32_t max_ports;
	uint32_t top;	    /* ports shown per interval */
	uint16_t ports[16]; /* -p filter */
	int n_ports;
};

/*
 * A collector: one concern with its BPF code, shared header and this
 * user-space module.  Every hook is optional.
 */
struct ws_collector {
	const char *name;
	/* Its BPF maps' name prefix: maps no running collector owns shrink to
	 * one entry, so a command pays only for what it runs. */
	const char *map_prefix;
	bool needs_hooks; /* runs on the XDP/tc programs */
	bool quiet;	  /* feeds another front-end (diag): prints nothing */
	int (*configure)(struct ws_session *s); /* before load */
	int (*start)(struct ws_session *s);	/* after attach */
	int (*sample)(struct ws_session *s);	/* read cumulative state */
	void (*interval)(struct ws_session *s, double secs); /* print deltas */
	/* every loop tick, export's too (it prints no intervals) */
	void (*housekeep)(struct ws_session *s);
	void (*summary)(struct ws_session *s); /* totals since start */
	/* Prometheus text of the latest sample (export). */
	void (*prom)(struct ws_session *s, struct ws_buf *b);
	void (*stop)(struct ws_session *s);
	/* diag: conclusions from the totals since start (findings.h) */
	void (*findings)(struct ws_session *s, struct ws_findings *f);
	/* diag: this interval's values for its per-second line */
	void (*diag_cols)(struct ws_session *s, double secs,
			  struct ws_diag_cols *c);
};

#define WS_MAX_COLLECTORS 12

#define WS_PROM_MAX_PORTS  1024
#define WS_PROM_PORT_OTHER WS_PROM_MAX_PORTS
#define WS_PROM_PORT_SLOTS (WS_PROM_MAX_PORTS + 1)
struct prom_ports {
	uint16_t port[WS_PROM_MAX_PORTS];
	unsigned int n;
};

struct ws_session {
	struct ws_opts *o;
	struct wirescope_bpf *skel;
	const struct ws_collector *collectors[WS_MAX_COLLECTORS];
	int n_collectors;
	struct bpf_link *links[32]; /* tracepoint links */
	int n_links;
	/*
	 * The tracing programs the collectors asked for, and what they lose
	 * without each one (ws_session_use_prog).
	 */
	struct ws_prog_use {
		char prog[32];
		char loss[192];
	} prog_uses[8];
	int n_prog_uses;
	/* Extra fds the loop polls (ring buffers...): cb returns 0 or -errno.
	 */
	struct ws_poller {
		int fd;
		int (*cb)(void *ctx);
		void *ctx;
	} pollers[4];
	int n_pollers;
	int ncpus;
	int sig_fd;	/* SIGINT, SIGTERM, SIGHUP, SIGQUIT: stop */
	double elapsed; /* seconds since start, monotonic */
	unsigned long ticks;
	FILE *out;
	/*
	 * Long-running front-ends (export): no interval or summary output,
	 * the loop only watches the interfaces.  @lock, when set, is held
	 * whenever the loop samples or updates interface state, so other
	 * threads can read collectors and ifaces under it.  @on_ready runs
	 * once everything is attached and started (it may drop privileges);
	 * @on_stop runs first at teardown, whatever happened before.
	 */
	bool no_reports;
	/*
	 * export: serve on once every -i interface is gone.  Its host-wide
	 * series (accept queues, the kernel's resets, host counters) stay
	 * true, and wirescope_interface_watched says what is not watched.
	 */
	bool outlive_ifaces;
	/*
	 * export: exit WS_EXIT_REATTACH once a gone -i interface is back
	 * under its name (and every other -i name is there): with its
	 * privileges dropped it cannot attach, a restarted process can.
	 */
	bool restart_when_back;
	bool final_sample; /* the last sample, before the summaries */
	int end_code;	   /* the exit code of what ended the watch, or 0 */
	/*
	 * export: the port label slots of every per-port family, one set, so
	 * a port has its own series in all of them or in none.
	 */
	struct prom_ports prom_ports;
	/*
	 * Bumped before each round of collector calls: the starts, every
	 * tick, the final sample with the summaries and findings.  What
	 * ws_session_listeners() caches by: the collectors of one round
	 * judge the same listeners, and the kernel is asked once.
	 */
	unsigned long round;
	struct ws_listener_snap {
		struct nl_listener *v;
		int n, cap;
		int err; /* the dump's -errno, or 0 */
		unsigned long round;
		bool taken;
	} listeners;
	pthread_mutex_t *lock;
	int (*on_ready)(struct ws_session *s);
	void (*on_stop)(struct ws_session *s);
	void *ctx;
};

/* Command table entry: the thin front-ends in user/cmd_*.c. */
struct ws_command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

/* opts.c */
extern char **ws_argv; /* the command's argv, for error messages */
void ws_opts_init(struct ws_opts *o);
int ws_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);
/* ws_parse_seconds()' range, and the [count] positional's, for messages. */
#define WS_STR(x)	 WS_STR_(x)
#define WS_STR_(x)	 #x
#define WS_SECONDS_MIN	 0.01
#define WS_SECONDS_MAX	 86400
#define WS_SECONDS_RANGE                                                       \
	"seconds from " WS_STR(WS_SECONDS_MIN) " to " WS_STR(WS_SECONDS_MAX)
#define WS_COUNT_MAX   2147483648
#define WS_COUNT_RANGE "an integer from 1 to " WS_STR(WS_COUNT_MAX)
int ws_parse_seconds(const char *s, double *out);
int ws_add_iface(struct ws_opts *o, const char *name);
int ws_parse_mode(const char *s, enum ws_attach_mode *mode);
/* Ingress is XDP (native or generic), not tc. */
bool ws_mode_is_xdp(enum ws_attach_mode mode);
int ws_parse_positionals(struct ws_opts *o, int argc, char **argv);
int ws_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* commands/registry.c: every data collector, for the core's map shrinking. */
extern const struct ws_collector *const ws_all_collectors[];
/* Should collector @name print its own lines (not quiet, not export)? */
bool ws_collector_reports(const struct ws_session *s, const char *name);
/* Is collector @name in the session, quiet or not? */
bool ws_session_runs(const struct ws_session *s, const char *name);
/* An -i interface is watched now: neither gone nor missing yet. */
bool ws_session_watches_iface(const struct ws_session *s);

/* session.c */
int ws_block_stop_signals(sigset_t *mask);
int ws_session_run(struct ws_session *s);
/* The tick after @now, in ns since the start: @iv's next, or @dur's end. */
int64_t ws_next_tick_ns(int64_t now, int64_t iv, int64_t dur);
/*
 * Once the watch has ended: did a stop signal (a second Ctrl-C) come since?
 * Takes it.  What the summary still waits for should then be skipped.
 */
bool ws_session_stopped_again(const struct ws_session *s);
/* The watch reached its count or -d (not stopped by a signal or error). */
bool ws_session_watch_done(const struct ws_session *s);
void ws_session_add(struct ws_session *s, const struct ws_collector *c);
/*
 * @cb runs when @fd is readable: 0, -errno (the loop ends, "event read"),
 * or an exit code it has said on stderr itself (the loop ends with it).
 */
int ws_session_add_poller(struct ws_session *s, int fd, int (*cb)(void *ctx),
			  void *ctx);
/* Optional tracepoints: did @p load and attach? (false: degrade) */
struct bpf_program;
bool ws_session_prog_active(const struct ws_session *s,
			    const struct bpf_program *p);
const char *ws_tp_event(const char *sec);
bool ws_tp_test_missing(const char *event);
/* @event is a name in @list (comma-separated, or "*"); NULL: none. */
bool ws_tp_listed(const char *list, const char *event);
/*
 * A collector loads tracing program @p; @loss says what it loses when the
 * kernel lacks or refuses it ("resets: ..."), for the one-line warning.
 */
void ws_session_use_prog(struct ws_session *s, struct bpf_program *p,
			 const char *loss);
/* Is the program of @u loaded and attached? */
bool ws_session_use_active(const struct ws_session *s,
			   const struct ws_prog_use *u);
int ws_tp_nargs(const char *event);
/* Does the kernel's BTF have this enumerator (a drop reason, say)? */
bool ws_kernel_has_enum_value(const char *name);

/*
 * What this kernel gives the running collectors: one named feature each,
 * on or off (docs/kernels.md lists them).  Fills @out, returns the count.
 */
struct ws_feature {
	char name[48];
	bool on;
};
#define WS_MAX_FEATURES 24
int ws_session_features(const struct ws_session *s, struct ws_feature *out);

/* prom.c: Prometheus text exposition format 0.0.4 */
void ws_buf_printf(struct ws_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ws_buf_append(struct ws_buf *b, const void *data, size_t len);
void ws_buf_free(struct ws_buf *b);
/* "# HELP" and "# TYPE" lines for one metric family. */
void prom_family(struct ws_buf *b, const char *name, const char *type,
		 const char *help);
/* One sample; @labels is preformatted (a="x",b="y") or NULL. */
void prom_u64(struct ws_buf *b, const char *name, const char *labels,
	      uint64_t v);
void prom_double(struct ws_buf *b, const char *name, const char *labels,
		 double v);
/* A counter family of one sample. */
void prom_counter(struct ws_buf *b, const char *name, const char *help,
		  const char *labels, uint64_t v);
/* Escape a label value (\, ", newline) into @dst. */
void prom_escape(char *dst, size_t len, const char *src);
/* Label pairs (name, value, ..., NULL) into @dst, values escaped. */
const char *prom_labels(char *dst, size_t len, ...) __attribute__((sentinel));
/*
 * A histogram series: @counts[n] per bucket (not cumulative), the last one
 * open (+Inf); @le[n - 1] upper bounds in the exported unit; @sum in raw
 * units, exported as sum * @unit (exact integer when @unit is 1).
 */
void prom_histogram(struct ws_buf *b, const char *name, const char *labels,
		    const double *le, const uint64_t *counts, int n,
		    uint64_t sum, double unit);

/*
 * A counter served as a difference (handshakes completed: final ACKs less
 * those the kernel then dropped) dips when a loss is learned after its ACK
 * was counted, and Prometheus reads any dip as a reset.  Serve the highest
 * value yet (@high, per series); the next completions catch a dip up.  A
 * difference that wrapped below zero reads as a dip.
 */
uint64_t prom_monotonic(uint64_t *high, uint64_t v);

/*
 * Bounded port labels (export --max-ports, o->prom_max_ports): the first
 * max ports the exporter sees keep their own series for the life of the
 * process; later ones share port="other".  Collectors sum values per slot
 * (0..n-1, or WS_PROM_PORT_OTHER) so "other" is one series.
 */
unsigned int prom_port_slot(struct prom_ports *p, unsigned int max,
			    uint16_t port);
/* The label value of @slot: "443" or "other". */
const char *prom_port_name(const struct prom_ports *p, unsigned int slot,
			   char *buf, size_t len);
/*
 * wirescope_interface_watched: per -i interface, 1 while watched, 0 once
 * gone (a log line alerts nobody; the series of a gone one disappear).
 */
void prom_interfaces_watched(struct ws_buf *b, const struct ws_opts *o);
#define WS_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* listeners.c */
struct nl_listener;
/*
 * This round's listening TCP sockets (sock_diag, as ss -lntm): the first
 * caller of a round dumps them, the others share that snapshot.  Their
 * number, @v set, or the dump's -errno (then for the whole round).
 */
int ws_session_listeners(struct ws_session *s, const struct nl_listener **v);
/* A fresh dump now, which the rest of the round then shares. */
int ws_session_listeners_now(struct ws_session *s,
			     const struct nl_listener **v);
void ws_session_listeners_free(struct ws_session *s);

/* hook.c */
void ws_hook_init(struct ws_hook *h);
/* No interface has the ifindex any more (ws_hook_attach). */
#define WS_HOOK_VANISHED 1
/*
 * Attach both programs, or neither: 0, a -errno said on stderr, or
 * WS_HOOK_VANISHED (positive), unsaid: the interface was deleted or moved
 * away since its ifindex was resolved, and @ifc is gone.
 */
int ws_hook_attach(struct ws_iface *ifc, struct wirescope_bpf *skel,
		   enum ws_attach_mode mode);
void ws_hook_detach(struct ws_iface *ifc);
bool ws_hook_lost(const struct ws_iface *ifc);
int ws_hook_remove_stale(struct ws_iface *ifc);
const char *ws_hook_mode_name(enum ws_hook_mode m);

/* output.c */
/* CLOCK_MONOTONIC, the clock of the kernel's bpf_ktime_get_ns(). */
int64_t ws_mono_ns(void);

static inline int64_t ws_mono_ms(void)
{
	return ws_mono_ns() / 1000000;
}

void ws_fmt_time(char *buf, size_t len, bool iso);
/*
 * @addr (@family AF_INET or AF_INET6) as text; an IPv4-mapped IPv6 address
 * (a dual-stack socket's IPv4 peer) as the IPv4 address the wire carries.
 * Returns buf.
 */
const char *ws_fmt_addr(int family, const void *addr, char *buf, size_t len);
/* Room for any address ws_fmt_addr_scoped() prints. */
#define WS_ADDRSTRLEN (INET6_ADDRSTRLEN + IF_NAMESIZE)
/* ws_fmt_addr(), a link-local IPv6 address with its scope: fe80::1%eth0. */
const char *ws_fmt_addr_scoped(int family, const void *addr, int ifindex,
			       char *buf, size_t len);
/* "addr:port" (ws_fmt_addr), IPv6 in brackets.  Returns buf. */
const char *ws_fmt_endpoint(int family, const void *addr, uint16_t port,
			    char *buf, size_t len);
const char *ws_human(double v, char *buf, size_t len);
/* @part of @whole as "12.5%", or "-" when @whole is 0: no share, not 0%. */
const char *ws_fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t len);
/* A sysctl read into @v (-1 if it could not be): "unknown", never -1. */
const char *ws_fmt_sysctl(int64_t v, char *buf, size_t len);
void ws_print_bar_hist(FILE *f, const char *label, const char *const *names,
		       const uint64_t *vals, int n);
/*
 * Flush @f: 0 if all was written, -EPIPE if its reader went away (stop
 * quietly, as `| head` expects), -EINTR if a stop signal (or the stop's
 * deadline) cut a write to a reader that stopped reading, else one line on
 * stderr and WS_EXIT_RUNTIME (a full disk, a closed stdout).
 */
int ws_output_check(FILE *f);
/*
 * stdout for a session's reports: a write blocked on its reader gives up
 * when @sig_fd (a signalfd, never read here) has a signal pending.  stdout
 * itself if it cannot be made.
 */
FILE *ws_output_stdout(int sig_fd);
/* From now on a write waits at most @wait_ms for its reader. */
void ws_output_stopping(int wait_ms);
/* If it was cut, says so on stderr, unless stderr is the same file. */
void ws_output_warn_cut(void);
/*
 * When stderr is the same file as ws_output_stdout()'s, @buf from the
 * session's thread goes the same way (true): a stalled reader blocks
 * neither.  Else false: not written.
 */
bool ws_output_stderr_write(const char *buf, size_t len);
/* Flush and close ws_output_stdout()'s stream (true), not stdout. */
bool ws_output_close(FILE *f);
/* The exit code once everything is written to @f: 0 or WS_EXIT_RUNTIME. */
int ws_output_exit(FILE *f);
/* stdin, stdout or stderr closed: keep the fd from the next open(). */
void ws_hold_std_fds(void);

struct ws_json {
	FILE *f;
	int depth;
	bool need_comma[8];
};
void json_begin(struct ws_json *j, FILE *f, const char *type);
void json_end(struct ws_json *j);
void json_key(struct ws_json *j, const char *key);
void json_str(struct ws_json *j, const char *key, const char *val);
void json_u64(struct ws_json *j, const char *key, uint64_t v);
void json_i64(struct ws_json *j, const char *key, int64_t v);
void json_double(struct ws_json *j, const char *key, double v);
void json_bool(struct ws_json *j, const char *key, bool v);
/* @key: null, a value that was not measured. */
void json_null(struct ws_json *j, const char *key);
/* @v if it was counted (@counted), else null. */
void json_u64_or_null(struct ws_json *j, const char *key, bool counted,
		      uint64_t v);
/* @part of @whole in percent, or null when @whole is 0 (ws_fmt_pct). */
void json_pct_or_null(struct ws_json *j, const char *key, uint64_t part,
		      uint64_t whole);
/* A string that was found, or null for NULL or "" (not measured). */
void json_str_or_null(struct ws_json *j, const char *key, const char *val);
/* A sysctl read into @v, -1 if it could not be: then null, not -1. */
void json_sysctl(struct ws_json *j, const char *key, int64_t v);
void json_obj_begin(struct ws_json *j, const char *key);
void json_obj_end(struct ws_json *j);
void json_arr_begin(struct ws_json *j, const char *key);
void json_arr_end(struct ws_json *j);
void json_ifaces(struct ws_json *j, const struct ws_session *s);

/* Map helpers (bpfmap.c). */
int ws_percpu_sum_u64(int map_fd, const void *key, int ncpus, uint64_t *out,
		      int nwords);
int ws_percpu_insert_zero(int map_fd, const void *key, int ncpus,
			  size_t value_size);
void ws_sub_u64(const void *a, const void *b, void *out, int nwords);
/* Hash-map walks (bpfmap.c): WS_WALK_BATCH keys a syscall. */
#define WS_WALK_BATCH 1024
typedef void (*ws_map_fn)(const void *key, const void *value, void *arg);
struct bpf_map;
long ws_map_walk(const struct bpf_map *m, ws_map_fn fn, void *arg);

/* health.c */
extern const struct ws_collector ws_health_collector;
/* What the data plane could not record since the start, by counter
 * (headers/health.h): a collector lowers its claims by it. */
uint64_t ws_health_lost(unsigned int counter);
/* A loss user space saw: one more in health counter @counter. */
void ws_health_count(unsigned int counter);

/* Options every command shares; front-ends append their own. */
enum {
	WS_OPT_READY_FILE = 1000,
	WS_OPT_SKIP_TP,
	WS_OPT_CMD_BASE = 1100, /* command-specific long options start here */
};
#define WS_COMMON_LONGOPTS                                                     \
	{ "interface", required_argument, NULL, 'i' },                         \
	    { "timestamp", no_argument, NULL, 'T' },                           \
	    { "json", no_argument, NULL, 'j' },                                \
	    { "verbose", no_argument, NULL, 'v' },                             \
	    { "mode", required_argument, NULL, 'm' },                          \
	    { "help", no_argument, NULL, 'h' },                                \
	{                                                                      \
		"ready-file", required_argument, NULL, WS_OPT_READY_FILE       \
	}

/* For the commands whose collectors run tracepoint programs. */
#define WS_SKIP_TP_LONGOPT                                                     \
	{                                                                      \
		"skip-tracepoint", required_argument, NULL, WS_OPT_SKIP_TP     \
	}
#define WS_SKIP_TP_HELP                                                        \
	"      --skip-tracepoint EVENT[,EVENT...]\n"                           \
	"                         leave these tracepoints off (e.g.\n"         \
	"                         kfree_skb,tcp_send_reset: cheaper\n"         \
	"                         in an RST or drop storm); what they\n"       \
	"                         show is reported as off\n"

#define WS_VERBOSE_HELP                                                        \
	"  -v, --verbose          say how hooks were attached, and libbpf's\n" \
	"                         warnings (-vv: its debug output too;\n"      \
	"                         -vvv: and the verifier's statistics of\n"    \
	"                         each program it loads)\n"

/* Returns -1 if @c is not a common option, else 0 or an exit code. */
int ws_common_option(int c, const char *arg, struct ws_opts *o,
		     const char *cmd);
/* Parse [interval] [count] and report misuse; 0 or an exit code. */
int ws_finish_args(struct ws_opts *o, int argc, char **argv, int optind,
		   const char *cmd, bool need_iface);

struct option;

enum ws_cmd_flags {
	WS_CMD_NEED_IFACE = 1,	   /* at least one -i */
	WS_CMD_NO_POSITIONALS = 2, /* no [interval [count]] */
};

/*
 * A front-end's command line.  A long option whose value is a letter is
 * also that short option.  @option sees each option before the common
 * ones do, so a command may refuse one of those: it returns 0 if it took
 * @c, an exit code to stop with, or -1 if @c is not its own.
 */
struct ws_cmd {
	const char *name;
	const char *usage;	       /* printed by -h, --help */
	const struct option *longopts; /* WS_COMMON_LONGOPTS and its own */
	int (*option)(int c, const char *arg, struct ws_opts *o,
		      const char *cmd, void *ctx);
	unsigned int flags; /* enum ws_cmd_flags */
};

/*
 * Parse argv into @o (ws_opts_init()ed, command defaults set) and @ctx.
 * Returns -1 to go on and run, else the exit code to return: WS_EXIT_OK
 * after --help, or an error already printed.
 */
int ws_parse_args(const struct ws_cmd *cmd, int argc, char **argv,
		  struct ws_opts *o, void *ctx);
/* A command that is its options and one collector: parse, then run it. */
int ws_cmd_main(const struct ws_cmd *cmd, int argc, char **argv,
		const struct ws_collector *c);

#endif
