#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test listeners for the handshakes/accept e2e tests; bounded in time.

hs_server.py READY_FILE SECONDS SPEC...
SPEC is ADDR,PORT,MODE[,BACKLOG[,DELAY_MS]]:
  accept   accept and close every connection (reads nothing)
  stuck    listen with BACKLOG and never accept
  defer    stuck, with TCP_DEFER_ACCEPT (10 s)
  slow     sleep DELAY_MS after each accept (a slow application)
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
live = [s for s, (m, _) in socks.items() if m in ("accept", "slow")]
while time.monotonic() < end:
    r, _, _ = select.select(live, [], [], 0.2)
    for s in r:
        mode, delay = socks[s]
        try:
            c, _ = s.accept()
        except BlockingIOError:
            continue
        if delay:
            time.sleep(delay)
        c.close()
