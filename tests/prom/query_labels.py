#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Every label a query groups or filters by is one its metrics have, and
rate(), irate() and increase() take counters only.

query_labels.py METRICS_MD FILE...: the label columns of docs/metrics.md's
tables are the contract; FILE is the Grafana dashboard (JSON) or the alert
rules (YAML: each "expr:" line).  A query that groups by a label its metric
lacks returns one series with that label empty, and no error: a panel that
looks fine and shows nothing.  The rate of a gauge runs too, and is noise: a queue that shrinks reads as a
counter reset.  Prints each such query; exit 1 if any.
"""
import json
import re
import sys

ALWAYS = {"instance", "job", "le", "__name__"}


COUNTERS = set()  # names rate() may take: counters, histogram series


def documented(path):
    labels = {}
    for line in open(path):
        cols = [c.strip() for c in line.split("|")]
        if len(cols) < 5 or not cols[1].startswith("`wirescope_"):
            continue
        name = cols[1].strip("`")
        names = set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cols[3])))
        labels[name] = names
        if cols[2] == "counter":
            COUNTERS.add(name)
        if cols[2] == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                labels[name + suffix] = names
                COUNTERS.add(name + suffix)
    return labels


def queries(path):
    text = open(path).read()
    if path.endswith(".json"):
        for panel in json.loads(text)["panels"]:
            for target in panel.get("targets", []):
                yield target["expr"]
    else:  # YAML rules, without a YAML parser: "expr: ..." or a block
        lines = text.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^(\s*)expr:\s*(.*)$", line)
            if not m:
                continue
            if m.group(2) not in ("|", ">", "|-", ">-"):
                yield m.group(2)
                continue
            block = []
            for more in lines[i + 1:]:
                if more.strip() and len(more) - len(more.lstrip()) <= len(m.group(1)):
                    break
                block.append(more.strip())
            yield " ".join(block)


def problems(expr, labels):
    metrics = set(re.findall(r"\bwirescope_[a-z_]+", expr))
    unknown = metrics - set(labels)
    if unknown:
        return ["undocumented metric " + ", ".join(sorted(unknown))]
    have = set().union(*(labels[m] for m in metrics)) | ALWAYS if metrics else ALWAYS
    used = set()
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used |= {x.strip() for x in group.split(",") if x.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        used |= set(re.findall(r"([a-zA-Z_]+)\s*(?:=~|!~|!=|=)", matchers))
    rated = re.findall(r"\b(?:rate|irate|increase)\(\s*(wirescope_[a-z_]+)", expr)
    return ["label %s is not on %s" % (x, ", ".join(sorted(metrics)))
            for x in sorted(used - have)] + \
        ["%s is not a counter: no rate() of it" % m
         for m in sorted(set(rated) - COUNTERS)]


def main():
    labels = documented(sys.argv[1])
    bad = 0
    for path in sys.argv[2:]:
        for expr in queries(path):
            for p in problems(expr, labels):
                print("%s: %s: %s" % (path, p, expr))
                bad += 1
    sys.exit(1 if bad else 0)


main()
