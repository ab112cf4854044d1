// SPDX-License-Identifier: GPL-2.0
/* Option helpers shared by every command: strict numbers, errors. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/core.h"

char **ws_argv;

void ws_opts_init(struct ws_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	o->small = 128;
	o->prom_max_ports = 64;
	o->max_flows = 65536;
	o->max_ports = 256;
	o->top = 5;
}

int ws_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", ws_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s %s --help')\n", ws_prog, cmd);
	return WS_EXIT_USAGE;
}

/* Whole-string unsigned decimal in [min, max]; "5x", "", "-1" fail. */
int ws_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Positive decimal seconds ("0.5", "1e1"; not hex), at most a day. */
int ws_parse_seconds(const char *s, double *out)
{
	double v;
	char *end;

	if (!s || !*s || (*s != '.' && (*s < '0' || *s > '9')) ||
	    s[strspn(s, "0123456789.eE+-")])
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < WS_SECONDS_MIN ||
	    v > WS_SECONDS_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * Watch @name.  One no interface has: an error, unless @may_miss, which
 * keeps it as missing for ws_parse_args() to judge once every option
 * (--wait-interface among them) is read.
 */
/* A name the kernel could give an interface (its dev_valid_name()). */
static bool iface_name_valid(const char *name)
{
	const char *p;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

static int add_iface(struct ws_opts *o, const char *name, bool may_miss)
{
	struct ws_iface *ifc;
	int i;

	if (strlen(name) >= IF_NAMESIZE)
		return ws_error(WS_EXIT_IFACE, "interface name too long: '%s'",
				name);
	/* --wait-interface would wait for ever for it. */
	if (!iface_name_valid(name))
		return ws_error(WS_EXIT_IFACE, "not an interface name: '%s'",
				name);
	for (i = 0; i < o->n_ifaces; i++)
		if (!strcmp(o->ifaces[i].name, name))
			return 0;
	if (o->n_ifaces == WS_MAX_IFACES)
		return ws_error(WS_EXIT_USAGE, "at most %d interfaces",
				WS_MAX_IFACES);
	ifc = &o->ifaces[o->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	ws_hook_init(&ifc->hook);
	strcpy(ifc->name, name);
	strcpy(ifc->label, name);
	ifc->ifindex = if_nametoindex(name);
	if (!ifc->ifindex && !may_miss)
		return ws_error(WS_EXIT_IFACE, "no such interface: '%s'", name);
	ifc->missing = ifc->gone = !ifc->ifindex;
	/* Another name of one already given (an altname): watched once. */
	for (i = 0; i < o->n_ifaces && ifc->ifindex; i++)
		if (o->ifaces[i].ifindex == ifc->ifindex)
			return 0;
	o->n_ifaces++;
	return 0;
}

/* @path names a file that can be created: not a directory's name. */
static bool ready_file_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char dir[4096];

	if (!*path || (slash && !slash[1]) ||
	    (!stat(path, &st) && S_ISDIR(st.st_mode)))
		return false;
	if (!slash)
		return !access(".", W_OK | X_OK);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return !access(*dir ? dir : "/", W_OK | X_OK);
}

int ws_add_iface(struct ws_opts *o, const char *name)
{
	return add_iface(o, name, false);
}

/* An -i name no interface has is an error without --wait-interface. */
static int check_missing(const struct ws_opts *o)
{
	int i;

	for (i = 0; i < o->n_ifaces && !o->wait_ifaces; i++)
		if (o->ifaces[i].missing)
			return ws_error(WS_EXIT_IFACE,
					"no such interface: '%s'",
					o->ifaces[i].label);
	return 0;
}

int ws_parse_mode(const char *s, enum ws_attach_mode *mode)
{
	static const char *const names[] = { "auto", "native", "generic",
					     "tc" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*mode = (enum ws_attach_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The bcc-style [interval] [count] positionals. */
int ws_parse_positionals(struct ws_opts *o, int argc, char **argv)
{
	unsigned long count;

	if (argc > 2)
		return -E2BIG;
	if (argc >= 1 && ws_parse_seconds(argv[0], &o->interval))
		return -EINVAL;
	if (argc == 2) {
		if (ws_parse_ulong(argv[1], 1, WS_COUNT_MAX, &count))
			return -ERANGE;
		o->count = (long)count;
	}
	return 0;
}

/* The long options of the command being parsed (ws_parse_args). */
static const struct option *cur_longopts;

/* True if @word ("--name", "--na", "--name=v") is the long option of @val. */
static bool names_long_option(const char *word, int val)
{
	const struct option *lo;
	size_t n;

	if (strncmp(word, "--", 2) || !cur_longopts)
		return false;
	word += 2;
	n = strcspn(word, "=");
	for (lo = cur_longopts; lo->name; lo++)
		if (!strncmp(lo->name, word, n) && lo->val == val)
			return true;
	return false;
}

/*
 * The option getopt refused, as the user typed it: the word for a long one
 * ("=value" included only if @with_value: "--hist=3" takes none), else
 * "-x".  getopt leaves optopt 0 for an unknown long option and the option's
 * value for a known one; inside a cluster ("-zv") the word is not yet the
 * current one, hence the check against the long options.
 */
static const char *ws_bad_option(bool with_value)
{
	static char buf[64];
	const char *word = optind > 0 ? ws_argv[optind - 1] : "?";

	if (optopt && !names_long_option(word, optopt) && optopt < 128 &&
	    isgraph(optopt)) {
		snprintf(buf, sizeof(buf), "-%c", optopt);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%.*s",
		 with_value ? (int)strlen(word) : (int)strcspn(word, "="),
		 word);
	return buf;
}

/* How many long options @word ("--na", "--na=v") abbreviates: 1 if exact. */
static int long_option_matches(const char *word)
{
	const struct option *lo;
	size_t n;
	int m = 0;

	if (strncmp(word, "--", 2) || !cur_longopts)
		return 0;
	word += 2;
	n = strcspn(word, "=");
	for (lo = cur_longopts; lo->name; lo++) {
		if (strncmp(lo->name, word, n))
			continue;
		if (!lo->name[n])
			return 1;
		m++;
	}
	return m;
}

/* getopt's '?': a value for a flag, an ambiguous abbreviation, or unknown. */
static int bad_option_error(const char *cmd)
{
	const char *word = optind > 0 ? ws_argv[optind - 1] : "?";

	if (optopt && strchr(word, '=') && names_long_option(word, optopt))
		return ws_usage_error(cmd, "option %s takes no argument",
				      ws_bad_option(false));
	if (long_option_matches(word) > 1)
		return ws_usage_error(cmd, "ambiguous option %s",
				      ws_bad_option(false));
	return ws_usage_error(cmd, "unknown option %s", ws_bad_option(true));
}

int ws_common_option(int c, const char *arg, struct ws_opts *o, const char *cmd)
{
	switch (c) {
	case 'i':
		return add_iface(o, arg, true);
	case 'T':
		o->timestamp = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'm':
		if (ws_parse_mode(arg, &o->mode))
			return ws_usage_error(cmd,
					      "bad mode '%s': use native, "
					      "generic or tc",
					      arg);
		return 0;
	case WS_OPT_READY_FILE:
		/* Said now, not once everything is loaded and attached. */
		if (!ready_file_writable(arg))
			return ws_usage_error(cmd,
					      "cannot write --ready-file "
					      "'%s' (a file in a "
					      "writable directory)",
					      arg);
		o->ready_file = arg;
		return 0;
	case WS_OPT_SKIP_TP:
		/* Names are checked against the BPF object's at start. */
		if (!*arg || strstr(arg, ",,") || arg[0] == ',' ||
		    arg[strlen(arg) - 1] == ',')
			return ws_usage_error(cmd,
					      "bad --skip-tracepoint '%s': "
					      "EVENT[,EVENT...]",
					      arg);
		o->skip_tracepoints = arg;
		return 0;
	case ':':
		return ws_usage_error(cmd, "option %s needs an argument",
				      ws_bad_option(false));
	case '?':
		return bad_option_error(cmd);
	default:
		return -1;
	}
}

int ws_finish_args(struct ws_opts *o, int argc, char **argv, int optind,
		   const char *cmd, bool need_iface)
{
	int err = ws_parse_positionals(o, argc - optind, argv + optind);

	if (err == -E2BIG)
		return ws_usage_error(cmd, "too many arguments");
	if (err)
		return ws_usage_error(
		    cmd,
		    "bad interval or count: '%s%s%s' "
		    "(interval: " WS_SECONDS_RANGE ", count: " WS_COUNT_RANGE
		    ")",
		    argv[optind], argc - optind > 1 ? " " : "",
		    argc - optind > 1 ? argv[optind + 1] : "");
	if (need_iface && !o->n_ifaces)
		return ws_usage_error(cmd, "at least one -i IFACE is required");
	return 0;
}

/* getopt's optstring: ':' first, so a missing argument returns ':'. */
static void short_options(const struct option *lo, char *buf, size_t size)
{
	size_t n = 0;

	buf[n++] = ':';
	for (; lo->name && n + 2 < size; lo++) {
		if (lo->val <= 0 || lo->val >= 128 || !isalpha(lo->val))
			continue;
		buf[n++] = (char)lo->val;
		if (lo->has_arg == required_argument)
			buf[n++] = ':';
	}
	buf[n] = '\0';
}

int ws_parse_args(const struct ws_cmd *cmd, int argc, char **argv,
		  struct ws_opts *o, void *ctx)
{
	char shortopts[1 + 2 * 52 + 1]; /* every letter, each with a colon */
	int c, err;

	short_options(cmd->longopts, shortopts, sizeof(shortopts));
	cur_longopts = cmd->longopts;
	while ((c = getopt_long(argc, argv, shortopts, cmd->longopts, NULL)) !=
	       -1) {
		if (c == 'h') {
			fputs(cmd->usage, stdout);
			return ws_output_exit(stdout);
		}
		err = cmd->option(c, optarg, o, cmd->name, ctx);
		if (err < 0)
			err = ws_common_option(c, optarg, o, cmd->name);
		if (err > 0)
			return err;
	}
	err = check_missing(o);
	if (err)
		return err;
	if ((cmd->flags & WS_CMD_NO_POSITIONALS) && optind < argc)
		return ws_usage_error(cmd->name, "unexpected argument '%s'",
				      argv[optind]);
	err = ws_finish_args(o, argc, argv, optind, cmd->name,
			     cmd->flags & WS_CMD_NEED_IFACE);
	return err ? err : -1;
}

int ws_cmd_main(const struct ws_cmd *cmd, int argc, char **argv,
		const struct ws_collector *c)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	int err;

	ws_opts_init(&o);
	err = ws_parse_args(cmd, argc, argv, &o, NULL);
	if (err >= 0)
		return err;
	ws_session_add(&s, c);
	return ws_session_run(&s);
}
