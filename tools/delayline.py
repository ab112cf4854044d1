#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""delayline.py IF1 IF2 DELAY_MS SECONDS [READY]: a bridge that holds every frame.

This kernel has no netem (nor fq, which honours EDT timestamps), so the lab
adds path delay in user space: frames received on IF1 leave on IF2 DELAY_MS
later and the other way round.  Runs SECONDS at most; writes the file READY
once both sockets are bound.  The two ends must
send real frames: turn off TSO/GSO and checksum offload on them (ethtool -K
DEV tx off tso off gso off), or the frames carry no valid checksum.
Fine for a few thousand frames per second, which is what the tests need.
"""
import heapq
import select
import socket
import sys
import time

ETH_P_ALL = 3


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main():
    a, b = sys.argv[1], sys.argv[2]
    delay, end = float(sys.argv[3]) / 1e3, time.monotonic() + float(sys.argv[4])
    sa, sb = open_raw(a), open_raw(b)
    if len(sys.argv) > 5:
        with open(sys.argv[5], "w") as f:
            f.write("ready\n")
    other = {sa: sb, sb: sa}
    held, seq = [], 0
    while time.monotonic() < end:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, out, frame = heapq.heappop(held)
            try:
                out.send(frame)
            except OSError:
                pass  # the queue is full: a lost frame, as on a real path
        wait = min(held[0][0] - now, 0.05) if held else 0.05
        ready, _, _ = select.select([sa, sb], [], [], max(wait, 0))
        for s in ready:
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                seq += 1
                heapq.heappush(held, (time.monotonic() + delay, seq, other[s], frame))


if __name__ == "__main__":
    main()
