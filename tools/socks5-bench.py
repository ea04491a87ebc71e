#!/usr/bin/env python3
"""SOCKS through the mixnet, measured (docs/performance.md "SOCKS5 through the mixnet").

  python3 tools/socks5-bench.py [--bin build/release/bin] [--out build/release/bench-results]
                                [--send-delay 20ms] [--packet-delay 10ms] [--size 1048576] [--streams 20]
                                [--stream-size 262144] [--zero-size 10485760] [--zero-stream-size 1048576]

For each setting — the Poisson one (--send-delay S, --packet-delay D, loop cover on) and "zero
delays" (--packet-delay 0, --disable-cover: packets leave as fast as they are built) — it starts a
fresh local mixnet (tests/functional/socks5_test.py's Mixnet: directory, three mix nodes, a
gateway, nym-network-requester, nym-socks5-client) plus two plain nym-clients alice and bob on the
same gateway with the same flags, and measures in that one run:

  baseline   the mixnet client's own delivery rate: alice sends one message of --size bytes to bob
             (tools/e2e-bench.mjs throughput), first send to arrival
  1 stream   curl --socks5-hostname fetching --size bytes from a local http.server: time to first
             byte (curl's time_starttransfer) and throughput (size / (total - starttransfer))
  N streams  N curls at once, each --stream-size bytes: aggregate throughput (all bytes / wall time)
             and the median time to first byte

and prints the ratios (SOCKS throughput / baseline). Writes socks5.json to --out. Builds nothing."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "functional"))
import socks5_test  # noqa: E402  (the Mixnet of the functional tests)


def curl(net, path, out):
    r = subprocess.run(["curl", "-sS", "--fail", "--max-time", "600", "--socks5-hostname",
                        f"127.0.0.1:{net.socks_port}", "-o", str(out), "-w",
                        "%{time_starttransfer} %{time_total} %{size_download}", net.url(path)],
                       capture_output=True, timeout=620)
    if r.returncode != 0:
        raise RuntimeError(f"curl {path}: {r.stderr.decode()}")
    ttfb, total, size = r.stdout.decode().split()
    return float(ttfb), float(total), int(size)


def start_clients(net, flags):
    """alice and bob: plain nym-clients on the same gateway with the same flags."""
    root = net.dir / "clients"
    ports = {}
    for name in ("alice", "bob"):
        socks5_test.run_once([socks5_test.BIN / "nym-client", "init", "--id", name, "--directory", net.directory_url,
                              "--gateway", net.gateway_identity, "--port", "0", "--root", root], net.log(name))
        p = net.launch(name, [socks5_test.BIN / "nym-client", "run", "--id", name, "--root", root, "--port", "0",
                              "--max-request-size", str(64 * 1024 * 1024), *flags])
        line = p.wait_line("nym-client listening on")
        ports[name] = line.split("ws://127.0.0.1:")[1].split("/")[0]
    return {n: f"ws://127.0.0.1:{p}/mix" for n, p in ports.items()}


def measure(label, flags, size, streams, part):
    net = socks5_test.Mixnet(flags=flags, requester_timeout="60s")
    failed = True
    try:
        net.start()
        urls = start_clients(net, flags)
        time.sleep(2)
        www = net.dir / "www"
        (www / "one.bin").write_bytes(os.urandom(size))
        for i in range(streams):
            (www / f"part{i}.bin").write_bytes(os.urandom(part))
        base = subprocess.run(["node", ROOT / "tools" / "e2e-bench.mjs", "throughput", "--from", urls["alice"],
                               "--to", urls["bob"], "--count", "1", "--size", str(size), "--timeout", "600"],
                              capture_output=True, timeout=660)
        if base.returncode != 0:
            raise RuntimeError("baseline: " + base.stderr.decode())
        baseline = json.loads(base.stdout)
        if baseline["received"] != 1:
            raise RuntimeError(f"baseline: the message did not arrive: {baseline}")
        baseline_kbs = size / 1000 / baseline["elapsed_s"]
        # One stream (after a warm-up fetch that opens the requester's SURB supply).
        curl(net, "part0.bin", net.dir / "warm")
        ttfb, total, got = curl(net, "one.bin", net.dir / "one.out")
        assert got == size
        one_kbs = size / 1000 / (total - ttfb)
        # N streams at once.
        started = time.monotonic()
        procs = [subprocess.Popen(["curl", "-sS", "--fail", "--max-time", "600", "--socks5-hostname",
                                   f"127.0.0.1:{net.socks_port}", "-o", str(net.dir / f"p{i}.out"), "-w",
                                   "%{time_starttransfer} %{time_total} %{size_download}", net.url(f"part{i}.bin")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(streams)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=660)
            if p.returncode != 0:
                raise RuntimeError("curl: " + err.decode())
            t, tot, n = out.decode().split()
            results.append((float(t), float(tot), int(n)))
        wall = time.monotonic() - started
        assert all(n == part for _, _, n in results)
        many_kbs = part * streams / 1000 / wall
        row = {
            "setting": label, "flags": flags, "size": size, "streams": streams, "stream_size": part,
            "baseline_kB_per_s": round(baseline_kbs, 1), "baseline_elapsed_s": baseline["elapsed_s"],
            "one_stream_ttfb_s": round(ttfb, 3), "one_stream_kB_per_s": round(one_kbs, 1),
            "one_stream_ratio": round(one_kbs / baseline_kbs, 3),
            "n_streams_wall_s": round(wall, 2), "n_streams_kB_per_s": round(many_kbs, 1),
            "n_streams_ratio": round(many_kbs / baseline_kbs, 3),
            "n_streams_ttfb_median_s": round(statistics.median(t for t, _, _ in results), 3),
            "n_streams_ttfb_max_s": round(max(t for t, _, _ in results), 3),
            "load_average": os.getloadavg()[0],
        }
        failed = False
        return row
    finally:
        net.stop(failed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("NYM_BIN", str(ROOT / "build" / "release" / "bin")))
    ap.add_argument("--out", default=None)
    ap.add_argument("--send-delay", default="20ms")
    ap.add_argument("--packet-delay", default="10ms")
    ap.add_argument("--size", type=int, default=1024 * 1024)
    ap.add_argument("--zero-size", type=int, default=10 * 1024 * 1024)
    ap.add_argument("--streams", type=int, default=20)
    ap.add_argument("--stream-size", type=int, default=256 * 1024)
    ap.add_argument("--zero-stream-size", type=int, default=1024 * 1024)
    ap.add_argument("--only", choices=["poisson", "zero"], default=None)
    args = ap.parse_args()
    socks5_test.BIN = Path(args.bin)
    out = Path(args.out) if args.out else Path(args.bin).parent / "bench-results"
    poisson = ["--packet-delay", args.packet_delay, "--ack-delay", args.packet_delay, "--send-delay", args.send_delay,
               "--loop-delay", "200ms", "--log-level", "warn"]
    zero = ["--packet-delay", "0ms", "--ack-delay", "0ms", "--disable-cover", "--log-level", "warn"]
    rows = []
    if args.only in (None, "poisson"):
        rows.append(measure(f"Poisson S={args.send_delay} D={args.packet_delay}", poisson, args.size, args.streams, args.stream_size))
    if args.only in (None, "zero"):
        rows.append(measure("zero delays, no cover", zero, args.zero_size, args.streams, args.zero_stream_size))
    out.mkdir(parents=True, exist_ok=True)
    (out / "socks5.json").write_text(json.dumps(rows, indent=2) + "\n")
    print("| setting | baseline kB/s | 1 stream TTFB s | 1 stream kB/s (ratio) | "
          f"{args.streams} streams kB/s (ratio) | {args.streams} streams TTFB median / max s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setting']} | {r['baseline_kB_per_s']} | {r['one_stream_ttfb_s']} | "
              f"{r['one_stream_kB_per_s']} ({r['one_stream_ratio']}) | {r['n_streams_kB_per_s']} "
              f"({r['n_streams_ratio']}) | {r['n_streams_ttfb_median_s']} / {r['n_streams_ttfb_max_s']} |")


if __name__ == "__main__":
    main()
