#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ip route add ADDR via GATEWAY features tcp_usec_ts (a host route, IPv4
or IPv6), which iproute2 before 6.7 cannot say: TCP sockets on that route
send TSvals in microseconds (Linux 6.7+).

usec_ts_route.py ADDR GATEWAY

Exit 0: added; 2: the kernel has no such feature (before 6.7); 1: another
error, printed.
"""
import errno, socket, struct, sys

RTM_NEWROUTE = 24
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
RTA_DST, RTA_GATEWAY, RTA_METRICS = 1, 5, 8
RTAX_FEATURES = 12
RTAX_FEATURE_TCP_USEC_TS = 1 << 4
RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 4, 0, 1


def rta(kind, data):
    n = 4 + len(data)
    return struct.pack("HH", n, kind) + data + b"\0" * (-n % 4)


def request(addr, gateway):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    bits = 128 if family == socket.AF_INET6 else 32
    body = struct.pack("BBBBBBBBI", family, bits, 0, 0, RT_TABLE_MAIN,
                       RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
    body += rta(RTA_DST, socket.inet_pton(family, addr))
    body += rta(RTA_GATEWAY, socket.inet_pton(family, gateway))
    body += rta(RTA_METRICS, rta(RTAX_FEATURES,
                                 struct.pack("I", RTAX_FEATURE_TCP_USEC_TS)))
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
    return struct.pack("IHHII", 16 + len(body), RTM_NEWROUTE, flags, 1, 0) + body


def main():
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                       socket.NETLINK_ROUTE) as s:
        s.settimeout(5)
        s.send(request(sys.argv[1], sys.argv[2]))
        reply = s.recv(4096)
    if struct.unpack_from("H", reply, 4)[0] != NLMSG_ERROR:
        sys.exit("usec_ts_route: unexpected netlink reply")
    err = -struct.unpack_from("i", reply, 16)[0]
    if err == errno.EINVAL:
        print("usec_ts_route: the kernel refused the feature (before 6.7)")
        sys.exit(2)
    if err:
        sys.exit("usec_ts_route: %s" % errno.errorcode.get(err, err))


if __name__ == "__main__":
    main()
