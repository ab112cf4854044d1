#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP ends for the resets lab (tools/lab.sh): a server and a scripted client.

  lab_tcp.py server PORT [--timeout S]
      Accept one connection on [::]:PORT (IPv4 too) and echo every read back.
      "abort" makes it close with SO_LINGER {1, 0} (an RST), "abortin:S" the
      same S seconds later (its ACK of it goes first); "close" a plain
      close (its FIN; the socket it leaves answers later data with an
      RST); "push" makes it
      send 4 KB the client is not expected to read; "stream" makes it send
      100 bytes every 100 ms for 3 s, then close; "burst:N" send N segments
      of 100 bytes back to back (TCP_NODELAY); "later:FILE" makes it
      send "later" once FILE exists.
  lab_tcp.py client ADDR PORT STEPS [--timeout S]
      Connect, then run STEPS (comma separated):
        send:TEXT  recv  recvwait:S  drain:S  sleep:S  touch:FILE (writes a line)  wait:FILE
        keepalive:IDLE:INTVL:CNT  close
        abort (close with SO_LINGER {1, 0}: an RST, nothing left unread)
        peek (wait until 4 KB, a "push", have arrived; leave them unread)
      Prints "connected", "reset" (ECONNRESET/EPIPE), "timeout" (ETIMEDOUT)
      or "eof" as they happen.  Every wait is bounded by --timeout.
"""
import argparse
import errno
import os
import socket
import struct
import sys
import time


def listen(port, backlog, timeout):
    """[::]:PORT, IPv4 too; says "listening" once it does."""
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(backlog)
    s.settimeout(timeout)
    print("listening", flush=True)
    return s


TCPI_OPT_USEC_TS = 64  # tcp_info.tcpi_options (6.7+)


def server(port, timeout):
    s = listen(port, 1, timeout)
    c, _ = s.accept()
    c.settimeout(timeout)
    info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    if info[5] & TCPI_OPT_USEC_TS:  # its TSvals are in microseconds
        print("usec_ts", flush=True)
    while True:
        try:
            data = c.recv(4096)
        except OSError:
            return
        if not data:
            return
        if data.startswith(b"abortin:"):  # no segment of ours until then
            time.sleep(float(data[8:].decode().strip()))
            data = b"abort"
        if data.startswith(b"abort"):
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
            return
        if data.startswith(b"close"):
            c.close()
            return
        if data.startswith(b"push"):
            c.sendall(b"x" * 4096)
            continue
        if data.startswith(b"later:"):
            wait_file(data[6:].decode().strip(), timeout)
            try:
                c.sendall(b"later")
            except OSError:
                return
            continue
        if data.startswith(b"stream"):
            stream(c)
            return
        if data.startswith(b"burst:"):
            burst(c, int(data[6:].decode().strip()))
            continue
        try:
            c.sendall(data)
        except OSError:
            return


def closer(port, count, timeout):
    s = listen(port, 128, timeout)
    for _ in range(count):
        c, _ = s.accept()
        c.close()


def churn(addr, port, count, timeout, abort):
    done = 0
    end = time.time() + timeout
    while done < count and time.time() < end:
        with socket.create_connection((addr, port), timeout=timeout) as c:
            if abort:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            else:
                while c.recv(4096):
                    pass
        done += 1
    print("churned %d" % done, flush=True)


def stream(c):
    """100 bytes every 100 ms for 3 s, whatever happens to the client."""
    for _ in range(30):
        try:
            c.send(b"s" * 100)
        except OSError:
            pass
        time.sleep(0.1)


def burst(c, count):
    """COUNT segments of 100 bytes, each its own send (TCP_NODELAY)."""
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(count):
        try:
            c.sendall(b"b" * 100)
        except OSError:
            return


def wait_file(path, timeout):
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("timed out waiting for " + path)
        time.sleep(0.02)


def report(e):
    if e.errno in (errno.ECONNRESET, errno.EPIPE):
        print("reset", flush=True)
    elif e.errno == errno.ETIMEDOUT:
        print("timeout", flush=True)
    else:
        print("error %s" % e, flush=True)


def step(c, st, timeout):
    op, _, arg = st.partition(":")
    if op == "send":
        c.sendall(arg.encode())
    elif op in ("recv", "recvwait"):
        c.settimeout(float(arg) if arg else timeout)
        try:
            if not c.recv(65536):
                print("eof", flush=True)
        except socket.timeout as e:
            if e.errno == errno.ETIMEDOUT:  # the kernel gave up, not us
                raise
        c.settimeout(timeout)
    elif op == "drain":  # read until EOF, an error, or S seconds
        end = time.time() + float(arg)
        while time.time() < end:
            c.settimeout(max(0.01, end - time.time()))
            try:
                if not c.recv(65536):
                    print("eof", flush=True)
                    break
            except socket.timeout as e:
                if e.errno == errno.ETIMEDOUT:
                    raise
        c.settimeout(timeout)
    elif op == "peek":
        if not c.recv(4096, socket.MSG_PEEK | socket.MSG_WAITALL):
            print("eof", flush=True)
    elif op == "sleep":
        time.sleep(float(arg))
    elif op == "touch":
        with open(arg, "w") as f:
            f.write("ready\n")
    elif op == "wait":
        wait_file(arg, timeout)
    elif op == "keepalive":
        idle, intvl, cnt = (int(x) for x in arg.split(":"))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
    elif op == "shutdown":  # both ways, the socket kept (no TIME_WAIT yet)
        c.shutdown(socket.SHUT_RDWR)
    elif op == "close":
        c.close()
        return False
    elif op == "abort":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c.close()
        return False
    else:
        sys.exit("unknown step " + st)
    return True


def client(addr, port, steps, timeout):
    c = socket.create_connection((addr, port), timeout=timeout)
    print("connected %d" % c.getsockname()[1], flush=True)
    for st in steps.split(","):
        try:
            if not step(c, st, timeout):
                return
        except OSError as e:
            report(e)
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client", "closer", "churn"])
    ap.add_argument("args", nargs="+")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--abort", action="store_true")
    a = ap.parse_args()
    if a.role == "server":
        server(int(a.args[0]), a.timeout)
    elif a.role == "closer":
        closer(int(a.args[0]), int(a.args[1]), a.timeout)
    elif a.role == "churn":
        churn(a.args[0], int(a.args[1]), int(a.args[2]), a.timeout, a.abort)
    else:
        client(a.args[0], int(a.args[1]), a.args[2], a.timeout)


if __name__ == "__main__":
    main()
