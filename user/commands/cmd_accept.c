// SPDX-License-Identifier: GPL-2.0
/* wirescope accept: accept queues per listening socket, and who overflows. */
#include <getopt.h>
#include <stdio.h>
#include "commands/commands.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"

static const char usage[] =
    "Usage: wirescope accept [-i IFACE]... [-p PORT]... [options] "
    "[interval [count]]\n"
    "\n"
    "Every listening TCP socket of this network namespace (as ss -lnt sees\n"
    "it), per interval:\n"
    "  LISTENER its address and port\n"
    "  PROCESS  the owner, name/pid (as ss -p)\n"
    "  QUEUE    accept queue now; MAX its maximum in the interval (sampled\n"
    "           every 100 ms); BACKLOG its limit, min(listen(), "
    "somaxconn)\n"
    "  OVERFL   accept-queue overflows: the namespace's ListenOverflows,\n"
    "           this listener's when it alone dropped, else apportioned\n"
    "  SYNQ     SYNs dropped for a full SYN queue (TCPReqQFullDrop,\n"
    "           syncookies off): not an overflow\n"
    "  KFREE    final ACKs dropped with reason TCP_LISTEN_OVERFLOW\n"
    "           (skb:kfree_skb; the ACK-site drop); - where the kernel\n"
    "           cannot count it (before 6.15)\n"
    "  SYN-S    wire: SYNs never answered and sent again (SYN-site drop)\n"
    "  ACK-S    wire: SYN-ACK repeated after the final ACK, or a RST for it\n"
    "  COOKIE   wire: syncookie SYN-ACK, ACK, then the client's data resent\n"
    "           with the server silent\n"
    "  VERDICT  ok, overflowing, syn-queue-full, deferred-accept\n"
    "           (TCP_DEFER_ACCEPT: repeated SYN-ACKs are expected, not an\n"
    "           overflow), or unanswered-not-queue (the wire shows losses\n"
    "           but no listener on the port dropped: not a queue)\n"
    "Then the host-wide ListenOverflows/ListenDrops deltas.  The wire\n"
    "columns need -i (the interfaces the clients come in on): - without\n"
    "it, or for a port the per-port table had no room for (--max-ports).\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  also watch handshakes on IFACE (repeatable)\n"
    "  -p, --port PORT        only listeners on PORT (repeatable); one\n"
    "                         nothing listens on is said on stderr\n"
    "      --max-flows N      handshakes tracked at once (default 65536;\n"
    "                         160 bytes each, preallocated: 10 MiB)\n"
    "      --max-ports N      listening ports counted (default 256)\n"
    "  -T, --timestamp        prefix each line with the time\n"
    "  -j, --json             JSON Lines: one interval record per listener,\n"
    "                         a host_interval record; summary records on "
    "exit\n"
    "  -m, --mode MODE        ingress hook: tc (the default; auto is\n"
    "                         the same), native or "
    "generic\n" WS_SKIP_TP_HELP WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once attached\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  wirescope accept                        # all listeners, every "
    "second\n"
    "  wirescope accept -i eth0 -p 80 -p 443 5 # with wire evidence\n"
    "  wirescope accept -j 1 10 | jq 'select(.verdict==\"overflowing\")'\n"
    "\n"
    "Exit status: 0 ok, 3 usage, 4 not root, 5 bad interface (or every\n"
    "watched interface was deleted while running), 6 kernel lacks a\n"
    "feature, 7 attach failed, 8 runtime error.\n";

int cmd_accept(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		WS_SKIP_TP_LONGOPT,
		{ "port", required_argument, NULL, 'p' },
		{ "max-flows", required_argument, NULL, HS_OPT_MAX_FLOWS },
		{ "max-ports", required_argument, NULL, HS_OPT_MAX_PORTS },
		{},
	};
	static const struct ws_cmd cmd = { "accept", usage, longopts,
					   hs_option };

	return ws_cmd_main(&cmd, argc, argv, &ws_accept_collector);
}
