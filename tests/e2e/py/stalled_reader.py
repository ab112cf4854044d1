#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A reader that stopped reading: holds a FIFO or a pty open, never reads.

stalled_reader.py fifo PATH READY   PATH (a FIFO) held open, 4 KiB deep
stalled_reader.py tty READY         a pty pair, raw; READY gets the slave

READY gets the path to write to (renamed into place) once a writer can
open it.  Holds it 30 s at most, then exits.
"""
import fcntl, os, sys, time, tty


def publish(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


if sys.argv[1] == "fifo":
    fd = os.open(sys.argv[2], os.O_RDWR)
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
    publish(sys.argv[3], sys.argv[2] + "\n")
else:
    master, slave = os.openpty()
    tty.setraw(slave)
    publish(sys.argv[2], os.ttyname(slave) + "\n")
time.sleep(30)
