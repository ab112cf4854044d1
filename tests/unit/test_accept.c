// SPDX-License-Identifier: GPL-2.0
/* The accept collector's rules (collectors/accept.c) on recorded counts. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "collectors/accept_int.h"

static void check_judge(const char *name, const struct accept_span *sp,
			bool defer, enum accept_verdict want)
{
	enum accept_verdict v = accept_judge(sp, defer);

	case_begin(name);
	CHECK(v == want, "verdict %s, want %s", accept_verdict_names[v],
	      accept_verdict_names[want]);
	case_end();
}

static void test_judge_kernel_evidence(void)
{
	struct accept_span sp = { .sk_drops = 5, .syn_queue_drops = 5 };

	check_judge("judge: SYN-queue drops alone are syn-queue-full", &sp,
		    false, ACCEPT_SYNQ_FULL);
	sp = (struct accept_span){ .sk_drops = 5, .overflows = 5 };
	check_judge("judge: overflows are overflowing", &sp, false,
		    ACCEPT_OVERFLOWING);
	sp = (struct accept_span){ .sk_drops = 4, .kfree = 2 };
	check_judge("judge: ACK-site drops are overflowing", &sp, true,
		    ACCEPT_OVERFLOWING);
	sp = (struct accept_span){};
	check_judge("judge: nothing is ok", &sp, false, ACCEPT_OK);
	check_judge("judge: nothing on a deferred listener is deferred", &sp,
		    true, ACCEPT_DEFERRED);
}

static void test_judge_wire_with_drops(void)
{
	struct accept_span sp = { .sk_drops = 4 };

	sp.wire.syn_site_drops = 2;
	check_judge("judge: SYN-site drops and the socket's drops are "
		    "overflowing",
		    &sp, false, ACCEPT_OVERFLOWING);
	sp = (struct accept_span){ .sk_drops = 6 };
	sp.wire.ack_site_drops = 6;
	check_judge("judge: repeated SYN-ACKs of a deferred listener are not "
		    "an overflow",
		    &sp, true, ACCEPT_DEFERRED);
	check_judge("judge: repeated SYN-ACKs of a plain listener are", &sp,
		    false, ACCEPT_OVERFLOWING);
}

/*
 * sshd behind an nftables rate limit on SYNs: the hook sees SYNs resent,
 * but no listener dropped any (sk_drops).
 */
static void test_judge_wire_without_drops(void)
{
	struct accept_span sp = {};

	sp.wire.syn_site_drops = 5;
	check_judge("judge: SYNs resent that no listener dropped are not the "
		    "queue's",
		    &sp, false, ACCEPT_NOT_QUEUE);
	sp.port_dropped = true;
	check_judge("judge: SYNs resent that another listener on the port "
		    "dropped leave this one ok",
		    &sp, false, ACCEPT_OK);
	check_judge("judge: ... and a deferred one deferred", &sp, true,
		    ACCEPT_DEFERRED);
	sp = (struct accept_span){ .dropped_before = true };
	sp.wire.syn_site_drops = 5;
	check_judge("judge: SYNs resent after the socket dropped, just before, "
		    "are overflowing",
		    &sp, false, ACCEPT_OVERFLOWING);
	sp.synq_before = true;
	check_judge("judge: SYNs resent after the SYN queue dropped them, just "
		    "before, are the SYN queue's",
		    &sp, false, ACCEPT_SYNQ_FULL);
	sp.sk_drops = 3;
	check_judge("judge: ... also with drops that are neither queue's", &sp,
		    false, ACCEPT_SYNQ_FULL);
	sp.overflows = 1;
	check_judge("judge: ... unless the accept queue overflowed too", &sp,
		    false, ACCEPT_OVERFLOWING);
	sp = (struct accept_span){};
	sp.wire.rst_after_ack = 1;
	sp.wire.cookie_drops = 1;
	check_judge("judge: RSTs and cookie losses no listener dropped are not "
		    "the queue's",
		    &sp, true, ACCEPT_NOT_QUEUE);
	sp = (struct accept_span){};
	sp.wire.ack_site_drops = 3;
	check_judge("judge: repeated SYN-ACKs of a deferred listener, no "
		    "drops: deferred",
		    &sp, true, ACCEPT_DEFERRED);
}

static void test_share_one_socket(void)
{
	struct accept_part p = { .live = true };

	case_begin("share: one socket gets its key's count, exactly");
	accept_share_key(3, &p, 1);
	CHECK_EQ(p.kfree, 3, "with no drops of its own yet");
	p.weight = 4;
	accept_share_key(5, &p, 1);
	CHECK_EQ(p.kfree, 5, "with drops");
	CHECK(!p.apportioned, "exact");
	case_end();
}

static uint64_t sum_kfree(const struct accept_part *p, int n)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += p[i].kfree;
	return sum;
}

/*
 * Two SO_REUSEPORT sockets with listen(8): 6 final ACKs dropped at each
 * (sk_drops +12 each, ss -m shows d12), 12 on their shared key.
 */
static void test_share_reuseport(void)
{
	struct accept_part p[2] = {
		{ .weight = 12, .live = true },
		{ .weight = 12, .live = true },
	};

	case_begin("share: an SO_REUSEPORT group's drops are counted once");
	accept_share_key(12, p, 2);
	CHECK_EQ(p[0].kfree, 6, "first socket");
	CHECK_EQ(p[1].kfree, 6, "second socket");
	CHECK(p[0].apportioned && p[1].apportioned, "said to be shares");
	/* Then 4 more, all at the second socket. */
	p[0].weight = 0;
	p[1].weight = 8;
	accept_share_key(16, p, 2);
	CHECK_EQ(p[0].kfree, 6, "first socket, no new drops");
	CHECK_EQ(p[1].kfree, 10, "second socket");
	case_end();
}

/* A rolling restart under SO_REUSEPORT: the new socket opens first. */
static void test_share_rolling_restart(void)
{
	struct accept_part p[2] = {
		{ .weight = 20, .live = true },
		{ .live = true },
	};

	case_begin("share: a closed socket's count is not read again by its "
		   "successor");
	accept_share_key(10, p, 2);
	CHECK_EQ(p[0].kfree, 10, "old socket");
	CHECK_EQ(p[1].kfree, 0, "new socket");
	p[0] = (struct accept_part){ .kfree = p[0].kfree }; /* closed */
	p[1].weight = 8;
	accept_share_key(14, p, 2);
	CHECK_EQ(p[0].kfree, 10, "old socket, closed");
	CHECK_EQ(p[1].kfree, 4, "new socket");
	CHECK(!p[1].apportioned, "exact: the only socket that dropped");
	/* Counted after the dump showed the drop: the only live socket. */
	p[1].weight = 0;
	accept_share_key(15, p, 2);
	CHECK_EQ(p[1].kfree, 5, "new socket, before its sk_drops shows it");
	CHECK(!p[1].apportioned, "exact: the only live socket");
	case_end();
}

static void test_share_adds_up(void)
{
	struct accept_part p[3] = {
		{ .weight = 2, .live = true },
		{ .weight = 2, .live = true },
		{ .weight = 2, .live = true },
	};
	struct accept_part idle[2] = { { .live = true }, { .live = true } };

	case_begin("share: the shares add up to the key's count");
	accept_share_key(10, p, 3);
	CHECK_EQ(sum_kfree(p, 3), 10, "three sockets alike");
	accept_share_key(3, idle, 2);
	CHECK_EQ(sum_kfree(idle, 2), 3, "no sk_drops yet: live ones alike");
	CHECK(idle[0].apportioned && idle[1].apportioned, "said to be shares");
	accept_share_key(3, idle, 2);
	CHECK_EQ(sum_kfree(idle, 2), 3, "read again, nothing new");
	case_end();
}

/*
 * The owner a listener names must still hold it: a parent that forked its
 * server and exited (nginx's old master after a binary upgrade) does not.
 */
static void test_owner_holds(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), status;
	struct stat st = {};
	pid_t child;

	case_begin("owner: named only while it holds the socket");
	CHECK(fd >= 0 && !listen(fd, 1) && !fstat(fd, &st), "a listener");
	CHECK(accept_owner_holds(getpid(), fd, st.st_ino), "we hold it");
	CHECK(!accept_owner_holds(getpid(), fd, st.st_ino + 1),
	      "not another socket");
	CHECK(!accept_owner_holds(getpid(), 0x7ffffff, st.st_ino),
	      "not an fd we lack");
	child = fork();
	if (!child)
		_exit(0);
	CHECK(child > 0 && waitpid(child, &status, 0) == child, "child ran");
	CHECK(!accept_owner_holds(child, fd, st.st_ino),
	      "not a process that exited");
	close(fd);
	CHECK(!accept_owner_holds(getpid(), fd, st.st_ino), "not once closed");
	case_end();
}

static void check_seen(const char *name, uint32_t max, uint32_t backlog,
		       const char *want)
{
	struct accept_listener l = { .queue_max = max, .backlog = backlog };
	char buf[80];

	case_begin(name);
	accept_queue_seen(&l, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "'%s', want '%s'", buf, want);
	case_end();
}

/*
 * A listen(8) queue drained every 30 ms under bursts of 40 connects:
 * ListenOverflows +124, and no 100 ms sample saw it other than empty.
 */
static void test_queue_seen(void)
{
	check_seen("queue: a full queue seen is said plainly", 9, 8,
		   "longest sampled 9 of 8");
	check_seen("queue: one the samples never saw full says they missed it",
		   0, 8,
		   "longest sampled 0 of 8 (100 ms samples; it overflows "
		   "at 9)");
}

/*
 * The advice of accept_overflow names a change that raises the limit:
 * never the value somaxconn already has, nor a lower one.
 */
static void test_overflow_advice(void)
{
	char a[640];

	case_begin("advice: the seed's nginx, backlog 4 under somaxconn 4096");
	accept_overflow_advice(a, sizeof(a), 4, 4096, 80, "nginx");
	CHECK(strstr(a, "`listen 80 backlog=4096;`"), "nginx's listen: %s", a);
	CHECK(!strstr(a, "sysctl"), "somaxconn is not the limit: %s", a);
	case_end();

	case_begin("advice: somaxconn 128 caps it: raise it to 4096");
	accept_overflow_advice(a, sizeof(a), 128, 128, 80, "nginx");
	CHECK(strstr(a, "`sysctl -w net.core.somaxconn=4096`"), "%s", a);
	case_end();

	case_begin("advice: somaxconn 4096 caps it: not 4096 again");
	accept_overflow_advice(a, sizeof(a), 4096, 4096, 80, "nginx");
	CHECK(!strstr(a, "somaxconn=4096`"), "a no-op: %s", a);
	CHECK(strstr(a, "`sysctl -w net.core.somaxconn=8192`"), "%s", a);
	CHECK(strstr(a, "`listen 80 backlog=8192;`"),
	      "the application must ask for as much: %s", a);
	case_end();

	case_begin("advice: somaxconn 65535 caps it: never lower it");
	accept_overflow_advice(a, sizeof(a), 65535, 65535, 443, "haproxy");
	CHECK(!strstr(a, "somaxconn=4096"), "lowers the limit: %s", a);
	case_end();

	case_begin("advice: backlog 300 under somaxconn 512: raise both");
	accept_overflow_advice(a, sizeof(a), 300, 512, 80, "nginx");
	CHECK(strstr(a, "`listen 80 backlog=4096;`"), "%s", a);
	CHECK(strstr(a, "`sysctl -w net.core.somaxconn=4096`"),
	      "somaxconn 512 would cap backlog=4096 at 512: %s", a);
	case_end();

	case_begin("advice: somaxconn unread (-1): not said to be the cap");
	accept_overflow_advice(a, sizeof(a), 64, -1, 80, "nginx");
	CHECK(!strstr(a, "(-1)") && !strstr(a, "caps the backlog"),
	      "a somaxconn it never read named as the limit: %s", a);
	CHECK(strstr(a, "`listen 80 backlog=4096;`") &&
		  strstr(a, "`sysctl -w net.core.somaxconn=4096`"),
	      "both raised: %s", a);
	case_end();
}

int main(void)
{
	test_overflow_advice();
	test_judge_kernel_evidence();
	test_judge_wire_with_drops();
	test_judge_wire_without_drops();
	test_share_one_socket();
	test_share_reuseport();
	test_share_rolling_restart();
	test_share_adds_up();
	test_owner_holds();
	test_queue_seen();
	return unit_exit();
}
