#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Structural checks of a Prometheus text exposition (format 0.0.4) that
promtool does not make: no duplicate series, every sample under a declared
family, counters named *_total, histogram buckets cumulative with +Inf equal
to _count and a _sum.  Reads stdin (or a file); prints one line per problem
and exits 1 if there is any.

  promcheck.py [FILE] [--expect 'name{a="x"}=VALUE']...
"""
import math
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            raise ValueError("bad labels {%s}" % text)
        if m.group(1) in labels:
            raise ValueError("label %s twice" % m.group(1))
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def check(text):
    problems, types, series = [], {}, {}
    hist = {}  # (family, labels without le) -> {"buckets": [], ...}
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if name in types:
                problems.append("line %d: TYPE of %s twice" % (n, name))
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("line %d: not a sample: %r" % (n, line))
            continue
        name, value = m.group(1), float(m.group(4))
        try:
            labels = parse_labels(m.group(3) or "")
        except ValueError as e:
            problems.append("line %d: %s" % (n, e))
            continue
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            problems.append("line %d: duplicate series %s" % (n, line))
        series[key] = value
        fam = family_of(name, types)
        kind = types.get(fam)
        if kind is None:
            problems.append("line %d: %s has no TYPE" % (n, name))
        if kind == "counter" and not name.endswith("_total"):
            problems.append("line %d: counter %s lacks _total" % (n, name))
        if kind == "counter" and (value < 0 or math.isnan(value)):
            problems.append("line %d: counter %s is %s" % (n, name, value))
        if kind != "histogram":
            continue
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        h = hist.setdefault((fam, rest), {"buckets": []})
        if name.endswith("_bucket"):
            if "le" not in labels:
                problems.append("line %d: bucket without le" % n)
                continue
            h["buckets"].append((float(labels["le"]), value))
        else:
            h[name[len(fam) + 1:]] = value
    for (fam, rest), h in hist.items():
        what = "%s%s" % (fam, dict(rest))
        b = h["buckets"]
        les = [le for le, _ in b]
        if les != sorted(les):
            problems.append("%s: buckets out of le order" % what)
        b = sorted(b)
        if not b or b[-1][0] != math.inf:
            problems.append("%s: no +Inf bucket" % what)
            continue
        for (le1, v1), (le2, v2) in zip(b, b[1:]):
            if v2 < v1:
                problems.append("%s: not cumulative: le=%g %g > le=%g %g"
                                % (what, le1, v1, le2, v2))
        if "count" not in h or h["count"] != b[-1][1]:
            problems.append("%s: +Inf %g != _count %s"
                            % (what, b[-1][1], h.get("count")))
        if "sum" not in h:
            problems.append("%s: no _sum" % what)
    return problems, series


def main(argv):
    expects, files = [], []
    it = iter(argv)
    for a in it:
        if a == "--expect":
            expects.append(next(it))
        else:
            files.append(a)
    text = open(files[0]).read() if files else sys.stdin.read()
    problems, series = check(text)
    for e in expects:
        sel, want = e.rsplit("=", 1)
        m = SAMPLE.match("%s %s" % (sel, want))
        key = (m.group(1), tuple(sorted(parse_labels(m.group(3) or "").items())))
        got = series.get(key)
        if got is None or got != float(want):
            problems.append("expected %s = %s, got %s" % (sel, want, got))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
