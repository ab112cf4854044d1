#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A reader that stopped reading: holds a FIFO or a pty open, never reads.

stalled_reader.py fifo PATH READY   PATH (a FIFO) held open, 4 KiB deep
stalled_reader.py tty READY         a pty pair, raw; READY gets the slave

READY gets the path to write to (renamed into place) once a writer can
open it, and READY.data the count of bytes waiting unread once there are
some.  Holds it 30 s at most, then exits.
"""
import fcntl, os, struct, sys, termios, time, tty


def publish(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


if sys.argv[1] == "fifo":
    fd = os.open(sys.argv[2], os.O_RDWR)
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
    ready = sys.argv[3]
    publish(ready, sys.argv[2] + "\n")
else:
    fd, slave = os.openpty()
    tty.setraw(slave)
    ready = sys.argv[2]
    publish(ready, os.ttyname(slave) + "\n")
end = time.monotonic() + 30
while time.monotonic() < end:
    n = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"0000"))[0]
    if n:
        publish(ready + ".data", "%d\n" % n)
        break
    time.sleep(0.01)
time.sleep(max(0, end - time.monotonic()))
