#!/usr/bin/env python3
"""A local validator network on this machine's loopback: 4 CometBFT validators, each with its own
nym-validator (the ledger, over ABCI). Builds nothing: it runs the binaries under $NYM_BIN (default
build/release/bin) and CometBFT from $COMETBFT (default: the version pinned in tools/versions.env,
as tools/install-deps.sh installs it).

  python3 tools/validators.py build  [--dir DIR] [--base-port N] [--chain-id ID] [--issuer-keys DIR]
                                     [--accounts FILE] [--timeout-commit 400ms] [--force]
  python3 tools/validators.py start  [--dir DIR]         apps first, then CometBFT; waits for blocks
  python3 tools/validators.py status [--dir DIR]         table: name, pid, ports, height, app hash
  python3 tools/validators.py stop   [--dir DIR]         SIGTERM, then SIGKILL; idempotent
  python3 tools/validators.py query  [--dir DIR] PATH [ACCOUNT|HEX]    abci_query on node0
  python3 tools/validators.py transfer [--dir DIR] --from NAME --to NAME|ADDR --amount N

DIR (default ./validators):
  nodes/                  exactly what `cometbft testnet --v 4 --o nodes --home nodes` writes:
                          config/config.toml, data/, node0..node3/{config/{config.toml, genesis.json,
                          node_key.json, priv_validator_key.json}, data/priv_validator_state.json};
                          then our app_state in every genesis.json, loopback ports and fast blocks in
                          every config.toml; each app's RocksDB goes to nodeN/data/nym-ledger/
  accounts/NAME.key       secp256k1 keys of the test accounts (mode 0600): faucet, alice, bob,
                          watcher1-3, verifier1-3, provider1-2
  network.json            chain id, ports, account addresses (for scripts and tests)
  logs/{appN,nodeN}.log   one log per process; run/{appN,nodeN}.pid

Ports from the base port N (default 26656 when the 12 ports are free, else the next free block of
100 above it): nodeK listens for peers on N+10K, serves RPC on N+10K+1 and its app serves ABCI on
N+10K+2 — node0 is 26656 (p2p), 26657 (RPC), 26658 (ABCI), CometBFT's defaults.
Environment: NYM_BIN, COMETBFT, VALIDATORS_TIMEOUT (60 s to wait at start), VALIDATORS_LOG_LEVEL
(the apps' level, info)."""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODES = 4
HOST = "127.0.0.1"
DEFAULT_BASE_PORT = 26656
PIPE_ACCOUNT = "0x00000000000000000000000000000000000c0ffe"
# name -> initial balance; watchers and verifiers hold nothing, they only sign votes.
FUNDED = {"faucet": 10**15, "alice": 1_000_000, "bob": 1_000_000}
WATCHERS = ["watcher1", "watcher2", "watcher3"]
VERIFIERS = ["verifier1", "verifier2", "verifier3"]
PROVIDERS = ["provider1", "provider2"]


def die(message):
    print(f"validators: {message}", file=sys.stderr)
    sys.exit(1)


def nym_bin(name):
    path = Path(os.environ.get("NYM_BIN", ROOT / "build" / "release" / "bin")) / name
    if not os.access(path, os.X_OK):
        die(f"missing {path} (build the release preset first, or set NYM_BIN to a build's bin/ folder)")
    return str(path)


def cometbft_bin():
    if os.environ.get("COMETBFT"):
        path = Path(os.environ["COMETBFT"])
    else:
        version = None
        for line in (ROOT / "tools" / "versions.env").read_text().splitlines():
            if line.startswith("COMETBFT_VERSION="):
                version = line.split("=", 1)[1].strip()
        tools = Path(os.environ.get("NYM_TOOLS_DIR", Path.home() / ".cache" / "nym-cpp" / "tools"))
        path = tools / f"cometbft-{version}" / "cometbft"
    if not os.access(path, os.X_OK):
        die(f"missing {path} (run tools/install-deps.sh, or set COMETBFT to a cometbft binary)")
    return str(path)


def ports_of(base, k):
    return {"p2p": base + 10 * k, "rpc": base + 10 * k + 1, "abci": base + 10 * k + 2}


def all_ports(base):
    return [p for k in range(NODES) for p in ports_of(base, k).values()]


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def choose_base_port(requested):
    if requested is not None:
        busy = [p for p in all_ports(requested) if not port_free(p)]
        if busy:
            die(f"ports in use: {', '.join(map(str, busy))} (choose another --base-port)")
        return requested
    for base in range(DEFAULT_BASE_PORT, 32000, 100):
        if all(port_free(p) for p in all_ports(base)):
            if base != DEFAULT_BASE_PORT:
                print(f"validators: ports {DEFAULT_BASE_PORT}.. are in use; using base port {base}")
            return base
    die("no free block of ports between 26656 and 32000")


# ---- build ---------------------------------------------------------------------------------------


def set_toml(text, section, key, value):
    """Sets `key = value` inside [section] ("" for the top) of CometBFT's generated config.toml."""
    lines = text.split("\n")
    current = ""
    for i, line in enumerate(lines):
        m = re.match(r"^\[([^\]]+)\]\s*$", line)
        if m:
            current = m.group(1)
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            lines[i] = f"{key} = {value}"
            return "\n".join(lines)
    raise SystemExit(f"validators: config.toml has no {section}.{key} (CometBFT version mismatch?)")


def q(s):
    return json.dumps(s)


def keygen(path):
    out = subprocess.run([nym_bin("nym-ledger-tx"), "keygen", "--out", str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        die(f"nym-ledger-tx keygen: {out.stderr.strip()}")
    return out.stdout.strip()


def issuer_keys(folder):
    """Hex of every verification key in a nym-coconut-keygen issuerKeys/ folder, and t from the names."""
    files = sorted(Path(folder).glob("threshold-verificationKey-id=*.pem"))
    if not files:
        die(f"no threshold-verificationKey-id=*.pem in {folder}")
    keys, thresholds = [], set()
    for f in files:
        body = "".join(l for l in f.read_text().splitlines() if l and not l.startswith("-----"))
        keys.append(base64.b64decode(body).hex())
        m = re.search(r"-t=(\d+)\.pem$", f.name)
        if m:
            thresholds.add(int(m.group(1)))
    return keys, (thresholds.pop() if len(thresholds) == 1 else None)


def cmd_build(args):
    d = Path(args.dir)
    if (d / "network.json").exists() or (d / "nodes").exists():
        if not args.force:
            die(f"{d} already holds a network (start it, or rebuild with --force)")
        if (d / "network.json").exists() and running(load(d)):
            die(f"the network in {d} is running (stop it first)")
        for sub in ("nodes", "accounts", "logs", "run"):
            shutil.rmtree(d / sub, ignore_errors=True)
        (d / "network.json").unlink(missing_ok=True)
    base = choose_base_port(args.base_port)
    cometbft = cometbft_bin()
    nodes = d / "nodes"
    nodes.mkdir(parents=True, exist_ok=True)
    # CometBFT's own generator: keys, validator set, layout (with --home, nodes/config and nodes/data too).
    out = subprocess.run([cometbft, "testnet", "--v", str(NODES), "--o", str(nodes), "--home", str(nodes),
                          "--p2p-port", str(base)], capture_output=True, text=True)
    if out.returncode != 0:
        die(f"cometbft testnet failed: {out.stderr.strip() or out.stdout.strip()}")

    accounts = {}
    (d / "accounts").mkdir(mode=0o700, exist_ok=True)
    for name in [*FUNDED, *WATCHERS, *VERIFIERS, *PROVIDERS]:
        key = d / "accounts" / f"{name}.key"
        accounts[name] = {"key": str(key.resolve()), "address": keygen(key)}
    balances = [{"address": accounts[n]["address"], "balance": str(b)} for n, b in FUNDED.items()]
    if args.accounts:
        extra = json.loads(Path(args.accounts).read_text())
        known = {b["address"] for b in balances}
        balances += [a for a in extra if a["address"] not in known]
    app_state = {
        "chain_id": args.chain_id,
        "pipe_account": PIPE_ACCOUNT,
        "watchers": {"threshold": args.watcher_threshold, "addresses": [accounts[n]["address"] for n in WATCHERS]},
        "verifiers": {"threshold": args.verifier_threshold,
                      "addresses": [accounts[n]["address"] for n in VERIFIERS]},
        "accounts": balances,
    }
    if args.issuer_keys:
        keys, t = issuer_keys(args.issuer_keys)
        threshold = args.issuer_threshold or t
        if not threshold:
            die("--issuer-threshold is needed (the key file names do not say t)")
        app_state["issuers"] = {"threshold": threshold, "verification_keys": keys}

    node_ids = []
    for k in range(NODES):
        r = subprocess.run([cometbft, "show-node-id", "--home", str(nodes / f"node{k}")], capture_output=True, text=True)
        if r.returncode != 0:
            die(f"cometbft show-node-id: {r.stderr.strip()}")
        node_ids.append(r.stdout.strip())
    genesis = json.loads((nodes / "node0" / "config" / "genesis.json").read_text())
    genesis["chain_id"] = args.chain_id
    genesis["app_state"] = app_state
    genesis_text = json.dumps(genesis, indent=2) + "\n"
    manifest_nodes = []
    for k in range(NODES):
        home = nodes / f"node{k}"
        p = ports_of(base, k)
        (home / "config" / "genesis.json").write_text(genesis_text)
        conf = (home / "config" / "config.toml").read_text()
        peers = ",".join(f"{node_ids[j]}@{HOST}:{ports_of(base, j)['p2p']}" for j in range(NODES) if j != k)
        for section, key, value in [
            ("", "moniker", q(f"node{k}")),
            ("", "proxy_app", q(f"tcp://{HOST}:{p['abci']}")),
            ("", "log_level", q(args.cometbft_log_level)),
            ("rpc", "laddr", q(f"tcp://{HOST}:{p['rpc']}")),
            ("rpc", "max_body_bytes", str(16 * 1024 * 1024)),  # JSON-RPC batches of transactions
            ("rpc", "max_request_batch_size", "1000"),
            ("p2p", "laddr", q(f"tcp://{HOST}:{p['p2p']}")),
            ("p2p", "persistent_peers", q(peers)),
            ("p2p", "addr_book_strict", "false"),
            ("p2p", "allow_duplicate_ip", "true"),
            ("p2p", "flush_throttle_timeout", q("10ms")),
            ("mempool", "size", "50000"),
            ("mempool", "cache_size", "100000"),
            ("consensus", "timeout_propose", q("1s")),
            ("consensus", "timeout_prevote", q("500ms")),
            ("consensus", "timeout_precommit", q("500ms")),
            ("consensus", "timeout_commit", q(args.timeout_commit)),
            ("tx_index", "indexer", q(args.tx_index)),
        ]:
            conf = set_toml(conf, section, key, value)
        (home / "config" / "config.toml").write_text(conf)
        manifest_nodes.append({"name": f"node{k}", "app": f"app{k}", "home": str(home.resolve()),
                               "ledger_dir": str((home / "data" / "nym-ledger").resolve()),
                               "node_id": node_ids[k], **{f"{n}_port": v for n, v in p.items()}})
    manifest = {
        "chain_id": args.chain_id,
        "base_port": base,
        "rpc": f"http://{HOST}:{ports_of(base, 0)['rpc']}",
        "pipe_account": PIPE_ACCOUNT,
        "watchers": WATCHERS, "watcher_threshold": args.watcher_threshold,
        "verifiers": VERIFIERS, "verifier_threshold": args.verifier_threshold,
        "providers": PROVIDERS,
        "nodes": manifest_nodes,
        "accounts": accounts,
    }
    (d / "network.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"validators: built {NODES} validators in {d / 'nodes'} (chain {args.chain_id}, "
          f"RPC {manifest['rpc']}, ports {base}..{base + 10 * (NODES - 1) + 2})")


# ---- processes -----------------------------------------------------------------------------------


def load(d):
    path = Path(d) / "network.json"
    if not path.exists():
        die(f"no network in {d} (run: validators.py build --dir {d})")
    m = json.loads(path.read_text())
    m["dir"] = str(Path(d).resolve())
    return m


def live_pid(m, name, marker):
    """The pid in run/<name>.pid if it is alive and its command line names `marker` (its own data
    folder): a stale pid file may name a recycled pid, and we never signal a process that is not ours."""
    try:
        pid = int((Path(m["dir"]) / "run" / f"{name}.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if marker.encode() in cmdline else None


def processes(m):
    """(name, marker, kind) in start order: the apps, then CometBFT."""
    out = [(n["app"], n["ledger_dir"], "app") for n in m["nodes"]]
    out += [(n["name"], n["home"], "node") for n in m["nodes"]]
    return out


def running(m):
    return [(name, pid) for name, marker, _ in processes(m) if (pid := live_pid(m, name, marker))]


def launch(m, name, argv):
    logs = Path(m["dir"]) / "logs"
    run = Path(m["dir"]) / "run"
    logs.mkdir(exist_ok=True)
    run.mkdir(exist_ok=True)
    log = open(logs / f"{name}.log", "ab")
    log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} starting: {' '.join(argv)}\n".encode())
    log.flush()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    (run / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc


def rpc(url, method, params=None, timeout=3.0):
    query = urllib.parse.urlencode(params or {})
    with urllib.request.urlopen(f"{url}/{method}" + (f"?{query}" if query else ""), timeout=timeout) as r:
        body = json.load(r)
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def node_status(n):
    """(height, app hash) of the last block validator k committed, as its app reports it through
    CometBFT (abci_info): the hash of the state after that block. (`/status`'s latest_app_hash is
    the one in the latest header, i.e. the state after the block before.)"""
    try:
        info = rpc(f"http://{HOST}:{n['rpc_port']}", "abci_info", timeout=2.0)["response"]
        app_hash = base64.b64decode(info.get("last_block_app_hash") or "").hex().upper()
        return int(info.get("last_block_height", "0")), app_hash
    except (OSError, ValueError, KeyError, RuntimeError):
        return None


def app_ready(m, n, offset, proc):
    log = Path(m["dir"]) / "logs" / f"{n['app']}.log"
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    if "nym-validator listening on" in text:
        return True
    if proc.poll() is not None:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        die(f"{n['app']} exited during start-up; last lines of {log}:\n{tail}")
    return False


def cmd_start(args):
    m = load(args.dir)
    timeout = float(os.environ.get("VALIDATORS_TIMEOUT", "60"))
    if up := running(m):
        die(f"{', '.join(n for n, _ in up)} already running in {m['dir']} (stop first: validators.py stop)")
    validator, cometbft = nym_bin("nym-validator"), cometbft_bin()
    busy = [str(p) for n in m["nodes"] for p in (n["p2p_port"], n["rpc_port"], n["abci_port"]) if not port_free(p)]
    if busy:
        die(f"ports in use: {', '.join(busy)} (another network? stop it, or rebuild with --force --base-port N)")
    t0 = time.monotonic()
    try:
        procs = {}
        offsets = {}
        for n in m["nodes"]:
            log = Path(m["dir"]) / "logs" / f"{n['app']}.log"
            offsets[n["app"]] = log.stat().st_size if log.exists() else 0
            procs[n["app"]] = launch(m, n["app"], [
                validator, "--data-dir", n["ledger_dir"], "--host", HOST, "--port", str(n["abci_port"]),
                "--log-level", os.environ.get("VALIDATORS_LOG_LEVEL", "info")])
        deadline = time.monotonic() + timeout
        for n in m["nodes"]:
            while not app_ready(m, n, offsets[n["app"]], procs[n["app"]]):
                if time.monotonic() > deadline:
                    die(f"{n['app']} did not start listening within {timeout:.0f}s")
                time.sleep(0.05)
        for n in m["nodes"]:
            procs[n["name"]] = launch(m, n["name"], [cometbft, "start", "--home", n["home"]])
        # Healthy: every node's RPC answers and its height grows.
        first = {}
        while True:
            for n in m["nodes"]:
                if procs[n["name"]].poll() is not None:
                    log = Path(m["dir"]) / "logs" / f"{n['name']}.log"
                    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                    die(f"{n['name']} exited during start-up; last lines of {log}:\n{tail}")
            heights = {n["name"]: s[0] for n in m["nodes"] if (s := node_status(n))}
            for name, h in heights.items():
                first.setdefault(name, h)
            if len(heights) == NODES and all(h >= 1 and h > first[name] for name, h in heights.items()):
                break
            if time.monotonic() > deadline:
                die(f"the validators did not commit blocks within {timeout:.0f}s (heights {heights}); "
                    f"see {m['dir']}/logs/")
            time.sleep(0.1)
    except SystemExit:
        print("validators: start failed; stopping what was started", file=sys.stderr)
        stop(m, quiet=True)
        raise
    s = node_status(m["nodes"][0])
    print(f"validators: {NODES} validators up in {time.monotonic() - t0:.1f}s, chain {m['chain_id']}, "
          f"height {s[0]}, app hash {s[1]}; RPC {m['rpc']}; logs {m['dir']}/logs/")


def stop(m, quiet=False):
    # CometBFT first (it stops calling its app), then the apps.
    targets = [(name, pid) for name, marker, _ in reversed(processes(m)) if (pid := live_pid(m, name, marker))]
    for _, pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    left = targets
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [(n, p) for n, p in left if Path(f"/proc/{p}").exists() and not zombie(p)]
    for name, pid in left:
        print(f"validators: {name} ignored SIGTERM, sending SIGKILL", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for f in (Path(m["dir"]) / "run").glob("*.pid"):
        f.unlink()
    if not quiet:
        print(f"validators: stopped {len(targets)} process(es) in {m['dir']}" if targets
              else f"validators: nothing running in {m['dir']}")


def zombie(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def cmd_stop(args):
    if not (Path(args.dir) / "network.json").exists():
        print(f"validators: nothing running in {Path(args.dir).resolve()}")
        return
    stop(load(args.dir))


def cmd_status(args):
    m = load(args.dir)
    rows, healthy = [], 0
    before = {n["name"]: node_status(n) for n in m["nodes"]}
    # A node is healthy when its height grows: watch for up to 5 s (a block is due every
    # timeout_commit, but the first rounds after a start, or a busy machine, take longer).
    latest = {}
    deadline = time.monotonic() + 5.0
    while True:
        time.sleep(0.25)
        for n in m["nodes"]:
            if n["name"] not in latest or not latest[n["name"]] or not before[n["name"]] or \
                    latest[n["name"]][0] <= before[n["name"]][0]:
                latest[n["name"]] = node_status(n)
        if time.monotonic() >= deadline or all(
                latest[k] and before[k] and latest[k][0] > before[k][0] for k in latest):
            break
    for n in m["nodes"]:
        app_pid = live_pid(m, n["app"], n["ledger_dir"])
        node_pid = live_pid(m, n["name"], n["home"])
        s = latest[n["name"]]
        grows = bool(s and before[n["name"]] and s[0] > before[n["name"]][0])
        healthy += bool(app_pid and node_pid and grows)
        state = "ok" if grows else ("stalled" if s else "down")
        rows.append((n["name"], str(node_pid or "-"), str(app_pid or "-"),
                     f"{n['p2p_port']}/{n['rpc_port']}/{n['abci_port']}", str(s[0]) if s else "-",
                     (s[1][:16] + "…") if s and s[1] else "-", state))
    header = ("name", "pid", "app pid", "p2p/rpc/abci", "height", "app hash", "state")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print(f"{healthy} of {NODES} validators healthy (RPC answers, height grows); chain {m['chain_id']}, "
          f"RPC {m['rpc']}, logs {m['dir']}/logs/")
    return 0 if healthy == NODES else 1


# ---- using the ledger ------------------------------------------------------------------------------


def address_of(m, who):
    if who in m["accounts"]:
        return m["accounts"][who]["address"]
    if re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", who):
        return who if who.startswith("0x") else "0x" + who
    die(f"unknown account '{who}' (one of {', '.join(m['accounts'])}, or an address)")


def abci_query(m, path, data_hex=""):
    result = rpc(m["rpc"], "abci_query", {"path": q(path), "data": "0x" + data_hex})["response"]
    value = base64.b64decode(result.get("value") or "").decode(errors="replace")
    return result.get("code", 0), result.get("log", ""), value


def cmd_query(args):
    m = load(args.dir)
    data = ""
    if args.data:
        if args.path in ("/balance", "/account"):
            data = address_of(m, args.data)[2:]
        else:
            data = args.data[2:] if args.data.startswith("0x") else args.data
    code, log, value = abci_query(m, args.path, data)
    if code:
        print(f"code {code}: {log}", file=sys.stderr)
        return 1
    print(value)
    return 0


def cmd_transfer(args):
    m = load(args.dir)
    if args.sender not in m["accounts"]:
        die(f"--from must be one of {', '.join(m['accounts'])}")
    sender = m["accounts"][args.sender]
    code, log, value = abci_query(m, "/account", sender["address"][2:])
    if code:
        die(f"/account: {log}")
    nonce = json.loads(value)["nonce"]
    tx = subprocess.run([nym_bin("nym-ledger-tx"), "transfer", "--key", sender["key"], "--chain-id", m["chain_id"],
                         "--nonce", str(nonce), "--to", address_of(m, args.to), "--amount", str(args.amount)],
                        capture_output=True, text=True)
    if tx.returncode != 0:
        die(tx.stderr.strip())
    result = rpc(m["rpc"], "broadcast_tx_commit", {"tx": "0x" + tx.stdout.strip()}, timeout=15)
    for phase in ("check_tx", "tx_result"):
        if result[phase].get("code", 0):
            die(f"{phase}: code {result[phase]['code']}: {result[phase].get('log', '')}")
    print(f"transfer of {args.amount} from {args.sender} to {args.to} committed at height {result['height']} "
          f"(tx {result['hash']})")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default="validators", help="the network's folder (default ./validators)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write nodes/, accounts/ and network.json")
    b.add_argument("--base-port", type=int, help="p2p port of node0 (default 26656 when free)")
    b.add_argument("--chain-id", default="nym-localnet")
    b.add_argument("--watcher-threshold", type=int, default=2)
    b.add_argument("--verifier-threshold", type=int, default=2)
    b.add_argument("--issuer-keys", help="a nym-coconut-keygen issuerKeys/ folder: the issuers' verification keys")
    b.add_argument("--issuer-threshold", type=int, help="default: t in the key file names")
    b.add_argument("--accounts", help="JSON file: more genesis accounts [{address, balance}]")
    b.add_argument("--timeout-commit", default="400ms", help="CometBFT's pause after a block (default 400ms)")
    b.add_argument("--tx-index", default="kv", choices=["kv", "null"], help="CometBFT's transaction indexer")
    b.add_argument("--cometbft-log-level", default="main:info,state:info,*:error",
                   help="CometBFT's log_level (default: start-up, blocks and errors)")
    b.add_argument("--force", action="store_true", help="replace an existing network in --dir")
    sub.add_parser("start", help="start the apps, then CometBFT; wait for blocks")
    sub.add_parser("status", help="a table of the validators; exit 1 unless all are healthy")
    sub.add_parser("stop", help="stop everything (SIGTERM, then SIGKILL)")
    qp = sub.add_parser("query", help="abci_query on node0")
    qp.add_argument("path", help="/balance, /account, /zeta, /credential_request, /watcher_notice, /params, /stats")
    qp.add_argument("data", nargs="?", help="an account name or address (/balance, /account), else hex")
    t = sub.add_parser("transfer", help="sign a transfer with a test account's key and commit it")
    t.add_argument("--from", dest="sender", required=True)
    t.add_argument("--to", required=True)
    t.add_argument("--amount", type=int, required=True)
    # --dir is accepted before or after the command.
    for p in (b, *(sub.choices[c] for c in ("start", "status", "stop", "query", "transfer"))):
        p.add_argument("--dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    commands = {"build": cmd_build, "start": cmd_start, "status": cmd_status, "stop": cmd_stop,
                "query": cmd_query, "transfer": cmd_transfer}
    try:
        sys.exit(commands[args.command](args) or 0)
    except (urllib.error.URLError, ConnectionError, TimeoutError, RuntimeError) as e:
        die(f"RPC {e}")


if __name__ == "__main__":
    main()
