#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Render build/bench/results/*.json as docs/BENCHMARKS.md (stdout)."""
import json
import os
import platform
import statistics
import sys
import time


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mmm(values, fmt="{:.2f}"):
    """median [min–max] of a list."""
    if not values:
        return "n/a"
    return "{} [{}–{}]".format(fmt.format(statistics.median(values)),
                               fmt.format(min(values)), fmt.format(max(values)))


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "{}, {} CPUs, Linux {}".format(model, os.cpu_count(), platform.release())


def progcost(rows):
    out = ["## 1. Program cost per packet",
           "",
           "BPF_PROG_TEST_RUN, 10⁶ runs per measurement, caller pinned to one CPU, "
           "every collector that exists switched on (as `diag` runs them), against an "
           "empty program of the same type (`XDP_PASS` / `TC_ACT_UNSPEC`) loaded in the "
           "same run. Rounds interleave ours and the empty program.",
           "",
           "| hook | path | ours ns | empty ns | extra ns, median [min–max] | ratio, median [min–max] |",
           "|---|---|---:|---:|---|---|"]
    for r in rows:
        out.append("| {} | {} | {:.0f} | {:.0f} | {:.0f} [{:.0f}–{:.0f}] | {:.2f} [{:.2f}–{:.2f}] |".format(
            r["hook"], r["path"], r["ours_ns"], r["empty_ns"],
            r["extra_ns"]["median"], r["extra_ns"]["min"], r["extra_ns"]["max"],
            r["ratio"]["median"], r["ratio"]["min"], r["ratio"]["max"]))
    return out


def flood(rows):
    if not rows:
        return []
    sent = rows[0]["sent"]
    base = {r["round"]: r["delivered"] / r["seconds"] for r in rows if r["config"] == "none"}
    out = ["## 2. Throughput kept under a small-packet flood",
           "",
           "trafgen is asked for {} bare 60-byte TCP segments per run, unthrottled, through "
           "a veth pair into the receiver's TCP stack (closed port). *Arrived* is the "
           "receiving interface's `rx_packets` delta (trafgen cannot always push every frame "
           "into veth); *delivered* is the receiver namespace's `TcpInSegs` delta, per "
           "second of the flood. The ratio pairs each run with the unobserved run of the "
           "same round. *Counted* compares the observer's own count with *arrived*.".format(sent),
           "",
           "| observer | delivered pps, median [min–max] | ratio to nothing attached | arrived of requested | counted of arrived | drops the observer reports |",
           "|---|---|---|---|---|---|"]
    names = {"none": "nothing attached", "xdp_pass_native": "an empty native XDP program (baseline)", "sizes_generic": "`wirescope sizes -m generic`",
             "sizes_native": "`wirescope sizes -m native`", "diag": "`wirescope diag` (all collectors)",
             "tcpdump": "`tcpdump -w /dev/null`"}
    for cfg in ["none", "xdp_pass_native", "sizes_generic", "sizes_native", "diag", "tcpdump"]:
        rs = [r for r in rows if r["config"] == cfg]
        if not rs:
            continue
        pps = [r["delivered"] / r["seconds"] for r in rs]
        ratio = [r["delivered"] / r["seconds"] / base[r["round"]] for r in rs if base.get(r["round"])]
        arrived = [r["arrived"] / r["sent"] for r in rs]
        counted = [r for r in rs if r["observed"] is not None]
        exact = "–"
        if counted:
            exact = "{}; exact in {} of {} runs".format(
                mmm([r["observed"] / r["arrived"] for r in counted], "{:.3%}"),
                sum(1 for r in counted if r["observed"] == r["arrived"]), len(counted))
        drops = [r["observer_dropped"] for r in rs if r["observer_dropped"] is not None]
        out.append("| {} | {} | {} | {} | {} | {} |".format(
            names.get(cfg, cfg), mmm(pps, "{:.0f}"), mmm(ratio) if cfg != "none" else "1",
            mmm(arrived, "{:.0%}"), exact, mmm(drops, "{:.0f}") if drops else "–"))
    return out


def userspace(rows):
    if not rows:
        return []
    out = ["## 5. User-space cost", "",
           "CPU milliseconds per minute of the wirescope process itself (utime + stime), idle "
           "and while 200 kpps of small TCP segments arrive. The data plane's own cost is "
           "in softirq and shows in sections 1 and 2.", "",
           "| command | idle | under flood |", "|---|---|---|"]
    cmds = []
    for r in rows:
        if r["command"] not in cmds:
            cmds.append(r["command"])
    for c in cmds:
        v = {r["state"]: r["cpu_ms_per_min"] for r in rows if r["command"] == c}
        out.append("| `wirescope {}` | {:.0f} ms/min | {:.0f} ms/min |".format(
            c, v.get("idle", 0), v.get("flood", 0)))
    return out


def extra(path, title):
    rows = load(path)
    if not rows:
        return ["## " + title, "", "Not measured in this run: the collector it needs is not built yet.", ""]
    out = ["## " + title, ""]
    keys = list(rows[0].keys())
    out.append("| " + " | ".join(keys) + " |")
    out.append("|" + "---|" * len(keys))
    for r in rows:
        out.append("| " + " | ".join(str(r[k]) for k in keys) + " |")
    return out


def main():
    d = sys.argv[1]
    lines = ["# Benchmarks", "",
             "Written by `sudo make bench` (tools/bench/bench.sh). Machine: {}. Date: {}.".format(
                 machine(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
             "Every figure is measured against a baseline in the same run: median of the "
             "rounds, with [min–max]. Absolute numbers on this 2-core VM are noisy; the "
             "ratios are what to read.", ""]
    lines += progcost(load(os.path.join(d, "progcost.json"))) + [""]
    lines += flood(load(os.path.join(d, "flood.json"))) + [""]
    lines += extra(os.path.join(d, "churn.json"), "3. Handshake churn") + [""]
    lines += extra(os.path.join(d, "exporter.json"), "4. Exporter") + [""]
    lines += userspace(load(os.path.join(d, "userspace.json"))) + [""]
    notes = os.path.join(os.path.dirname(__file__), "READING.md")
    if os.path.exists(notes):
        lines += open(notes).read().splitlines()
    print("\n".join(lines))


main()
