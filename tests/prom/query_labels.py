#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Every label a query groups or filters by is one its metrics have, and
rate(), irate() and increase() take counters only.

query_labels.py METRICS_MD FILE...: the label columns of docs/metrics.md's
tables are the contract; FILE is the Grafana dashboard (JSON) or the alert
rules (YAML: each "expr:" line).  A query that groups by a label its metric
lacks returns one series with that label empty, and no error: a panel that
looks fine and shows nothing.  The rate of a gauge runs too, and is
noise: a queue that shrinks reads as a counter reset.

In the dashboard, every query also keeps hosts apart: each wirescope_
selector takes instance=~"$instance", every aggregation keeps instance
(by it, or not without it), and the legend names {{instance}}; a panel
repeated per instance ("repeat": "instance") may sum within it.  A sum
over every scraped host looks like one host's numbers.

Prints each such query; exit 1 if any.
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
        for panel in panels(json.loads(text)["panels"]):
            for target in panel.get("targets", []):
                yield target["expr"], (panel, target)
    else:  # YAML rules, without a YAML parser: "expr: ..." or a block
        lines = text.splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^(\s*)expr:\s*(.*)$", line)
            if not m:
                continue
            if m.group(2) not in ("|", ">", "|-", ">-"):
                yield m.group(2), None
                continue
            block = []
            for more in lines[i + 1:]:
                if more.strip() and len(more) - len(more.lstrip()) <= len(m.group(1)):
                    break
                block.append(more.strip())
            yield " ".join(block), None


def panels(items):
    """The dashboard's panels, those of collapsed rows too."""
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


AGGREGATION = re.compile(r"\b(count_values|sum|avg|min|max|count|group|stddev|"
                         r"stdvar|topk|bottomk|quantile)\s*"
                         r"(?:(by|without)\s*\(([^)]*)\)\s*)?\(")


def closing(expr, i):
    """The index past the parenthesis that closes the one before @i."""
    depth = 1
    while depth and i < len(expr):
        depth += {"(": 1, ")": -1}.get(expr[i], 0)
        i += 1
    return i


def per_instance(expr, panel, target):
    """A dashboard query that mixes the hosts of $instance."""
    bad = []
    for sel in re.finditer(r"\b(wirescope_[a-z_]+)\s*(\{[^}]*\})?", expr):
        if not re.search(r'\binstance\s*=~\s*"\$instance"', sel.group(2) or ""):
            bad.append('%s has no instance=~"$instance"' % sel.group(1))
    if panel.get("repeat") == "instance":
        return bad
    for agg in AGGREGATION.finditer(expr):
        how, group = agg.group(2), agg.group(3)
        if not how:
            after = re.match(r"\s*(by|without)\s*\(([^)]*)\)",
                             expr[closing(expr, agg.end()):])
            how, group = after.groups() if after else (None, "")
        names = {x.strip() for x in group.split(",")}
        if how == "by" and "instance" in names or \
                how == "without" and "instance" not in names:
            continue
        bad.append("%s %s drops instance" %
                   (agg.group(1), "%s (%s)" % (how, group) if how else "with no by"))
    if not bad and "{{instance}}" not in target.get("legendFormat", ""):
        bad.append("legend %r does not name {{instance}}" %
                   target.get("legendFormat", ""))
    return bad


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
        for expr, where in queries(path):
            found = problems(expr, labels)
            if where:
                found += per_instance(expr, *where)
            for p in found:
                print("%s: %s: %s" % (path, p, expr))
                bad += 1
    sys.exit(1 if bad else 0)


main()
