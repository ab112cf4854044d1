#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test clients; bounded in count and time.

hs_client.py churn ADDR PORT N        connect+close N times, one by one
hs_client.py burst ADDR PORT N SECS   N non-blocking connects at once, send
                                      one byte on each once connected (2 s
                                      at most), hold them SECS
hs_client.py idle ADDR PORT N SECS    N connects, send nothing, hold SECS
Prints the number of connects that completed.
"""
import select, socket, sys, time

mode, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
ok = 0
if mode == "churn":
    deadline = time.monotonic() + 240
    for i in range(n):
        if time.monotonic() > deadline:
            break
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.settimeout(5)
        try:
            c.connect((addr, port))
            ok += 1
        except OSError:
            pass
        c.close()
else:
    hold = float(sys.argv[5])
    socks = []
    for i in range(n):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((addr, port))
        socks.append(c)
    # Each sends once connected (writable, no error), within 2 s: those
    # whose SYNs a full queue drops may connect on a resend.
    pending, deadline = list(socks), time.monotonic() + 2
    while pending and time.monotonic() < deadline:
        left = max(0, deadline - time.monotonic())
        _, ready, _ = select.select([], pending, [], left)
        for c in ready:
            pending.remove(c)
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                continue
            try:
                if mode == "burst":
                    c.send(b"x")
                ok += 1
            except OSError:
                pass
    time.sleep(hold)
print(ok)
