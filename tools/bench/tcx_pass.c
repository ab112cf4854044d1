// SPDX-License-Identifier: GPL-2.0
/*
 * The empty tc program on wirescope's default hook: tcx links on ingress and
 * egress, held until SIGTERM or SECONDS.  make bench's floor must sit on the
 * hook wirescope uses; a clsact filter runs through tc's classifier, a tcx
 * link does not.
 *
 *   tcx_pass OBJ IFNAME SECONDS
 *	prints "attached ID" (the one program both links run) once both
 *	hold; exits 3 if this kernel has no tcx (the caller falls back to
 *	clsact), 1 on any other error, 0 when stopped.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TCX_INGRESS 46 /* enum bpf_attach_type: libbpf 1.1 predates tcx */
#define TCX_EGRESS  47
#define EXIT_NO_TCX 3

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u32 link_prog_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.prog_id;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned int ifindex;
	int in, eg, left;

	if (argc != 4 || (left = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: tcx_pass OBJ IFNAME SECONDS\n");
		return 1;
	}
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "tcx_pass: no interface %s\n", argv[2]);
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "tcx_pass: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	in = bpf_link_create(bpf_program__fd(prog), ifindex, TCX_INGRESS, NULL);
	eg = bpf_link_create(bpf_program__fd(prog), ifindex, TCX_EGRESS, NULL);
	if (in < 0 || eg < 0) {
		fprintf(stderr, "tcx_pass: tcx attach: %s\n",
			strerror(-(in < 0 ? in : eg)));
		return in == -EINVAL || eg == -EINVAL ? EXIT_NO_TCX : 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("attached %u\n", link_prog_id(in));
	fflush(stdout);
	while (!stop && left-- > 0)
		sleep(1);
	return 0; /* the links die with us */
}
