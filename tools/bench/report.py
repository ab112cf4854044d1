#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Render build/bench/results/*.json as docs/BENCHMARKS.md (stdout)."""
import json
import os
import math
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


FLOOD_KINDS = {
    "ack": ("bare ACKs to a closed port (the RST storm)",
            "trafgen is asked for {sent:,} bare 54-byte TCP ACKs per run, unthrottled, to a "
            "closed port: each draws an RST from the receiver. *Delivered* is the receiver "
            "namespace's `TcpInSegs` delta per second of the flood; *arrived* is the receiving "
            "interface's `rx_packets` delta (trafgen cannot always push every frame into veth)."),
    "data": ("small data segments on an established flow",
             "iperf3 -l 64 -N -P 2 for {secs:.0f} s: 64-byte writes with TCP_NODELAY over two "
             "established connections, with `tcp_autocorking` off in the sender's namespace so "
             "each write leaves as one segment (118-byte frames). *Delivered* is the receiver "
             "namespace's `TcpInSegs` delta per second; *arrived* is `rx_packets` of the "
             "receiving interface."),
    "udp": ("small UDP datagrams to a bound socket",
            "iperf3 -u -b 0 -l 18 for {secs:.0f} s: 18-byte datagrams (60-byte frames) as fast "
            "as one sender goes, to iperf3's bound UDP socket. *Delivered* is the receiver "
            "namespace's `UdpInDatagrams` delta per second (what the socket read)."),
}

AGAIN = "nothing attached, again (A/A: the noise floor)"
FLOOD_NAMES = {"none": "nothing attached", "none_again": AGAIN,
               "xdp_pass_native": "an empty native XDP program",
               "tc_pass": "an empty program on wirescope's hook (tcx; clsact before 6.6)",
               "tc_pass_clsact": "an empty program as clsact filters (wirescope's hook before 6.6)",
               "tc_pass_touch": "an empty program that reads the headers, on wirescope's hook",
               "sizes_generic": "`sizes -m generic`", "sizes_native": "`sizes -m native`",
               "sizes_tc": "`sizes` (default: tc)", "handshakes": "`handshakes` (default: tc)",
               "resets": "`resets` (default: tc)", "diag": "`diag` (default: tc)",
               "diag_skiptp": "`diag --skip-tracepoint kfree_skb,tcp_send_reset`",
               "export": "`export` (default: tc)", "tcpdump": "`tcpdump -w /dev/null`"}
FLOOD_ORDER = ["none", "none_again", "xdp_pass_native", "tc_pass", "tc_pass_clsact", "tc_pass_touch", "sizes_generic", "sizes_native", "sizes_tc",
               "handshakes", "resets", "diag", "diag_skiptp", "export", "tcpdump"]


def with_b(order, rows):
    """The configs of @order that @rows ran, each followed by its WS_B twin."""
    ran = {r["config"] for r in rows}
    return [c for base in order for c in (base, base + "_b") if c in ran]


def b_name(names, cfg):
    if cfg.endswith("_b"):
        return names.get(cfg[:-2], cfg[:-2]) + ", build B (`WS_B`)"
    return names.get(cfg, cfg)


BRACKETS = ("Each observed run sits between two unobserved runs, and its ratio is to their "
            "mean: this VM's throughput moves in phases of seconds.")


def ratios(rows, cfg, value, kind=None):
    """value(r) / its base for each run of cfg.  The base is the mean of the
    unobserved runs just before and after it when the section brackets its
    runs (they carry "seq"), else the unobserved run of the same round."""
    rs = [r for r in rows if kind is None or r.get("kind", "ack") == kind]
    none = {(r["round"], r.get("seq")): value(r) for r in rs if r["config"] == "none" and value(r)}

    def base(r):
        if "seq" not in r:
            return none.get((r["round"], None))
        near = [none[k] for k in ((r["round"], r["seq"] - 1), (r["round"], r["seq"] + 1)) if k in none]
        return sum(near) / len(near) if near else None

    pairs = [(value(r), base(r)) for r in rs if r["config"] == cfg]
    return [v / b for v, b in pairs if b]


def flood_pps(r):
    return r["delivered"] / r["seconds"]


def flood(rows):
    if not rows:
        return []
    out = ["## 2. Throughput kept under the seed's small-packet floods", "",
           "The observer sits on the receiving veth in the default mode (tc); configs rotate "
           "each round. {} *Counted* compares the observer's own count of received frames "
           "with `rx_packets` (diag: rebuilt from its per-second rates; export: one scrape "
           "before it stops). Goal (issue 14): `diag` and `export` keep ≥ 0.95.".format(BRACKETS),
           ""]
    kinds = [k for k in FLOOD_KINDS if any(r.get("kind", "ack") == k for r in rows)]
    for n, kind in enumerate(kinds):
        rk = [r for r in rows if r.get("kind", "ack") == kind]
        title, text = FLOOD_KINDS[kind]
        out += ["### 2{}. {}".format("abc"[n], title[0].upper() + title[1:]), "",
                text.format(sent=rk[0]["sent"], secs=max(1, statistics.median(
                    [r["seconds"] for r in rk]) - 0.5)), "",
                "| observer | delivered pps, median [min–max] | ratio to nothing attached | "
                "arrived | counted of arrived | drops the observer reports |",
                "|---|---|---|---|---|---|"]
        for cfg in with_b(FLOOD_ORDER, rk):
            rs = [r for r in rk if r["config"] == cfg]
            if not rs:
                continue
            pps = [flood_pps(r) for r in rs]
            if kind == "ack":
                arrived = mmm([r["arrived"] / r["sent"] for r in rs], "{:.0%}") + " of requested"
            else:
                arrived = mmm([r["arrived"] / r["seconds"] for r in rs], "{:.0f}") + " pps"
            counted = [r for r in rs if r["observed"] is not None]
            exact = "–"
            if counted:
                exact = "{}; exact in {} of {} runs".format(
                    mmm([r["observed"] / r["arrived"] for r in counted], "{:.3%}"),
                    sum(1 for r in counted if r["observed"] == r["arrived"]), len(counted))
            drops = [r["observer_dropped"] for r in rs if r["observer_dropped"] is not None]
            out.append("| {} | {} | {} | {} | {} | {} |".format(
                b_name(FLOOD_NAMES, cfg), mmm(pps, "{:.0f}"),
                mmm(ratios(rows, cfg, flood_pps, kind)) if cfg != "none" else "1",
                arrived, exact, mmm(drops, "{:.0f}") if drops else "–"))
        out.append("")
    return out


def churn_rate(r):
    return r["connected"] / r["seconds"]


WHERE_LOADS = (("ack", "RST storm"), ("data", "small data"), ("churn", "churn"))
# What bpf_ns_per() divides a load's run time by.
WHERE_UNITS = {"ack": "packet", "data": "segment", "churn": "connection"}


def where_programs(rows):
    out = ["| load | program | runs per round | ns per run | CPU ms per s of load |",
           "|---|---|---:|---|---:|"]
    for load, label in WHERE_LOADS:
        rs = [r for r in rows if r["load"] == load]
        progs = sorted({p for r in rs for p in r["progs"]},
                       key=lambda p: -sum(r["progs"].get(p, {}).get("run_ns", 0) for r in rs))
        for p in progs:
            v = [r["progs"][p] for r in rs if p in r["progs"]]
            runs = [x["runs"] for x in v]
            if not max(runs):
                continue
            per = [x["run_ns"] / x["runs"] for x in v if x["runs"]]
            cpu = [r["progs"][p]["run_ns"] / 1e6 / r["seconds"] for r in rs if p in r["progs"]]
            out.append("| {} | `{}` | {:,.0f} | {} | {:.1f} |".format(
                label, p, statistics.median(runs), mmm(per, "{:.0f}"), statistics.median(cpu)))
        user = [r["user_ns"] / 1e6 / r["seconds"] for r in rs if "user_ns" in r]
        if user:
            out.append("| {} | the `wirescope diag` process (user space, all threads) | – | – | {:.1f} |".format(
                label, statistics.median(user)))
    return out


def load_units(r):
    return r.get("connected" if r["load"] == "churn" else "packets", 0)


def load_where(d):
    """Section 3b's rounds; a load that did not run (no packets) is left out."""
    return [r for r in load(os.path.join(d, "where.json"))
            if load_units(r) > 0 and sum(p["runs"] for p in r["progs"].values()) > 0]


def bpf_ns_per(r):
    """All programs' run time over the load, per WHERE_UNITS of it."""
    return sum(p["run_ns"] for p in r["progs"].values()) / load_units(r)


WHERE_HEADS = {"tc_pass": "empty", "tc_pass_clsact": "empty, clsact",
               "tc_pass_touch": "empty, reading the headers"}
WHERE_FLOORS = {
    "tc_pass": "*Empty* is an empty program on wirescope's own hooks (tcx links; clsact filters "
               "before 6.6): the hook's fixed cost with the stats' own clock reads.",
    "tc_pass_clsact": "*Empty, clsact* is the same program as clsact filters, which run through "
                      "tc's classifier: what the hook costs on kernels without tcx.",
    "tc_pass_touch": "*Empty, reading the headers* (tools/bench/tc_touch.bpf.c) reads the GSO "
                     "fields and the Ethernet, IP and TCP headers, a TCP frame's pulled into "
                     "the skb's head as wirescope pulls them, and nothing else: what looking "
                     "at a packet costs before any collector's work, and a floor closer to "
                     "each command than the empty one.",
}


def where_by_command(rows):
    cfgs = with_b(["tc_pass", "tc_pass_clsact", "tc_pass_touch", "sizes", "handshakes", "resets", "diag"],
                  [dict(r, config=r.get("config", "diag")) for r in rows])
    if len(cfgs) < 2:
        return []
    heads = {c: WHERE_HEADS.get(c, "`{}`".format(c)) for c in cfgs}
    text = ["The same loads under each command alone: every program's run time summed, per "
            "flood packet (RST storm), per segment delivered (small data) and per connection "
            "(churn)."]
    text += [WHERE_FLOORS[c] for c in WHERE_FLOORS if c in cfgs]
    text += ["`sizes` alone is what every command pays; a collector's own cost is its column less "
             "that one. A program that reads the packet may take cache misses on it that the "
             "stack would take next anyway, which the empty program leaves to the stack: a column "
             "less the empty one is an upper bound on what the command adds."]
    out = ["", " ".join(text), "",
           "| load | " + " | ".join(b_name(heads, c) for c in cfgs) + " |",
           "|---|" + "---|" * len(cfgs)]
    for load, label in WHERE_LOADS:
        if not any(r["load"] == load for r in rows):
            continue
        unit = "ns per " + WHERE_UNITS[load]
        cells = [mmm([bpf_ns_per(r) for r in rows
                      if r["load"] == load and r.get("config", "diag") == c], "{:,.0f}")
                 for c in cfgs]
        out.append("| {}, {} | {} |".format(label, unit, " | ".join(cells)))
    return out


def where(rows):
    if not rows:
        return []
    diag = [r for r in rows if r.get("config", "diag") == "diag"]
    acks = [r["packets"] for r in rows if r["load"] == "ack"]
    loads = {"ack": "*RST storm*: the {:,} bare ACKs of section 2a".format(max(acks or [0])),
             "data": "*small data*: section 2b's flood on established flows",
             "churn": "*churn*: one burst of section 3"}
    out = ["## 3b. Where the time goes", "",
           "`kernel.bpf_stats_enabled=1` (restored after) and each wirescope program's "
           "`run_time_ns` and `run_cnt` (`bpftool prog show`) over one load, `wirescope diag` on "
           "the receiver's veth in the default mode (tc). {}. ns per run includes the stats' own "
           "clock reads, which the empty program's runs below are made of with the hook's own cost. The last row of each load "
           "is the wirescope process's own CPU time (schedstat) over the same load, for scale. "
           "Median [min–max] over {} rounds.".format(
               "; ".join(loads[k] for k, _ in WHERE_LOADS if any(r["load"] == k for r in rows)),
               len({r["round"] for r in rows})), ""]
    if diag:
        out += where_programs(diag)
    return out + where_by_command(rows)


NAMES = {
    "udp4_64B": "64 B UDP",
    "tcp4_data_established": "TCP data, established flow (baseline hit)",
    "tcp4_data_established_16k_flows": "TCP data, 16,384 established flows in turn (cold cache)",
    "tcp4_data_established_per_call": "(method check: the first established row, one call per run)",
    "tcp4_syn_empty_table": "SYN into an empty table (insert)",
    "tcp4_syn_full_table": "SYN into a full table (LRU evicts)",
    "tcp4_ack_new_flow": "bare ACK of a flow never seen, empty table (the flood's packet: the presence filter says absent)",
    "tcp4_ack_new_flow_full_table": "bare ACK of a flow never seen, full table (a fifth of the filter's slots marked: that share pays a failed lookup)",
    "tcp4_final_ack": "final ACK completing a handshake",
    "tcp4_rst": "RST on a flow with a baseline",
    "tcp6_data": "IPv6 TCP data",
    "tcp4_1500B": "1500 B TCP, established",
    "malformed_ihl": "malformed (IHL past the end)",
}


def progcost(rows):
    main = [r for r in rows if r.get("collectors", "all") == "all"]
    if not main:
        return []
    repeat = max(r["repeat"] for r in main)
    frames = max(r.get("frames", 1) for r in main)
    out = ["## 1. Program cost per packet",
           "",
           "BPF_PROG_TEST_RUN, caller pinned to one CPU, every collector `diag` runs switched "
           "on (sizes, handshakes, accept, resets, retrans), against an empty program of the "
           "same type (`XDP_PASS` / `TC_ACT_UNSPEC`) loaded in the same run. *tc_in* is the "
           "default ingress hook (tc/tcx), *xdp* ingress with `-m native|generic`, *tc* egress. "
           "Rounds interleave ours and the empty program; {} rounds.".format(main[0]["rounds"]),
           "",
           "* *repeat* rows: one frame run {:,} times by the kernel. The state it needs (a flow "
           "baseline in `rst_flows`; no handshake pending, so handshakes takes its cheap path) "
           "is created by one run before each round. The RST row is the RST-storm path: after the "
           "per-CPU token bucket's burst (100 events) the event is rate-limited, counted in the "
           "`resets_rate_limited` health counter and not written to the ring buffer.".format(repeat),
           "* *distinct* rows: a stateful path run on one frame would measure its first run "
           "once and then a retransmission. These run repeat 1 on {:,} frames per round, each "
           "with its own 4-tuple (source address and port in 198.18.0.0/15). *Empty table* "
           "empties `hs_flows` and `rst_flows` first; *full table* fills both to capacity "
           "(65,536 entries) with other tuples, so every SYN evicts; before each round, "
           "`rst_present` (the presence filter in front of `rst_flows`) is rebuilt from the "
           "table as a running wirescope keeps it, so a tuple never seen finds its slot marked "
           "only if a flow in the table shares it; *final ACK* pre-inserts "
           "each tuple's SYN and SYN-ACK state; *16,384 established flows* pre-inserts a baseline for each tuple and runs them in turn, so each lookup finds its entry cold in cache, as on a busy server. Extra ns is the difference of the per-call "
           "means (both include the test-run timer); *ours* is the empty program's repeat "
           "cost plus that extra, so the ratio compares like with like. *Check* is the "
           "collector's own counter after the runs: every frame did what the row claims. The "
           "method-check row measures the established path this way: its distance from the "
           "repeat row is the error bar of the distinct rows.".format(frames),
           "",
           "| hook | path | method | ours ns | empty ns | extra ns, median [min–max] | ratio, median [min–max] | check |",
           "|---|---|---|---:|---:|---|---|---|"]
    for r in main:
        chk = "–"
        if "check" in r:
            c = r["check"]
            chk = "{} {:,} of {:,}".format(c["counter"], c["counted"], c["expected"])
        out.append("| {} | {} | {} | {:.0f} | {:.0f} | {:.0f} [{:.0f}–{:.0f}] | {:.2f} [{:.2f}–{:.2f}] | {} |".format(
            r["hook"], NAMES.get(r["path"], r["path"]), r.get("method", "repeat"),
            r["ours_ns"], r["empty_ns"],
            r["extra_ns"]["median"], r["extra_ns"]["min"], r["extra_ns"]["max"],
            r["ratio"]["median"], r["ratio"]["min"], r["ratio"]["max"], chk))
    sets = []
    for r in rows:
        if r.get("collectors", "all") not in sets:
            sets.append(r.get("collectors", "all"))
    if len(sets) > 1:
        out += ["", "### Where the extra ns come from",
                "",
                "The same paths, same method, with fewer collectors loaded: extra ns over the "
                "empty program, median. `sizes` alone is the floor; the next two columns add "
                "one stateful collector each.",
                "",
                "| hook | path | " + " | ".join("`{}`".format(s) for s in sets) + " |",
                "|---|---|" + "---:|" * len(sets)]
        for r in main:
            vals = []
            for st in sets:
                m = [x for x in rows if x.get("collectors", "all") == st and x["hook"] == r["hook"]
                     and x["path"] == r["path"]]
                vals.append("{:.0f}".format(m[0]["extra_ns"]["median"]) if m else "–")
            out.append("| {} | {} | {} |".format(r["hook"], NAMES.get(r["path"], r["path"]),
                                                 " | ".join(vals)))
    return out


def bulk(rows):
    if not rows:
        return ["## Bulk TCP", "", "Not measured in this run."]
    head = {"none": "unobserved", "none_again": "unobserved, again (A/A)",
            "sizes_tc": "`sizes` (default: tc)", "diag": "`diag` (default)",
            "export": "`export` (default)", "sizes_native": "`sizes -m native`",
            "diag_native": "`diag -m native`", "tcpdump": "`tcpdump -w /dev/null`"}
    cfgs = [c for c in head if any(r["config"] == c for r in rows)]
    by = {c: [r for r in rows if r["config"] == c] for c in cfgs}
    out = ["## Bulk TCP", "",
           "One iperf3 stream over a veth pair into the observed namespace; the observer sits "
           "on the receiving veth. {} Native XDP on a veth strips TSO/GSO from its peer, "
           "which is why the default hook is tc.".format(BRACKETS), "",
           "| observer | Gb/s, median [min–max] | ratio to unobserved |", "|---|---|---|"]
    for c in cfgs:
        ratio = "1" if c == "none" else mmm(ratios(rows, c, lambda r: r["bps"]))
        out.append("| {} | {} | {} |".format(head[c], mmm([r["bps"] / 1e9 for r in by[c]]), ratio))
    return out


def churn(rows):
    if not rows:
        return ["## 3. Handshake churn", "", "Not measured in this run."]
    n = rows[0]["requested"]
    head = {"none": "unobserved", "none_again": "unobserved, again (A/A)",
            "tc_pass": "an empty program (tcx)",
            "tc_pass_clsact": "an empty program (clsact)",
            "tc_pass_touch": "an empty program reading the headers",
            "sizes_tc": "`sizes` (tc)", "handshakes": "`handshakes` (tc)",
            "resets": "`resets` (tc)", "diag": "`diag` (tc)",
            "export": "`export` (tc)", "tcpdump": "`tcpdump -w /dev/null`"}
    cfgs = with_b(list(head), rows)
    head = {c: b_name(head, c) for c in cfgs}  # with build B's columns
    out = ["## 3. Handshake churn", "",
           "A burst of {:,} short connections per run from one namespace to a listener in "
           "another over veth (tools/bench/churn.c: 64 in flight on epoll, each closed by an RST "
           "once connected, so no TIME_WAIT carries over; the server accepts and closes). Each "
           "observer watches the server's interface, wirescope in the default mode (tc). {} "
           "Ground truth is the server namespace's `TcpPassiveOpens` delta. Goal (issue 14): "
           "`diag` and `export` keep ≥ 0.95.".format(n, BRACKETS), "",
           "| | " + " | ".join(head[c] for c in cfgs) + " |", "|---|" + "---|" * len(cfgs)]
    by = {c: [r for r in rows if r["config"] == c] for c in cfgs}

    def rate(r):
        return r["connected"] / r["seconds"]

    def row(label, f):
        out.append("| {} | {} |".format(label, " | ".join(f(c, by[c]) for c in cfgs)))

    row("connections/s, median [min–max]", lambda c, rs: mmm([rate(r) for r in rs], "{:,.0f}"))
    row("ratio to unobserved", lambda c, rs: "1" if c == "none" else mmm(
        ratios(rows, c, rate)))
    row("connected of requested, all runs (failed)", lambda c, rs: "{:,} of {:,} ({})".format(
        sum(r["connected"] for r in rs), n * len(rs), sum(r["failed"] for r in rs)))
    row("`TcpPassiveOpens` delta, all runs", lambda c, rs: "{:,}".format(
        sum(r["passive_opens"] for r in rs)))
    hs = by.get("handshakes", [])
    if not hs:
        return out

    def only_hs(f):
        return lambda c, rs: f(rs) if c == "handshakes" else "–"

    def counted(rs):
        po = sum(r["passive_opens"] for r in rs)
        got = sum(r.get("server_handshakes", 0) for r in rs)
        exact = sum(1 for r in rs if r.get("server_handshakes") == r["passive_opens"])
        return "{:,} ({:.3%} of PassiveOpens; equal in {} of {} runs)".format(
            got, got / max(1, po), exact, len(rs))

    def health(rs):
        h = {}
        for r in rs:
            for k, v in r.get("health", {}).items():
                if isinstance(v, int):
                    h[k] = h.get(k, 0) + v
        return ", ".join("{} {}".format(k, v) for k, v in h.items() if v) or "all zero"

    row("handshakes counted by wirescope", only_hs(counted))
    row("SYNs counted / final ACKs proven dropped / SYNs unanswered", only_hs(
        lambda rs: "{:,} / {} / {}".format(sum(r.get("syn_received", 0) for r in rs),
                                          sum(r.get("final_acks_dropped", 0) for r in rs),
                                          sum(r.get("syn_unanswered", 0) for r in rs))))
    row("flows evicted / left open at exit", only_hs(
        lambda rs: "{} / {}".format(sum(r.get("flows_evicted", 0) for r in rs),
                                    sum(r.get("flows_open", 0) for r in rs))))
    row("lost-count (health) counters", only_hs(health))
    return out


def exporter(rows):
    if not rows:
        return ["## 4. Exporter", "", "Not measured in this run."]
    return ["## 4. Exporter", "",
            "`wirescope export` on 16 veth interfaces in one namespace with 64 listening TCP "
            "sockets there; {} rounds of {} sequential scrapes of `/metrics` (HTTP/1.0 on "
            "127.0.0.1, a new connection each). Median [min–max] over the rounds.".format(
                len(rows), rows[0]["scrapes"]), "",
            "| | |", "|---|---|",
            "| scrape latency p50 | {} ms |".format(mmm([r["p50_ms"] for r in rows], "{:.2f}")),
            "| scrape latency p99 | {} ms |".format(mmm([r["p99_ms"] for r in rows], "{:.2f}")),
            "| slowest scrape | {} ms |".format(mmm([r["max_ms"] for r in rows], "{:.2f}")),
            "| body size | {} bytes |".format(mmm([r["body_bytes"] for r in rows], "{:,.0f}")),
            "| samples (non-comment lines) | {} |".format(mmm([r["series"] for r in rows], "{:,.0f}")),
            "| listener ports with their own label (`--max-ports` 64: the exporter's own "
            "port takes one) | {} of 64 |".format(
                mmm([r["listener_ports"] for r in rows], "{:.0f}")),
            "| RSS after each round (peak) | {} KiB ({:,} KiB) |".format(
                mmm([r["rss_kib"] for r in rows], "{:,.0f}"), max(r["hwm_kib"] for r in rows)),
            "| failed scrapes | {} |".format(sum(r["errors"] for r in rows))]


def userspace(rows):
    if not rows:
        return []
    out = ["## 5. User-space cost", "",
           "CPU milliseconds per minute of the wirescope process itself (all threads, from "
           "`/proc/PID/task/*/schedstat`), idle and while 200 kpps of small TCP segments "
           "arrive; nobody scrapes the exporter meanwhile. The data plane's own cost is in "
           "softirq and shows in sections 1 and 2. Median [min–max] of {} rounds.".format(
               len({r.get("round", 0) for r in rows})), "",
           "| command | idle | under flood |", "|---|---|---|"]
    cmds = []
    for r in rows:
        if r["command"] not in cmds:
            cmds.append(r["command"])
    for c in cmds:
        v = {st: [r["cpu_ms_per_min"] for r in rows if r["command"] == c and r["state"] == st]
             for st in ("idle", "flood")}
        out.append("| `wirescope {}` | {} ms/min | {} ms/min |".format(
            c, mmm(v["idle"], "{:.0f}"), mmm(v["flood"], "{:.0f}")))
    return out


def goals(d):
    pc = [r for r in load(os.path.join(d, "progcost.json")) if r.get("collectors", "all") == "all"]
    bulk_rows = load(os.path.join(d, "bulk.json"))
    fl = load(os.path.join(d, "flood.json"))
    ch = load(os.path.join(d, "churn.json"))
    out = ["## Issue 14's goals", "",
           "Each goal against this run's figures: *met* when the median meets it; the "
           "[min–max] shows how far the rounds spread. Per-packet figures are tc ingress "
           "(*tc_in*, the default hook) from section 1, native XDP in brackets; ratios are "
           "throughput kept against nothing attached. *Nothing attached, again* is one more "
           "unobserved run in each round, between two others like every observer (A/A): "
           "how far a ratio moves when nothing changes. A throughput goal is decided "
           "only when the ratio is on the same side of it against the A/A run too (the "
           "ratio divided by the A/A pair's): else it is *undecided*, the base moved more "
           "than the goal's margin.", "",
           "| goal | measured, median [min–max] | met |", "|---|---|---|"]

    def decide(v, goal, again):
        aa = statistics.median(again) if again else 1
        if v >= goal and v / aa >= goal:
            return "met"
        if v < goal and v / aa < goal:
            return "**not met**"
        down = lambda x: math.floor(x * 1000) / 1000  # 0.9498 must not print as 0.950
        return "undecided: {:.3f} here, {:.3f} against the A/A run".format(down(v), down(v / aa))

    def kept(label, vals, goal, floor=None, again=None):
        if not vals:
            out.append("| {} ≥ {} | not measured | – |".format(label, goal))
            return
        ctx = "; an empty program on the same hook keeps {}".format(mmm(floor)) if floor else ""
        ctx += "; nothing attached, again: {}".format(mmm(again)) if again else ""
        out.append("| {} ≥ {} | {} ({} runs{}) | {} |".format(
            label, goal, mmm(vals), len(vals), ctx,
            decide(statistics.median(vals), goal, again)))

    bulk_bps = lambda r: r["bps"]
    for cfg in ("diag", "export"):
        kept("bulk TCP, `{}`".format(cfg), ratios(bulk_rows, cfg, bulk_bps), 0.97,
             again=ratios(bulk_rows, "none_again", bulk_bps))
    for kind, (title, _) in FLOOD_KINDS.items():
        for cfg in ("diag", "export"):
            kept("{}, `{}`".format(title, cfg), ratios(fl, cfg, flood_pps, kind), 0.95,
                 ratios(fl, "tc_pass", flood_pps, kind),
                 ratios(fl, "none_again", flood_pps, kind))
    for cfg in ("diag", "export"):
        kept("churn, `{}`".format(cfg), ratios(ch, cfg, churn_rate), 0.95,
             ratios(ch, "tc_pass", churn_rate), ratios(ch, "none_again", churn_rate))

    def pkt(label, path, key, goal, fmt, hook="tc_in"):
        by = {r["hook"]: r for r in pc if r["path"] == path}
        if hook not in by:
            out.append("| {} | not measured | – |".format(label))
            return
        v = by[hook][key]
        x = by.get("xdp", {}).get(key) if hook == "tc_in" else None
        out.append("| {} | {}{} | {} |".format(
            label, "{} [{}–{}]".format(*(fmt.format(v[k]) for k in ("median", "min", "max"))),
            " (xdp {})".format(fmt.format(x["median"])) if x else "",
            "met" if v["median"] <= goal else "**not met**"))

    pkt("established TCP ≤ 2× the empty program", "tcp4_data_established", "ratio", 2, "{:.2f}×")
    pkt("16k cold flows ≤ +60 ns", "tcp4_data_established_16k_flows", "extra_ns", 60, "+{:.0f} ns")
    pkt("SYN ≤ 300 ns (empty table)", "tcp4_syn_empty_table", "extra_ns", 300, "{:.0f} ns")
    pkt("SYN ≤ 300 ns (full table, LRU evicts)", "tcp4_syn_full_table", "extra_ns", 300, "{:.0f} ns")
    pkt("final ACK ≤ 300 ns", "tcp4_final_ack", "extra_ns", 300, "{:.0f} ns")
    pkt("RST-storm packet ≤ +40 ns: the bare ACK in (empty table)", "tcp4_ack_new_flow", "extra_ns", 40,
        "+{:.0f} ns")
    pkt("RST-storm packet ≤ +40 ns: the bare ACK in (full table)", "tcp4_ack_new_flow_full_table", "extra_ns",
        40, "+{:.0f} ns")
    pkt("RST-storm packet ≤ +40 ns: our RST out (tc egress, rate-limited)", "tcp4_rst", "extra_ns",
        40, "+{:.0f} ns", "tc")
    live = live_goals(load_where(d))
    if live:
        out[2] += (" The *live* rows after the per-packet goals are section 3b's: the same paths "
                   "on the real data path, upper bounds that decide no goal.")
    return out + live


def live_pairs(rows, load_name, floor="tc_pass"):
    """(diag, floor) rows of each round of a section 3b load."""
    by = {}
    for r in rows:
        if r["load"] == load_name and r.get("config") in ("diag", floor):
            by.setdefault(r["round"], {})[r["config"]] = r
    return [(p["diag"], p[floor]) for p in by.values() if len(p) == 2]


def runs_per(r):
    return sum(p["runs"] for p in r["progs"].values()) / r["packets"]


def live_goals(rows):
    """
    The per-packet goals on the live path (section 3b), beside them and not
    deciding them: every program's run time per packet, `diag` against the
    empty program.  It counts cache misses on the packet that `diag` takes
    and the stack would take after it anyway, which the empty program
    leaves to the stack: an upper bound.  The stats' clock reads are in
    both, and each program the empty one does not run adds its own: the
    second storm figure takes off that many of the empty program's whole
    runs, more than their clock reads.
    """
    out = []
    note = "– (the first figure an upper bound, not a verdict: see section 3b)"
    data = live_pairs(rows, "data")
    if data:
        v = [bpf_ns_per(a) / bpf_ns_per(b) for a, b in data]
        touch = [bpf_ns_per(a) / bpf_ns_per(b) for a, b in live_pairs(rows, "data", "tc_pass_touch")]
        out.append("| established TCP, live (section 3b, small data: every program per "
                   "segment, against the empty program) | {} ({} rounds{}) | {} |".format(
                       mmm(v, "{:.2f}×"), len(v),
                       "; against the empty program that reads the headers, {}".format(
                           mmm(touch, "{:.2f}×")) if touch else "", note))
    storm = live_pairs(rows, "ack")
    if storm:
        extra = [bpf_ns_per(a) - bpf_ns_per(b) for a, b in storm]
        run = [bpf_ns_per(b) / runs_per(b) for a, b in storm]
        more = [runs_per(a) - runs_per(b) for a, b in storm]
        less = [x - m * e for x, m, e in zip(extra, more, run)]
        touch = [bpf_ns_per(a) - bpf_ns_per(b) for a, b in live_pairs(rows, "ack", "tc_pass_touch")]
        out.append("| RST-storm packet, live (section 3b: every program per flood packet, "
                   "kfree_skb and tcp_send_reset too, against the empty program) | {} ({} rounds; "
                   "less {:.1f} of the empty program's runs, {} ns each, for the programs it does "
                   "not run: {}{}) | {} |".format(
                       mmm(extra, "{:+.0f} ns"), len(extra), statistics.median(more),
                       mmm(run, "{:.0f}"), mmm(less, "{:+.0f} ns"),
                       "; against the empty program that reads the headers, {}".format(
                           mmm(touch, "{:+.0f} ns")) if touch else "", note))
    return out


def run_date(d):
    """When the results were written (re-rendering keeps the run's date)."""
    stamps = [os.path.getmtime(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".json")]
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(max(stamps) if stamps else time.time()))


def main():
    d = sys.argv[1]
    lines = ["# Benchmarks", "",
             "Written by `sudo make bench` (tools/bench/bench.sh). Machine: {}. Date: {}.".format(
                 machine(), run_date(d)),
             "Every figure is measured against a baseline in the same run: median of the "
             "rounds, with [min–max]. Absolute numbers on this 2-core VM are noisy; the "
             "ratios are what to read.", ""]
    lines += goals(d) + [""]
    lines += progcost(load(os.path.join(d, "progcost.json"))) + [""]
    lines += bulk(load(os.path.join(d, "bulk.json"))) + [""]
    lines += flood(load(os.path.join(d, "flood.json"))) + [""]
    lines += churn(load(os.path.join(d, "churn.json"))) + [""]
    lines += where(load_where(d)) + [""]
    lines += exporter(load(os.path.join(d, "exporter.json"))) + [""]
    lines += userspace(load(os.path.join(d, "userspace.json"))) + [""]
    notes = os.path.join(os.path.dirname(__file__), "READING.md")
    if os.path.exists(notes):
        lines += open(notes).read().splitlines()
    print("\n".join(lines))


main()
