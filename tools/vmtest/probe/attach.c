// SPDX-License-Identifier: GPL-2.0
/* attach OBJ: load each program of OBJ alone and attach it (XDP and tc on
 * lo); one "name: load ok|ERR, attach ok|ERR" line per program.  Then try
 * a tcx link (BPF_TCX_INGRESS, whose number is given as argv[2], read from
 * the kernel's BTF; libbpf 1.1 does not know it). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_DEBUG ? 0 : vfprintf(stderr, f, a);
}

int main(int argc, char **argv)
{
	struct bpf_object *o0 = bpf_object__open(argv[1]);
	struct bpf_program *p0;
	int lo = if_nametoindex("lo");

	libbpf_set_print(quiet);
	if (!o0)
		return 1;
	bpf_object__for_each_program(p0, o0) {
		const char *want = bpf_program__name(p0);
		struct bpf_object *o = bpf_object__open(argv[1]);
		struct bpf_program *p, *me = NULL;
		struct bpf_link *l = NULL;
		int err;

		bpf_object__for_each_program(p, o) {
			int is = !strcmp(bpf_program__name(p), want);
			bpf_program__set_autoload(p, is);
			if (is)
				me = p;
		}
		err = bpf_object__load(o);
		printf("%-28s load %s", want, err ? strerror(-err) : "ok");
		if (!err) {
			if (bpf_program__type(me) == BPF_PROG_TYPE_XDP)
				l = bpf_program__attach_xdp(me, lo);
			else if (bpf_program__type(me) == BPF_PROG_TYPE_SCHED_CLS) {
				l = NULL;
				errno = 0;
				if (argc > 2) {
					LIBBPF_OPTS(bpf_link_create_opts, lo_opts);
					int fd = bpf_link_create(bpf_program__fd(me), lo, atoi(argv[2]), &lo_opts);
					printf(", tcx link %s", fd >= 0 ? "ok" : strerror(errno));
				} else {
					printf(", tcx link: no BPF_TCX_INGRESS in this kernel");
				}
				printf("\n");
				bpf_object__close(o);
				continue;
			} else
				l = bpf_program__attach(me);
			err = libbpf_get_error(l);
			printf(", attach %s", err ? strerror(-err) : "ok");
		}
		printf("\n");
		bpf_link__destroy(err ? NULL : l);
		bpf_object__close(o);
	}
	return 0;
}
