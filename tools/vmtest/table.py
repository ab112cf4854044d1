#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The README's kernel table, from the last `make vmtest` run.

Reads tools/vmtest/tests.list (each test follows a "# COMMAND: ..." comment
that names the command it proves) and build/vmtest/<kernel>.results (the
PASS/FAIL/SKIP lines tests/run.sh printed in that kernel's VM, headed by
"# kernel VERSION RELEASE PACKAGE"), and rewrites the part of README.md
between the kernel-table markers.  A command is "ok" on a kernel when every
test of it passed there, "FAIL" when one failed, "-" when none ran.

  tools/vmtest/table.py [RESULTS_DIR] [README]
"""
import glob
import os
import re
import sys

BEGIN, END = "<!-- kernel-table:begin -->", "<!-- kernel-table:end -->"


def tests_by_command(path):
    cmd, out = None, {}
    for line in open(path):
        m = re.match(r"#\s*(\w+):", line)
        if m:
            cmd = m.group(1)  # "features" and the like: a column of its own
        elif line.strip() and not line.startswith("#") and cmd:
            out[re.sub(r"\s*\[.*\]\s*$", "", line.strip())] = cmd
    return out


def read_results(path):
    release, status = "?", {}
    for line in open(path):
        m = re.match(r"# kernel (\S+) (\S+)", line)
        if m:
            release = m.group(2)
        m = re.match(r"(PASS|FAIL|SKIP)\s+(\S+: \S+)", line)
        if m:
            status[m.group(2)] = m.group(1)
    return release, status


def cell(results):
    if not results:
        return "-"
    passed = sum(r == "PASS" for r in results)
    if passed == len(results):
        return "ok (%d/%d)" % (passed, len(results))
    return "FAIL (%d/%d)" % (passed, len(results))


def kernel_key(name):
    return [int(x) for x in re.findall(r"\d+", name)]


def table(results_dir, tests_list):
    which = tests_by_command(tests_list)
    # One column a group, in the list's order: a new group is a new column.
    columns = list(dict.fromkeys(which.values()))
    rows = ["| kernel | " + " | ".join(columns) + " |",
            "|---" * (len(columns) + 1) + "|"]
    files = sorted(glob.glob(os.path.join(results_dir, "*.results")),
                   key=lambda p: kernel_key(os.path.basename(p)))
    for path in files:
        release, status = read_results(path)
        per = {c: [] for c in columns}
        for test, st in status.items():
            if test in which:
                per[which[test]].append(st)
        rows.append("| %s | " % release +
                    " | ".join(cell(per[c]) for c in columns) + " |")
    return "\n".join(rows)


def main():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    results_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "build", "vmtest")
    readme = sys.argv[2] if len(sys.argv) > 2 else os.path.join(top, "README.md")
    text = open(readme).read()
    if BEGIN not in text or END not in text:
        sys.exit("table.py: %s has no %s ... %s markers" % (readme, BEGIN, END))
    t = table(results_dir, os.path.join(top, "tools", "vmtest", "tests.list"))
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    open(readme, "w").write(head + BEGIN + "\n" + t + "\n" + END + tail)
    print(t)


if __name__ == "__main__":
    main()
