#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""RST injectors for the resets lab (inside lab namespaces only).

  rst_inject.py lb IFACE PORT --idle S
      An LB-style idle timeout: watch the flow to/from PORT through IFACE
      (both directions), and once it has been idle S seconds reset both
      ends with exactly the sequence numbers each expects, unprompted.
  rst_inject.py forge IFACE PORT --ttl T --count N --jump J [--exts E]
      An on-path forger: 0.3 s into the server's data, right behind one
      of its segments, send N RSTs to the client spoofing the server, with
      TTL T and sequence numbers jumping by J from the expected one (a
      sweep; --jump 0 --count 1 is one exact, accepted forgery).  Over
      IPv6 each RST sits behind E destination-options headers (default 1).
  rst_inject.py ext6 IFACE PORT --src S --dst D --count N
      N IPv6 RSTs from S port 5001 to D port PORT out of IFACE at once,
      each behind a destination-options header, as a host whose socket
      sets IPV6_DSTOPTS sends them.

Runs at most --timeout seconds and sends at most 2 (lb) or N packets.
"""
import argparse
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_rst(sport, dport, seq, ack, pseudo):
    """An RST's TCP header, its checksum over PSEUDO (without the length)."""
    flags = 0x04 | (0x10 if ack is not None else 0)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack or 0, 5 << 4,
                      flags, 0, 0, 0)
    return tcp[:16] + struct.pack("!H", csum(pseudo(len(tcp)) + tcp)) + \
        tcp[18:]


def rst_packet(src, dst, sport, dport, seq, ttl, ack=None):
    tcp = tcp_rst(sport, dport, seq, ack, lambda n: socket.inet_aton(src) +
                  socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, n))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x1234, 0x4000,
                     ttl, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def rst6_ext_packet(src, dst, sport, dport, seq, exts=1, hops=64):
    """An RST behind EXTS destination-options headers, one PadN each."""
    a, b = socket.inet_pton(socket.AF_INET6, src), \
        socket.inet_pton(socket.AF_INET6, dst)
    tcp = tcp_rst(sport, dport, seq, None,
                  lambda n: a + b + struct.pack("!IxxxB", n, 6))
    dstopts = b"".join(bytes([60 if k < exts - 1 else 6, 0, 1, 4, 0, 0, 0, 0])
                       for k in range(exts))
    ip = struct.pack("!IHBB", 6 << 28, len(dstopts) + len(tcp), 60, hops)
    return ip + a + b + dstopts + tcp


def parse6(ip):
    """parse()'s answer for an IPv6 packet IP with TCP right behind it."""
    if len(ip) < 60 or ip[6] != 6:
        return None
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", ip[40:54])
    plen = struct.unpack("!H", ip[4:6])[0] - (off >> 4) * 4
    return (socket.inet_ntop(socket.AF_INET6, ip[8:24]),
            socket.inet_ntop(socket.AF_INET6, ip[24:40]),
            sport, dport, seq, ack, flags, plen)


def parse(frame):
    """(src, dst, sport, dport, seq, ack, flags, payload_len) or None."""
    if len(frame) >= 74 and frame[12:14] == b"\x86\xdd":
        return parse6(frame[14:])
    if len(frame) < 54 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:]
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", tcp[:14])
    doff = (off >> 4) * 4
    plen = tot - ihl - doff
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]),
            sport, dport, seq, ack, flags, plen)


def packets(iface, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            yield None
            continue
        p = parse(s.recv(65535))
        if p:
            yield p


def send(raw, pkt, dst):
    raw.sendto(pkt, (dst, 0))


def lb(a, raw):
    nxt = {}  # (src, sport) -> (dst, dport, next seq)
    last = None
    for p in packets(a.iface, a.timeout):
        if p is None:
            if last and nxt and time.time() - last >= a.idle and len(nxt) == 2:
                for (src, sport), (dst, dport, seq) in nxt.items():
                    # To dst, as if from src: the seq dst expects next.
                    send(raw, rst_packet(src, dst, sport, dport, seq, 64), dst)
                print("reset both ends after %.1f s idle" % a.idle, flush=True)
                return 0
            continue
        src, dst, sport, dport, seq, ack, flags, plen = p
        if a.port not in (sport, dport) or flags & 0x04 or ":" in src:
            continue
        nxt[(src, sport)] = (dst, dport,
                             (seq + plen + (1 if flags & 0x03 else 0)) % 2**32)
        last = time.time()
    return 1


def forge(a, raw):
    raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    first = None
    for p in packets(a.iface, a.timeout):
        if p is None:
            continue
        src, dst, sport, dport, seq, ack, flags, plen = p
        if sport != a.port or flags & 0x04 or not plen:
            continue
        first = first or time.time()
        if time.time() - first < 0.3:
            continue
        # Right behind a server segment: seq + plen is what the client
        # expects now (--jump 0 forges an exact, accepted RST).
        for k in range(1, a.count + 1):
            nseq = (seq + plen + k * a.jump) % 2**32
            if ":" in src:
                raw6.sendto(rst6_ext_packet(src, dst, sport, dport, nseq,
                                            a.exts, a.ttl), (dst, 0))
            else:
                send(raw, rst_packet(src, dst, sport, dport, nseq, a.ttl),
                     dst)
        print("forged %d RSTs" % a.count, flush=True)
        return 0
    return 1


def ext6(a):
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
    for k in range(a.count):
        raw.sendto(rst6_ext_packet(a.src, a.dst, 5001, a.port,
                                   0x0fffffff * (k + 1)), (a.dst, 0))
    print("sent %d RSTs" % a.count, flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["lb", "forge", "ext6"])
    ap.add_argument("iface")
    ap.add_argument("port", type=int)
    ap.add_argument("--idle", type=float, default=2)
    ap.add_argument("--ttl", type=int, default=40)
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--jump", type=int, default=1000000)
    ap.add_argument("--exts", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--src")
    ap.add_argument("--dst")
    a = ap.parse_args()
    a.count = min(a.count, 16)
    if a.mode == "ext6":
        sys.exit(ext6(a))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    print("watching", flush=True)
    sys.exit(lb(a, raw) if a.mode == "lb" else forge(a, raw))


if __name__ == "__main__":
    main()
