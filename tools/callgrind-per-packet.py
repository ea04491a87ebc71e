#!/usr/bin/env python3
"""Instructions per forwarded packet from two callgrind runs of nym-mixnode (tools/profile-mixnode.sh).

Each argument is a folder holding loadgen.json and callgrind.out-NN (one file per thread, from
--separate-threads=yes). The difference of the two runs divided by the difference of their packet
counts is the cost of one packet; start-up and shutdown cancel out.
"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

EVENTS = ("Ir", "D1mr")  # instructions; data reads that miss the first-level cache
CELL = r"(?:([\d,]+)(?:\s+\(\s*[\d.]+%\))?|\.)\s+"
LINE = re.compile(r"^\s*" + CELL * len(EVENTS) + r"(\S.*)$")
# Inclusive costs shown by name (a function's whole subtree).
INCLUSIVE = {
    "Sphinx (verify_header + finish_processing)": ("nym::sphinx::verify_header(", "nym::sphinx::finish_processing("),
    "replay filter check": ("nym::mixnode::ReplayFilter::check_and_insert(",),
}
# Work that follows the clock, not the packets (heartbeats, metric reports, topology, eviction): the
# two runs last equally long, but a node under valgrind may not live exactly as long in both, so these
# are taken out of the totals and shown apart.
PERIODIC = ("nym::mixnode::Daemon::heartbeat(", "nym::mixnode::Daemon::report_interval(",
            "nym::mixnode::Daemon::fetch_topology(", "nym::mixnode::Daemon::evict_neighbours(")
ALLOC = ("malloc", "free", "_int_malloc", "_int_free", "cfree", "malloc_consolidate", "operator new", "operator delete",
         "unlink_chunk", "tcache", "_int_free_merge_chunk", "_int_free_create_chunk", "_int_free_maybe_consolidate")


def name_of(text):
    """'file:function [object]' -> 'function' (or 'object+address' for unnamed code)."""
    obj = ""
    m = re.search(r"\s\[([^\]]+)\]$", text)
    if m:
        obj = Path(m.group(1)).name
        text = text[: m.start()]
    fn = text.split(":", 1)[1] if ":" in text and not text.startswith("0x") else text
    if fn.startswith("0x"):
        return f"({obj})"
    fn = re.sub(r"'\d+$", "", fn)  # callgrind's recursion suffix
    return fn


class Cost(list):
    """One count per EVENTS entry."""

    def __init__(self, values=None):
        super().__init__(values or [0] * len(EVENTS))

    def __add__(self, o):
        return Cost([a + b for a, b in zip(self, o)])

    def __sub__(self, o):
        return Cost([a - b for a, b in zip(self, o)])

    def per(self, n):
        return Cost([a / n for a in self])


def annotate(path, inclusive):
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
                          "--show=" + ",".join(EVENTS), str(path)], capture_output=True, text=True, check=True).stdout
    costs = defaultdict(Cost)
    total = Cost()
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        value = Cost([int(g.replace(",", "")) if g else 0 for g in m.groups()[: len(EVENTS)]])
        what = m.group(len(EVENTS) + 1).strip()
        if what == "PROGRAM TOTALS":
            total = value
            continue
        key = name_of(what)
        if inclusive:  # a function listed under several names: keep the largest
            if value[0] > costs[key][0]:
                costs[key] = value
        else:
            costs[key] = costs[key] + value
    return total, costs


def role(inclusive):
    names = " ".join(inclusive.keys())
    if "thread_pool::thread_function" in names:
        return "worker"
    if "main" in inclusive:
        return "io"
    return "other"


def load(folder):
    folder = Path(folder)
    report = json.loads((folder / "loadgen.json").read_text())
    probe = report["probes"][0]
    if probe["received"] != probe["sent"]:
        sys.exit(f"{folder}: {probe['sent'] - probe['received']} packets lost; lower RATE")
    threads = {}
    for f in sorted(folder.glob("callgrind.out-*")):
        total, exclusive = annotate(f, False)
        _, inclusive = annotate(f, True)
        r = role(inclusive)
        if r in threads:  # several workers: add them up
            t = threads[r]
            t["total"] = t["total"] + total
            for k, v in exclusive.items():
                t["exclusive"][k] = t["exclusive"][k] + v
            for k, v in inclusive.items():
                t["inclusive"][k] = t["inclusive"][k] + v
        else:
            threads[r] = {"total": total, "exclusive": exclusive, "inclusive": inclusive}
    return probe["sent"], threads


def fmt(c):
    return f"{c[0]:>12,.0f} {c[1]:>8,.1f}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: callgrind-per-packet.py LOW_RATE_DIR HIGH_RATE_DIR")
    n1, a = load(sys.argv[1])
    n2, b = load(sys.argv[2])
    n = n2 - n1
    if n <= 0:
        sys.exit("the second run must forward more packets than the first")
    top = int(os.environ.get("TOP", "14"))
    print(f"packets: {n1} and {n2}; per packet = difference / {n}")
    print(f"{'instructions':>12} {'L1 miss':>8}  (data reads missing L1; per forwarded packet)")
    grand = Cost()
    empty = {"total": Cost(), "exclusive": defaultdict(Cost), "inclusive": defaultdict(Cost)}
    for r in ("worker", "io", "other"):
        if r not in b:
            continue
        ta = a.get(r, empty)
        tb = b[r]
        periodic = Cost()
        for k in tb["inclusive"]:
            if k.startswith(PERIODIC):
                periodic = periodic + (tb["inclusive"][k] - ta["inclusive"].get(k, Cost()))
        periodic = periodic.per(n)
        total = (tb["total"] - ta["total"]).per(n) - periodic
        grand = grand + total
        print(f"\n{fmt(total)}  {r} thread(s), in all")
        if abs(periodic[0]) >= 1:
            print(f"{fmt(periodic)}    (not counted: periodic work, {PERIODIC[0].split('::')[-1]}... )")
        named = Cost()
        for label, prefixes in INCLUSIVE.items():
            v = Cost()
            for k in tb["inclusive"]:
                if k.startswith(prefixes):
                    v = v + (tb["inclusive"][k] - ta["inclusive"].get(k, Cost()))
            v = v.per(n)
            if abs(v[0]) >= 1:
                named = named + v
                print(f"{fmt(v)}    {label} (inclusive)")
        alloc = Cost()
        for k in tb["exclusive"]:
            if k.split("(")[0].strip() in ALLOC or k.startswith(("operator new", "operator delete")):
                alloc = alloc + (tb["exclusive"][k] - ta["exclusive"].get(k, Cost()))
        alloc = alloc.per(n)
        if abs(alloc[0]) >= 1:
            print(f"{fmt(alloc)}    malloc/free (exclusive)")
        print(f"{fmt(total - named)}    all but the inclusive costs above; the largest exclusive costs:")
        diffs = sorted((((v - ta["exclusive"].get(k, Cost())).per(n), k) for k, v in tb["exclusive"].items()),
                       key=lambda x: -x[0][0])
        for d, k in diffs[:top]:
            if d[0] < 20:
                break
            short = k if len(k) < 100 else k[:97] + "..."
            print(f"{fmt(d)}      {short}")
    print(f"\n{fmt(grand)}  all threads, per forwarded packet")


if __name__ == "__main__":
    main()
