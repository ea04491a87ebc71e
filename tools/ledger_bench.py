#!/usr/bin/env python3
"""Transactions per second through the 4-validator network, the block interval, and the app's own
cost per transaction against its floor, all in one run (docs/performance.md, "The ledger").

1. builds a network with tools/validators.py (genesis: ACCOUNTS deterministic test accounts from
   `nym-ledger-tx bench-accounts`), in a temporary folder, and starts it;
2. pre-signs ROUNDS transfers per account (`nym-ledger-tx bench-transfers`; signing is the clients'
   work, not the network's);
3. sends them at RATE tx/s as JSON-RPC batches of broadcast_tx_async over one keep-alive HTTP
   connection per validator (an account always goes to the same validator, so its nonces arrive in
   order), and follows the blocks;
4. reads each app's own counters (the /stats query: CPU time by ABCI request kind) and each process's
   CPU time (/proc) before and after;
5. measures the floor — one Keccak-256 and one secp256k1 recovery per transaction — with bench_ledger
   (floor_keccak_and_recover) right after, on the same machine;
6. prints the results and writes them as JSON.

  python3 tools/ledger_bench.py [--rate 1200] [--duration 30] [--accounts 2000] [--batch 100]
                                [--timeout-commit 500ms] [--out FILE] [--keep]
Environment: NYM_BIN (build/release/bin), BENCH_LEDGER (build/release/bench/bench_ledger), COMETBFT."""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import validators as vt  # noqa: E402


def tool(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "validators.py"), *args], check=True, **kw)


def clock_ticks():
    return os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / clock_ticks()


def app_stats(m, node):
    code, log, value = vt.abci_query({**m, "rpc": f"http://127.0.0.1:{node['rpc_port']}"}, "/stats")
    if code:
        raise RuntimeError(f"/stats: {log}")
    return json.loads(value)


def block_times(m, lo, hi):
    """{height: (unix time, num_txs)} for blocks lo..hi, from /blockchain (20 per call)."""
    out = {}
    h = hi
    while h >= lo:
        r = vt.rpc(m["rpc"], "blockchain", {"minHeight": max(lo, h - 19), "maxHeight": h}, timeout=10)
        for meta in r["block_metas"]:
            height = int(meta["header"]["height"])
            t = meta["header"]["time"]  # RFC 3339 with nanoseconds
            secs = time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            frac = t[19:].rstrip("Z")
            secs += float("0" + frac) if frac.startswith(".") else 0.0
            out[height] = (secs, int(meta["num_txs"]))
        h -= 20
    return out


class Sender(threading.Thread):
    """JSON-RPC batches of broadcast_tx_async to one validator at a fixed rate."""

    def __init__(self, port, txs, rate, batch):
        super().__init__(daemon=True)
        self.port, self.txs, self.rate, self.batch = port, txs, rate, batch
        self.sent = 0
        self.errors = 0
        self.error_sample = ""

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        start = time.monotonic()
        for i in range(0, len(self.txs), self.batch):
            chunk = self.txs[i:i + self.batch]
            due = start + i / self.rate
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            body = json.dumps([{"jsonrpc": "2.0", "id": i + j, "method": "broadcast_tx_async",
                                "params": {"tx": tx}} for j, tx in enumerate(chunk)])
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            answers = json.loads(conn.getresponse().read())
            if not isinstance(answers, list):  # the whole batch refused
                self.errors += len(chunk)
                self.error_sample = self.error_sample or json.dumps(answers)[:300]
                continue
            for a in answers:
                if "error" in a or a["result"].get("code", 0):
                    self.errors += 1
                    self.error_sample = self.error_sample or json.dumps(a)[:300]
            self.sent += len(chunk)
        conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=1200, help="offered load, tx/s (default 1200)")
    p.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    p.add_argument("--accounts", type=int, default=2000)
    p.add_argument("--batch", type=int, default=100, help="transactions per JSON-RPC batch")
    p.add_argument("--timeout-commit", default="500ms")
    p.add_argument("--out", default=str(ROOT / "build" / "release" / "bench-results" / "ledger_network.json"))
    p.add_argument("--keep", action="store_true", help="keep the network's folder (logs) afterwards")
    args = p.parse_args()

    nym_bin = Path(os.environ.get("NYM_BIN", ROOT / "build" / "release" / "bin"))
    bench_ledger = Path(os.environ.get("BENCH_LEDGER", ROOT / "build" / "release" / "bench" / "bench_ledger"))
    for f in (nym_bin / "nym-validator", nym_bin / "nym-ledger-tx", bench_ledger):
        if not os.access(f, os.X_OK):
            sys.exit(f"ledger-bench: missing {f} (tools/ledger-bench.sh builds it)")
    os.environ["NYM_BIN"] = str(nym_bin)
    load_before = os.getloadavg()

    work = Path(tempfile.mkdtemp(prefix="nym-ledger-bench-"))
    rounds = max(1, int(args.rate * args.duration / args.accounts + 0.999))
    total = rounds * args.accounts
    print(f"ledger-bench: {args.accounts} accounts x {rounds} transfers = {total} transactions at "
          f"{args.rate:.0f} tx/s offered; network in {work}")
    accounts = subprocess.run([nym_bin / "nym-ledger-tx", "bench-accounts", "--count", str(args.accounts),
                               "--balance", "1000000000000"], check=True, capture_output=True, text=True).stdout
    (work / "accounts.json").write_text(accounts)
    tool("--dir", str(work), "build", "--accounts", str(work / "accounts.json"), "--chain-id", "nym-bench",
         "--timeout-commit", args.timeout_commit, "--base-port", str(pick_base()))
    m = vt.load(work)
    signed = subprocess.run([nym_bin / "nym-ledger-tx", "bench-transfers", "--count", str(args.accounts),
                             "--rounds", str(rounds), "--chain-id", "nym-bench"],
                            check=True, capture_output=True, text=True).stdout.split()
    # hex -> base64 for the JSON-RPC body; per validator, round-major (nonce order per account).
    import base64
    per_node = [[] for _ in m["nodes"]]
    for i, tx in enumerate(signed):
        per_node[(i % args.accounts) % len(m["nodes"])].append(base64.b64encode(bytes.fromhex(tx)).decode())
    del signed

    try:
        tool("--dir", str(work), "start")
        pids = {name: vt.live_pid(m, name, marker) for name, marker, _ in vt.processes(m)}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        stats0 = [app_stats(m, n) for n in m["nodes"]]
        # Block 1's time is genesis time (set at build): start the load once a few blocks exist.
        while (h0 := vt.node_status(m["nodes"][0])[0]) < 3:
            time.sleep(0.2)
        t0 = time.monotonic()
        senders = [Sender(n["rpc_port"], txs, args.rate / len(m["nodes"]), args.batch)
                   for n, txs in zip(m["nodes"], per_node)]
        for s in senders:
            s.start()
        # Follow the chain until every transaction is in a block (or it stops making progress).
        committed, last_progress, height = 0, time.monotonic(), h0
        metas = block_times(m, h0, h0)
        while committed < total and time.monotonic() - last_progress < 20:
            time.sleep(1)
            s = vt.node_status(m["nodes"][0])
            if s and s[0] > height:
                new = block_times(m, height + 1, s[0])
                metas.update(new)
                added = sum(n for _, n in new.values())
                if added:
                    last_progress = time.monotonic()
                committed += added
                height = s[0]
            print(f"\r  sent {sum(x.sent for x in senders):6d}  committed {committed:6d}  height {height}", end="",
                  flush=True)
        print()
        for s in senders:
            s.join(timeout=5)
        wall = time.monotonic() - t0
        cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        stats1 = [app_stats(m, n) for n in m["nodes"]]
        final_status = [vt.node_status(n) for n in m["nodes"]]
    finally:
        tool("--dir", str(work), "stop", stdout=subprocess.DEVNULL)

    # Throughput from the blocks' own times: the transactions of the blocks after the first with load,
    # over the time from that block to the last with load.
    loaded = sorted(h for h, (_, n) in metas.items() if n > 0)
    if not loaded:
        sys.exit(f"ledger-bench: no transaction was committed; senders: "
                 f"{next((s.error_sample for s in senders if s.error_sample), 'no error')}; logs in {work}")
    first, last = loaded[0], loaded[-1]
    span = metas[last][0] - metas[first][0]
    txs_in_span = sum(metas[h][1] for h in range(first + 1, last + 1))
    intervals = [metas[h][0] - metas[h - 1][0] for h in range(first + 1, last + 1)]
    tps = txs_in_span / span if span > 0 else 0.0

    # The app's own cost per transaction, per validator: CheckTx (new + recheck) + FinalizeBlock
    # (+ PrepareProposal/ProcessProposal + Commit, shown apart).
    def delta(i, kind):
        return (stats1[i][kind]["cpu_us"] - stats0[i][kind]["cpu_us"]) / max(1, committed)

    per_node = []
    for i, n in enumerate(m["nodes"]):
        row = {k: delta(i, k) for k in ("check_tx_new", "check_tx_recheck", "finalize_block", "commit",
                                          "prepare_proposal", "process_proposal")}
        row["check_new_requests"] = stats1[i]["check_tx_new"]["requests"] - stats0[i]["check_tx_new"]["requests"]
        row["recheck_requests"] = stats1[i]["check_tx_recheck"]["requests"] - stats0[i]["check_tx_recheck"]["requests"]
        row["app_us_per_tx"] = row["check_tx_new"] + row["check_tx_recheck"] + row["finalize_block"]
        row["app_with_commit_us_per_tx"] = row["app_us_per_tx"] + row["commit"] + row["prepare_proposal"]
        row["app_process_cpu_us_per_tx"] = (cpu1[n["app"]] - cpu0[n["app"]]) / max(1, committed) * 1e6
        row["cometbft_process_cpu_us_per_tx"] = (cpu1[n["name"]] - cpu0[n["name"]]) / max(1, committed) * 1e6
        per_node.append(row)

    floor = measure_floor(bench_ledger)
    app_cost = statistics.mean(r["app_us_per_tx"] for r in per_node)
    app_cost_commit = statistics.mean(r["app_with_commit_us_per_tx"] for r in per_node)
    app_proc = statistics.mean(r["app_process_cpu_us_per_tx"] for r in per_node)
    comet_proc = statistics.mean(r["cometbft_process_cpu_us_per_tx"] for r in per_node)
    result = {
        "offered_rate": args.rate, "duration": args.duration, "accounts": args.accounts, "batch": args.batch,
        "timeout_commit": args.timeout_commit, "transactions": total, "committed": committed, "wall_s": wall,
        "sender_errors": sum(s.errors for s in senders), "sender_error_sample": next((s.error_sample for s in senders if s.error_sample), ""),
        "tx_per_s": tps, "blocks_with_txs": len(loaded), "block_interval_mean_s": statistics.mean(intervals) if intervals else None,
        "block_interval_max_s": max(intervals) if intervals else None,
        "txs_per_block_max": max(metas[h][1] for h in loaded),
        "floor_us": floor, "app_us_per_tx": app_cost, "ratio": app_cost / floor,
        "app_with_commit_us_per_tx": app_cost_commit, "ratio_with_commit": app_cost_commit / floor,
        "app_process_cpu_us_per_tx": app_proc, "cometbft_process_cpu_us_per_tx": comet_proc,
        "per_validator": per_node, "final_status": final_status,
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(), "cores": os.cpu_count(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"""
ledger network (4 validators, {os.cpu_count()} cores; load average {load_before[0]:.1f} before, {result['loadavg_after'][0]:.1f} after)
  committed {committed} of {total} transfers ({result['sender_errors']} refused at the RPC)
  throughput          {tps:8.0f} tx/s  (blocks {first}..{last} by their header times; offered {args.rate:.0f} tx/s)
  block interval      {result['block_interval_mean_s']:8.3f} s mean, {result['block_interval_max_s']:.3f} s max; up to {result['txs_per_block_max']} txs per block
  floor               {floor:8.1f} us   (one Keccak-256 + one secp256k1 recovery, bench_ledger)
  app per tx          {app_cost:8.1f} us   CheckTx + recheck + FinalizeBlock (its own counters) = {app_cost / floor:.2f} x floor
                      {app_cost_commit:8.1f} us   with Commit and PrepareProposal = {app_cost_commit / floor:.2f} x floor
  per process per tx  {app_proc:8.1f} us   nym-validator (all threads), {comet_proc:.1f} us cometbft, per validator""")
    for i, r in enumerate(per_node):
        print(f"    node{i}: check {r['check_tx_new']:.1f} + recheck {r['check_tx_recheck']:.1f} + finalize "
              f"{r['finalize_block']:.1f} + commit {r['commit']:.1f} us/tx; {r['check_new_requests']} CheckTx, "
              f"{r['recheck_requests']} rechecks")
    print(f"JSON: {args.out}")
    if args.keep:
        print(f"network kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def pick_base():
    for base in range(27500, 32000, 100):
        if all(vt.port_free(port) for port in vt.all_ports(base)):
            return base
    sys.exit("ledger-bench: no free ports")


def measure_floor(bench_ledger):
    out = subprocess.run([bench_ledger, "--benchmark_filter=^floor_keccak_and_recover$", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    runs = json.loads(out)["benchmarks"]
    median = next(b for b in runs if b.get("aggregate_name") == "median")
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[median["time_unit"]]
    return median["cpu_time"] * scale


if __name__ == "__main__":
    main()
