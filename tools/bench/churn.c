// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake churn for make bench: short TCP connections as fast as the box
 * goes, bounded in count and in time.
 *
 *   churn server ADDR PORT SECONDS
 *	accept and close until SECONDS have passed.
 *   churn client ADDR PORT COUNT INFLIGHT SECONDS
 *	COUNT connections, INFLIGHT at a time; each is closed with an RST
 *	(SO_LINGER 0) once connected, so no TIME_WAIT eats the ports between
 *	rounds.  Prints one JSON line: connected, failed, seconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int addr_of(const char *a, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(port));
	return inet_pton(AF_INET, a, &sa->sin_addr) == 1 ? 0 : -1;
}

static int server(struct sockaddr_in *sa, double secs)
{
	struct timeval tick = { .tv_sec =
				    1 }; /* accept() wakes to check time */
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0), c;
	double end = now() + secs;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 4096)) {
		perror("churn: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (now() < end) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return 0;
}

static int start_one(int ep, struct sockaddr_in *sa)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int client(struct sockaddr_in *sa, long count, int inflight, double secs)
{
	struct epoll_event evs[64];
	long started = 0, ok = 0, failed = 0;
	int ep = epoll_create1(0), n, i, err;
	double t0 = now(), end = t0 + secs;
	socklen_t len;

	while (ok + failed < count && now() < end) {
		while (started - ok - failed < inflight && started < count) {
			started++;
			if (start_one(ep, sa))
				failed++;
		}
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			len = sizeof(err);
			getsockopt(evs[i].data.fd, SOL_SOCKET, SO_ERROR, &err,
				   &len);
			if (err)
				failed++;
			else
				ok++;
			close(evs[i].data.fd); /* RST: linger 0 */
		}
	}
	printf("{\"connected\":%ld,\"failed\":%ld,\"seconds\":%.3f}\n", ok,
	       failed, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	if (argc == 5 && !strcmp(argv[1], "server") &&
	    !addr_of(argv[2], argv[3], &sa))
		return server(&sa, atof(argv[4]));
	if (argc == 7 && !strcmp(argv[1], "client") &&
	    !addr_of(argv[2], argv[3], &sa) && atoi(argv[5]) > 0 &&
	    atoi(argv[5]) <= MAX_INFLIGHT)
		return client(&sa, atol(argv[4]), atoi(argv[5]), atof(argv[6]));
	fprintf(stderr, "usage: churn server ADDR PORT SECONDS | "
			"churn client ADDR PORT COUNT INFLIGHT SECONDS\n");
	return 3;
}
