// SPDX-License-Identifier: GPL-2.0
/* attach OBJ: load each program of OBJ alone and attach it (XDP and tc on
 * lo); one "name: load ok|ERR, attach ok|ERR" line per program.  Then try
 * a tcx link (BPF_TCX_INGRESS, whose number is given as argv[2], read from
 * the kernel's BTF; libbpf 1.1 does not know it).
 * attach --load OBJ: only load each program of OBJ alone (rodata at its
 * defaults) and say which fail; libbpf prints the verifier log.
 * attach --load-enabled OBJ: the same with every "*_enabled" flag of
 * .rodata set, so no collector's code is pruned as dead. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_DEBUG ? 0 : vfprintf(stderr, f, a);
}

/* Set every bool "*_enabled" variable of .rodata. */
static void enable_all(struct bpf_object *o)
{
	struct btf *btf = bpf_object__btf(o);
	struct bpf_map *m;
	int id;

	bpf_object__for_each_map(m, o) {
		size_t sz;
		char *data;
		const char *n = bpf_map__name(m);

		if (strlen(n) < 7 || strcmp(n + strlen(n) - 7, ".rodata"))
			continue;
		data = (char *)bpf_map__initial_value(m, &sz);
		id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
		if (!data || id < 0)
			continue;
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vs++) {
			const char *v = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
			size_t l = strlen(v);
			if (l > 8 && !strcmp(v + l - 8, "_enabled") && vs->size == 1 && vs->offset < sz)
				data[vs->offset] = 1;
		}
	}
}

static int load_each(const char *path, int enable)
{
	struct bpf_object *o0 = bpf_object__open(path);
	struct bpf_program *p0;

	if (!o0)
		return 1;
	bpf_object__for_each_program(p0, o0) {
		const char *want = bpf_program__name(p0);
		struct bpf_object *o = bpf_object__open(path);
		struct bpf_program *p;
		int err;

		bpf_object__for_each_program(p, o)
			bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), want));
		if (enable)
			enable_all(o);
		printf("### %s (%s)\n", want, bpf_program__section_name(p0));
		fflush(stdout);
		err = bpf_object__load(o);
		fflush(stderr);
		printf("### %s: load %s\n", want, err ? strerror(-err) : "ok");
		fflush(stdout);
		bpf_object__close(o);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && (!strcmp(argv[1], "--load") || !strcmp(argv[1], "--load-enabled"))) {
		libbpf_set_print(quiet);
		return load_each(argv[2], !strcmp(argv[1], "--load-enabled"));
	}

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
