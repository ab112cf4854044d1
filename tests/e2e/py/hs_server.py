#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test listeners for the handshakes/accept e2e tests; bounded in time.

hs_server.py READY_FILE SECONDS SPEC...
SPEC is ADDR,PORT,MODE[,BACKLOG[,DELAY_MS]]:
  accept   accept and close every connection (reads nothing)
  stuck    listen with BACKLOG and never accept
  defer    stuck, with TCP_DEFER_ACCEPT (10 s)
  slow     accept nothing until DELAY_MS after the first connection
           arrived, then accept all (an application slow to accept)
"""
import select, socket, sys, time

ready, seconds, specs = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
socks = {}
for spec in specs:
    f = spec.split(",")
    addr, port, mode = f[0], int(f[1]), f[2]
    backlog = int(f[3]) if len(f) > 3 else 4096
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode == "defer":
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 10)
    s.bind((addr, port))
    s.listen(backlog)
    s.setblocking(False)
    socks[s] = (mode, float(f[4]) / 1000 if len(f) > 4 else 0)
with open(ready + ".tmp", "w") as f:
    f.write("ready\n")
import os
os.rename(ready + ".tmp", ready)
end = time.monotonic() + seconds
first = {}  # slow listener -> when its first connection was seen
while time.monotonic() < end:
    now = time.monotonic()
    live = [s for s, (m, d) in socks.items()
            if m == "accept" or (m == "slow" and (s not in first or
                                                  now >= first[s] + d))]
    r, _, _ = select.select(live, [], [], 0.05)
    for s in r:
        if socks[s][0] == "slow" and s not in first:
            first[s] = time.monotonic()
            continue
        try:
            c, _ = s.accept()
        except BlockingIOError:
            continue
        c.close()
