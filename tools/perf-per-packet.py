#!/usr/bin/env python3
"""Where a mix node's CPU goes per forwarded packet, from `perf record -g` samples of its threads.

usage: perf-per-packet.py PERF_DATA LOADGEN_JSON
The loadgen JSON (a single --rate run, taken while perf recorded part of it) gives the node's CPU
per packet; perf gives the shares. Each sample is put in one bucket by its stack: the system call it
is in (send split into the receiver's wake-up and the rest), kernel work outside a system call
(interrupts, faults), the Sphinx crypto (libsodium, libcrypto, nym::sphinx, nym::crypto), the replay
filter, the allocator, and the rest of user space (asio, the daemon, libc).
"""
import json
import subprocess
import sys
from collections import Counter, defaultdict

# Kernel functions that name the system call a sample is in (the outermost match wins).
SYSCALLS = (("sendmsg", "send()"), ("sendto", "send()"), ("recvfrom", "recv()"), ("recvmsg", "recv()"),
            ("epoll_wait", "epoll_wait() (sleeping and waking)"), ("epoll_ctl", "epoll_ctl()"),
            ("futex", "futex (thread hand-off)"), ("ksys_write", "write() (eventfd wake-up)"),
            ("ksys_read", "read()"), ("timerfd", "timerfd"), ("sys_connect", "connect()"))
ALLOC = ("malloc", "free", "_int_malloc", "_int_free", "operator new", "operator delete", "cfree")


def bucket(frames):
    """frames: list of (symbol, dso), leaf first."""
    kernel = [f for f in frames if f[1].startswith("[kernel")]
    if kernel:
        for sym, _ in reversed(kernel):
            for marker, name in SYSCALLS:
                if marker in sym:
                    if name == "send()" and any(s.startswith("sock_def_readable") for s, _ in kernel):
                        return "send(): loopback delivery waking the receiver"
                    return name
        return "kernel outside system calls (interrupts, faults)"
    leaf_sym, leaf_dso = frames[0]
    if "libsodium" in leaf_dso or "libcrypto" in leaf_dso:
        return "Sphinx (crypto libraries)"
    syms = " ".join(s for s, _ in frames)
    if "ReplayFilter" in syms or "BloomFilter" in syms:
        return "replay filter"
    if leaf_sym.startswith(ALLOC) or leaf_sym.split("@")[0] in ALLOC:
        return "allocator"
    if leaf_sym.startswith(("nym::sphinx::", "nym::crypto::")):
        return "Sphinx (nym::sphinx, nym::crypto)"
    return "other user space (asio, daemon, libc)"


def main():
    data, report = sys.argv[1], json.load(open(sys.argv[2]))
    probe = report["probes"][0]
    us_per_packet = probe["node_cpu_us_per_packet"]
    out = subprocess.run(["perf", "script", "-i", data, "-F", "tid,ip,sym,dso"], capture_output=True, text=True).stdout
    counts = Counter()
    per_thread = defaultdict(Counter)
    frames, tid = [], None
    for line in out.splitlines() + [""]:
        if not line.strip():
            if frames:
                b = bucket(frames)
                counts[b] += 1
                per_thread[tid][b] += 1
            frames, tid = [], None
            continue
        if not line.startswith("\t"):
            tid = line.split()[0]
            continue
        parts = line.strip().split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        dso = rest[rest.rfind("(") + 1:-1] if rest.endswith(")") else ""
        sym = rest[: rest.rfind("(")].strip() if "(" in rest else rest
        sym = sym.split("+0x")[0]
        frames.append((sym, dso))
    total = sum(counts.values())
    print(f"{probe['offered_rate']:.0f} packets/s offered, {probe['throughput']:.0f}/s forwarded: "
          f"node CPU {us_per_packet:.1f} µs per packet ({total} samples)")
    for b, n in counts.most_common():
        print(f"  {us_per_packet * n / total:6.1f} µs  {100 * n / total:5.1f} %  {b}")


if __name__ == "__main__":
    main()
