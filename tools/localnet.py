#!/usr/bin/env python3
"""The whole Nym network on this machine's loopback, from one configuration tree.

  python3 tools/localnet.py build  [--out build] [--client-dir localnetdata/localclient] [--docker] [--force]
                                   [--issuers 3]
  python3 tools/localnet.py up     [--out build]      everything, in dependency order, with health checks
  python3 tools/localnet.py status [--out build] [--json]   one row per component; exit 1 unless all healthy
  python3 tools/localnet.py logs NAME [--out build] [-n 40] [--no-follow]    follow one component's log
  python3 tools/localnet.py stop NAME [--out build] [--signal KILL]          stop one component (faults)
  python3 tools/localnet.py down   [--out build]      everything, in reverse order (SIGTERM, then SIGKILL)
  python3 tools/localnet.py balances | zeta HEX [--out build]   the client's and providers' balances; a zeta's record

`build` (`make localnet-build`) writes OUT (default ./build, beside CMake's build/<preset>/ folders):

  ethereum-watchers/watcherN/{config.toml, watcher.key}                       N = 1, 2
  issuers/issuerN/{config.toml, coconutkeys/threshold-{secretKey,verificationKey}-id=N-attrs=5-n=5-t=3.pem}
                                                                              N = 1..3 (5 keys dealt, t = 3)
  nodes/                    `cometbft testnet` for 4 validators (tools/validators.py)
  providers/providerN/{config.toml, accountKey/provider.key, issuerKeys/threshold-verificationKey-id=1..5-…pem}
  verifiers/verifierN/{config.toml, accountKey/verifier.key, issuerKeys/…}   N = 1, 2
  ethereum/deployer.key     the key that deploys the Nym ERC20 token at the first `up`
  ledger/{network.json, accounts/}   the validator network's manifest and test accounts (faucet, alice, bob)
  mixnet/                   the mixnet's keys and configs (tools/localnet.sh's layout: nodes/mixnodes,
                            nodes/gateways; the clients alice and bob register at the first `up`)
  localnet.json             every component's ports and addresses (for `up`, `status` and scripts)

and the client's CLIENT_DIR (default ./localnetdata/localclient): config.toml, clientAccount.key.
Every secret file is 0600. `build` refuses to touch an OUT or CLIENT_DIR that holds keys unless
--force (which deletes them: new keys, a new chain). With --docker, the services' configs name the
other services as docker-compose.yml does (node0:26657, ethereum:8545) and listen on 0.0.0.0;
nymclient's config is the same either way (the host ports below).

Ports (the host ports of docker-compose.yml): geth 8545; nodeK p2p/RPC 26656/26657, 26659/26660,
26661/26662, 26663/26664, their apps' ABCI 26658, 26665, 26666, 26667; issuers 4000-4002; providers
4100-4101; the mixnet from 21000 (tools/localnet.sh: directory 21000, mix nodes 21001-21006, gateways
21011-21012 and 21021-21022, alice 21031, bob 21032; the SOCKS parts: the test web server 21040,
nym-socks5-client 21041 — curl --socks5-hostname 127.0.0.1:21041 http://localhost:21040/; inside
docker-compose they are the services www, requester and socks5, not mapped to the host).

At run time: logs/NAME.log (every component's output, one folder), run/NAME.pid, ethereum/geth/ (the
development chain, kept across down/up like the ledger), issuers/issuerN/data, verifiers/verifierN/data.
Binaries from $NYM_BIN (default build/release/bin); CometBFT and geth as tools/install-deps.sh installs
them. Environment: LOCALNET_TIMEOUT (seconds to wait for a component, 60), LOCALNET_LOG_LEVEL (info)."""

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
HOST = "127.0.0.1"
CHAIN_ID = "nym-localnet"
PIPE_ACCOUNT = "0x00000000000000000000000000000000000c0ffe"
ATTRIBUTES, SIGNERS, THRESHOLD = 5, 5, 3
ISSUERS = 3  # of the SIGNERS keys dealt, as many issuers run
WATCHERS = 2
VERIFIERS = 2
PROVIDERS = 2
WATCHER_THRESHOLD = 2
VERIFIER_THRESHOLD = 2
CLIENT_GENESIS_BALANCE = 0  # nymclient pipes its tokens in from Ethereum (the [ethereum] section)
# (p2p, rpc, abci) of node0..3 on the host: docker ps's mappings; the ABCI ports stay inside a container there.
NODE_PORTS = [(26656, 26657, 26658), (26659, 26660, 26665), (26661, 26662, 26666), (26663, 26664, 26667)]
GETH_PORT = 8545
ISSUER_BASE_PORT = 4000
PROVIDER_BASE_PORT = 4100
CONTAINER_HTTP_PORT = 4000  # issuers and providers listen on 4000 inside their containers
MIXNET_BASE_PORT = 21000
MIXNODES = ["mix-1a", "mix-1b", "mix-2a", "mix-2b", "mix-3a", "mix-3b"]
GATEWAYS = ["gateway-1", "gateway-2"]
MIX_CLIENTS = ["alice", "bob"]
# SOCKS through the mixnet (tools/localnet.sh starts them after the clients): the test web server,
# nym-network-requester (allowing only that server) and nym-socks5-client.
SOCKS_PARTS = ["www", "requester", "socks5"]
TIMEOUT = float(os.environ.get("LOCALNET_TIMEOUT", "60"))
LOG_LEVEL = os.environ.get("LOCALNET_LOG_LEVEL", "info")


def die(message):
    print(f"localnet: {message}", file=sys.stderr)
    sys.exit(1)


def load_validators_module():
    sys.dont_write_bytecode = True  # no __pycache__ beside the tools
    spec = importlib.util.spec_from_file_location("nym_validators", TOOLS / "validators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


V = load_validators_module()


def nym_bin_dir():
    return Path(os.environ.get("NYM_BIN", ROOT / "build" / "release" / "bin")).resolve()


def nym_bin(name):
    path = nym_bin_dir() / name
    if not os.access(path, os.X_OK):
        die(f"missing {path} (build the release preset: cmake --preset release && "
            f"cmake --build --preset release --target apps; or set NYM_BIN to a build's bin/ folder)")
    return str(path)


def tool_path(name, env, version_key):
    if os.environ.get(env):
        path = Path(os.environ[env])
    else:
        version = None
        for line in (TOOLS / "versions.env").read_text().splitlines():
            if line.startswith(f"{version_key}="):
                version = line.split("=", 1)[1].strip()
        tools = Path(os.environ.get("NYM_TOOLS_DIR", Path.home() / ".cache" / "nym-cpp" / "tools"))
        path = tools / f"{name}-{version}" / name
    if not os.access(path, os.X_OK):
        die(f"missing {path} (run tools/install-deps.sh, or set {env})")
    return str(path)


def geth_bin():
    return tool_path("geth", "NYM_GETH", "GETH_VERSION")


def token_artifact():
    path = nym_bin_dir().parent / "contracts" / "NymToken.json"
    if not path.exists():
        die(f"missing {path} (the apps target builds it)")
    return str(path)


def run(argv, what, **kwargs):
    out = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        die(f"{what} failed: {(out.stderr or out.stdout).strip()}")
    return out.stdout


def write_text(path, text, secret=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600 if secret else 0o644)
    os.replace(tmp, path)


def q(s):
    return json.dumps(s)


def toml_list(items):
    return "[" + ", ".join(q(i) for i in items) + "]"


# ---- Ethereum addresses: the token's address is known before it is deployed ----------------------


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original padding, not SHA3-256's)."""
    rc = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
          0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
          0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
          0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
          0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
    rot = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
    mask = (1 << 64) - 1
    rate = 136
    msg = bytearray(data) + b"\x01"
    msg += b"\x00" * (-len(msg) % rate)
    msg[-1] |= 0x80
    s = [0] * 25
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            s[i] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        for r in rc:
            c = [s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20] for x in range(5)]
            d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & mask) for x in range(5)]
            s = [s[i] ^ d[i % 5] for i in range(25)]
            b = [0] * 25
            for x in range(5):
                for y in range(5):
                    n, v = rot[x + 5 * y], s[x + 5 * y]
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = ((v << n) | (v >> (64 - n))) & mask if n else v
            s = [b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)]) for i in range(25)]
            s[0] ^= r
    return b"".join(s[i].to_bytes(8, "little") for i in range(4))


def first_contract_address(deployer_hex):
    """The address of the first contract an account creates (nonce 0): keccak(rlp([sender, 0]))[12:].
    The token is deployed by a fresh deployer key on a fresh chain, so this is its address."""
    sender = bytes.fromhex(deployer_hex[2:] if deployer_hex.startswith("0x") else deployer_hex)
    return "0x" + keccak256(bytes([0xC0 + 22, 0x80 + 20]) + sender + b"\x80")[12:].hex()


# ---- the plan: every component, its ports and its addresses ------------------------------------------


def plan(out, client_dir, docker, issuer_count=None):
    """Where everything listens, as the host sees it (`host`) and as the services' configs name it
    (`service`: loopback, or docker-compose's service names and container ports)."""
    nodes = []
    for k, (p2p, rpc, abci) in enumerate(NODE_PORTS):
        nodes.append({"name": f"node{k}", "p2p_port": p2p, "rpc_port": rpc, "abci_port": abci,
                      "rpc": f"http://{HOST}:{rpc}",
                      "service_rpc": f"http://node{k}:26657" if docker else f"http://{HOST}:{rpc}"})
    issuers = [{"name": f"issuer{i}", "port": ISSUER_BASE_PORT + i - 1, "url": f"http://{HOST}:{ISSUER_BASE_PORT + i - 1}"}
               for i in range(1, (issuer_count or ISSUERS) + 1)]
    providers = [{"name": f"provider{i}", "port": PROVIDER_BASE_PORT + i - 1,
                  "url": f"http://{HOST}:{PROVIDER_BASE_PORT + i - 1}"} for i in range(1, PROVIDERS + 1)]
    return {
        "out": str(out), "client_dir": str(client_dir), "docker": docker, "chain_id": CHAIN_ID,
        "pipe_account": PIPE_ACCOUNT,
        "ethereum": {"port": GETH_PORT, "url": f"http://{HOST}:{GETH_PORT}",
                     "service_url": "http://ethereum:8545" if docker else f"http://{HOST}:{GETH_PORT}",
                     "confirmations": 2},
        "nodes": nodes, "issuers": issuers, "providers": providers,
        "verifiers": [f"verifier{i}" for i in range(1, VERIFIERS + 1)],
        "watchers": [f"watcher{i}" for i in range(1, WATCHERS + 1)],
        "mixnet": {"base_port": MIXNET_BASE_PORT, "directory": f"http://{HOST}:{MIXNET_BASE_PORT}",
                   "mixnodes": MIXNODES, "gateways": GATEWAYS, "clients": MIX_CLIENTS},
    }


def ledger_section(p):
    nodes = [n["service_rpc"] for n in p["nodes"]]
    return f"[ledger]\n# CometBFT RPC of the validators, tried in turn\nnodes = {toml_list(nodes)}\n" \
           f"chain_id = {q(p['chain_id'])}\npoll_interval_ms = 100\n"


def vk_name(i):
    return f"threshold-verificationKey-id={i}-attrs={ATTRIBUTES}-n={SIGNERS}-t={THRESHOLD}.pem"


def sk_name(i):
    return f"threshold-secretKey-id={i}-attrs={ATTRIBUTES}-n={SIGNERS}-t={THRESHOLD}.pem"


def holds_keys(folder):
    folder = Path(folder)
    return folder.exists() and any(
        f.is_file() and (f.suffix in (".key", ".pem") or f.name in ("node_key.json", "priv_validator_key.json"))
        for f in folder.rglob("*"))


BUILT = ["ethereum-watchers", "issuers", "nodes", "providers", "verifiers", "ethereum", "ledger", "mixnet",
         "localnet.json", "logs", "run"]


def cmd_build(args):
    out = Path(args.out).resolve()
    client_dir = Path(args.client_dir).resolve()
    if (out / "localnet.json").exists() and running_components(load(out)):
        die(f"the network in {out} is running (stop it first: localnet.py down --out {args.out})")
    with_keys = [str(out / d) for d in BUILT if holds_keys(out / d)]
    if holds_keys(client_dir):
        with_keys.append(str(client_dir))
    if with_keys:
        if not args.force:
            die(f"keys exist in {', '.join(with_keys)}: not overwriting them (--force replaces the whole "
                f"network: new keys, a new chain)")
        for d in BUILT:
            target = out / d
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        for f in ("config.toml", "clientAccount.key", "wallet.json"):
            (client_dir / f).unlink(missing_ok=True)
    t0 = time.monotonic()
    if not THRESHOLD <= args.issuers <= SIGNERS:
        die(f"--issuers takes {THRESHOLD}..{SIGNERS} (the key set is {THRESHOLD}-of-{SIGNERS})")
    p = plan(out, client_dir, args.docker, args.issuers)
    out.mkdir(parents=True, exist_ok=True)

    # Issuers: a trusted dealer's 3-of-5 key set; issuers 1..3 run, every holder of issuerKeys/ gets all 5.
    with tempfile.TemporaryDirectory(prefix="nym-coconut-keys-") as tmp:
        run([nym_bin("nym-coconut-keygen"), "--attributes", str(ATTRIBUTES), "-n", str(SIGNERS), "-t",
             str(THRESHOLD), "--out", tmp], "nym-coconut-keygen")
        all_vks = Path(tmp) / "issuerKeys"
        for i, issuer in enumerate(p["issuers"], start=1):
            d = out / "issuers" / issuer["name"]
            (d / "coconutkeys").mkdir(parents=True)
            for name, secret in ((sk_name(i), True), (vk_name(i), False)):
                write_text(d / "coconutkeys" / name, (Path(tmp) / f"issuer-{i}" / "coconutkeys" / name).read_text(),
                           secret)
            listen = ("0.0.0.0", CONTAINER_HTTP_PORT) if args.docker else (HOST, issuer["port"])
            write_text(d / "config.toml", f"""# nym-issuer -f {d}/config.toml  (docs/protocol/credentials.md §3)
[issuer]
listen_host = {q(listen[0])}
listen_port = {listen[1]}
secret_key = {q("coconutkeys/" + sk_name(i))}
verification_key = {q("coconutkeys/" + vk_name(i))}
data_dir = "data"
workers = 1

{ledger_section(p)}""")
        for role, names, key in (("verifiers", p["verifiers"], "verifier.key"),
                                 ("providers", [x["name"] for x in p["providers"]], "provider.key")):
            for name in names:
                d = out / role / name / "issuerKeys"
                d.mkdir(parents=True)
                for i in range(1, SIGNERS + 1):
                    write_text(d / vk_name(i), (all_vks / vk_name(i)).read_text())
        vk_folder = out / "providers" / "provider1" / "issuerKeys"

        # The Ethereum side: the deployer's key fixes the token's address; watchers' keys and configs.
        eth = out / "ethereum"
        eth.mkdir()
        deployer = run([nym_bin("nym-eth-pipe"), "keygen", "--out", str(eth / "deployer.key")],
                       "nym-eth-pipe keygen").strip().split()[-1]
        token = first_contract_address(deployer)
        p["ethereum"].update({"token": token, "deployer": deployer, "start_block": 0})
        for name in p["watchers"]:
            d = out / "ethereum-watchers" / name
            run([nym_bin("nym-ethereum-watcher"), "init", "--dir", str(d), "--ethereum", p["ethereum"]["service_url"],
                 "--token", token, "--pipe", PIPE_ACCOUNT, "--chain-id", CHAIN_ID,
                 "--confirmations", str(p["ethereum"]["confirmations"]), "--start-block", "0", "--poll-ms", "250",
                 *[a for n in p["nodes"] for a in ("--validator", n["service_rpc"])]], f"nym-ethereum-watcher init {name}")

        # The ledger: 4 validators whose genesis lists the issuers' keys, the watchers and verifiers,
        # with the accounts' keys where the services read them.
        accounts = [f"{w}={out / 'ethereum-watchers' / w / 'watcher.key'}" for w in p["watchers"]]
        accounts += [f"{v}={out / 'verifiers' / v / 'accountKey' / 'verifier.key'}" for v in p["verifiers"]]
        accounts += [f"{x['name']}={out / 'providers' / x['name'] / 'accountKey' / 'provider.key'}"
                     for x in p["providers"]]
        accounts.append(f"localclient={client_dir / 'clientAccount.key'}")
        argv = [sys.executable, str(TOOLS / "validators.py"), "--dir", str(out / "ledger"), "build",
                "--nodes-dir", str(out / "nodes"),
                "--node-ports", ",".join(":".join(map(str, t)) for t in NODE_PORTS),
                "--chain-id", CHAIN_ID, "--issuer-keys", str(vk_folder), "--issuer-threshold", str(THRESHOLD),
                "--watchers", str(WATCHERS), "--watcher-threshold", str(WATCHER_THRESHOLD),
                "--verifiers", str(VERIFIERS), "--verifier-threshold", str(VERIFIER_THRESHOLD),
                "--providers", str(PROVIDERS), "--balance", f"localclient={CLIENT_GENESIS_BALANCE}"]
        for a in accounts:
            argv += ["--account", a]
        print(run(argv, "validators.py build").strip().replace("validators:", "localnet: ledger:"))
    network = json.loads((out / "ledger" / "network.json").read_text())
    p["accounts"] = {n: a["address"] for n, a in network["accounts"].items()}
    if args.docker:
        dockerize_nodes(out, network)

    for name in p["verifiers"]:
        d = out / "verifiers" / name
        write_text(d / "config.toml", f"""# nym-verifier -f {d}/config.toml  (docs/protocol/credentials.md §4)
[verifier]
account_key = "accountKey/verifier.key"
issuer_keys = "issuerKeys"
issuer_threshold = {THRESHOLD}
data_dir = "data"
vote_timeout_ms = 30000

{ledger_section(p)}""")
    for x in p["providers"]:
        d = out / "providers" / x["name"]
        listen = ("0.0.0.0", CONTAINER_HTTP_PORT) if args.docker else (HOST, x["port"])
        write_text(d / "config.toml", f"""# nym-provider -f {d}/config.toml  (docs/protocol/credentials.md §5)
[provider]
listen_host = {q(listen[0])}
listen_port = {listen[1]}
account_key = "accountKey/provider.key"
issuer_keys = "issuerKeys"
issuer_threshold = {THRESHOLD}
spend_timeout_ms = 10000
nonce_lifetime_ms = 60000

{ledger_section(p)}""")

    # nymclient: on the host, so loopback ports whether the services run here or in containers.
    provider = p["providers"][0]
    write_text(client_dir / "config.toml", f"""# nymclient -f {client_dir}/config.toml
# (docs/protocol/credentials.md §6): pipe 1 Nym ERC20 token in from Ethereum, buy a credential
# with it from the issuers, spend it at provider1, print the provider's answer (true or false).
[client]
# the account on the ledger and on Ethereum
account_key = "clientAccount.key"
wallet = "wallet.json"
value = 1
issuers = {toml_list(i["url"] for i in p["issuers"])}
issuer_timeout_ms = 3000
fetch_timeout_ms = 30000
provider = {q(provider["url"])}
provider_address = {q(p["accounts"][provider["name"]])}
spend_timeout_ms = 30000

[ledger]
nodes = {toml_list(n["rpc"] for n in p["nodes"])}
chain_id = {q(CHAIN_ID)}
poll_interval_ms = 100

# Piping currency into Nym: the Nym ERC20 token on the development chain
[ethereum]
rpc_url = {q(p["ethereum"]["url"])}
token = {q(token)}
pipe_account = {q(PIPE_ACCOUNT)}
confirmations = {p["ethereum"]["confirmations"]}
""")

    build_mixnet(out, p, args.docker)
    write_text(out / "localnet.json", json.dumps(p, indent=2) + "\n")
    print(f"localnet: built in {time.monotonic() - t0:.1f}s: {out} (nymclient: {client_dir}/config.toml); "
          f"start it: python3 tools/localnet.py up --out {args.out}")


def dockerize_nodes(out, network):
    """Inside docker-compose every node is its own host: CometBFT listens on 0.0.0.0 at its default
    ports, reaches its app inside the container and its peers by service name."""
    for k, n in enumerate(network["nodes"]):
        path = out / "nodes" / n["name"] / "config" / "config.toml"
        conf = path.read_text()
        peers = ",".join(f"{m['node_id']}@{m['name']}:26656" for j, m in enumerate(network["nodes"]) if j != k)
        for section, key, value in [("", "proxy_app", q("tcp://127.0.0.1:26658")),
                                    ("rpc", "laddr", q("tcp://0.0.0.0:26657")),
                                    ("p2p", "laddr", q("tcp://0.0.0.0:26656")),
                                    ("p2p", "persistent_peers", q(peers))]:
            conf = V.set_toml(conf, section, key, value)
        path.write_text(conf)


def build_mixnet(out, p, docker):
    """Keys and configs of the mix nodes and gateways, where tools/localnet.sh looks for them; the
    clients register at a running gateway, so `up` creates them the first time."""
    m = out / "mixnet"
    nodes = m / "nodes"
    base = p["mixnet"]["base_port"]
    directory = "http://directory:%d" % base if docker else p["mixnet"]["directory"]
    for i, name in enumerate(MIXNODES):
        host = ["--host", "0.0.0.0", "--announce-host", name] if docker else ["--host", HOST]
        run([nym_bin("nym-mixnode"), "init", "--id", name, "--layer", name[4], *host, "--port", str(base + 1 + i),
             "--directory", directory, "--root", str(nodes / "mixnodes")], f"nym-mixnode init {name}")
    for i, name in enumerate(GATEWAYS, start=1):
        text = run([nym_bin("nym-gateway"), "init", "--id", name, "--host", name if docker else HOST,
                    "--mix-port", str(base + 10 + i), "--clients-port", str(base + 20 + i), "--directory", directory,
                    "--root", str(nodes / "gateways")], f"nym-gateway init {name}")
        identity = [line.split()[-1] for line in text.splitlines() if "identity key (ed25519):" in line]
        if not identity:
            die(f"nym-gateway init {name} printed no identity key")
        write_text(nodes / "gateways" / f"{name}.identity", identity[0] + "\n")
    write_text(m / "base-port", f"{base}\n")


# ---- processes ------------------------------------------------------------------------------------


def load(out):
    path = Path(out) / "localnet.json"
    if not path.exists():
        die(f"no network in {out} (build it: make localnet-build, or python3 tools/localnet.py build --out {out})")
    p = json.loads(path.read_text())
    p["out"] = str(Path(out).resolve())
    return p


def logs_dir(p):
    return Path(p["out"]) / "logs"


def run_dir(p):
    return Path(p["out"]) / "run"


def alive(pid):
    try:
        return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def pid_of(pidfile, marker):
    """The pid in pidfile if that process lives and its command line names `marker` (a pid file
    left by a crash may name a recycled pid; we never signal a process that is not ours)."""
    try:
        pid = int(Path(pidfile).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if alive(pid) and marker.encode() in cmdline else None


def services(p):
    """(name, kind, argv, marker) of the processes this tool starts itself, in start order (the
    binaries are checked by `up`; status and down need none)."""
    out = Path(p["out"])
    b = nym_bin_dir()
    s = []
    for w in p["watchers"]:
        d = out / "ethereum-watchers" / w
        s.append((w, "watcher", [str(b / "nym-ethereum-watcher"), "run", "--dir", str(d), "--log-level", LOG_LEVEL],
                  str(d)))
    for x in p["issuers"]:
        c = out / "issuers" / x["name"] / "config.toml"
        s.append((x["name"], "issuer", [str(b / "nym-issuer"), "-f", str(c), "--log-level", LOG_LEVEL], str(c)))
    for v in p["verifiers"]:
        c = out / "verifiers" / v / "config.toml"
        s.append((v, "verifier", [str(b / "nym-verifier"), "-f", str(c), "--log-level", LOG_LEVEL], str(c)))
    for x in p["providers"]:
        c = out / "providers" / x["name"] / "config.toml"
        s.append((x["name"], "provider", [str(b / "nym-provider"), "-f", str(c), "--log-level", LOG_LEVEL], str(c)))
    return s


def geth_marker(p):
    return str(Path(p["out"]) / "ethereum" / "geth")


def ledger(p):
    return V.load(Path(p["out"]) / "ledger")


def mixnet_pid(p, name):
    """The pid of a mixnet component from tools/localnet.sh's run/ folder, if it runs that binary."""
    binary = ("nym-directory" if name == "directory" else "nym-mixnode" if name.startswith("mix-") else
              "nym-gateway" if name.startswith("gateway-") else "python3" if name == "www" else
              "nym-network-requester" if name == "requester" else "nym-socks5-client" if name == "socks5" else
              "nym-client")
    try:
        pid = int((Path(p["out"]) / "mixnet" / "run" / f"{name}.pid").read_text().strip())
        exe = os.readlink(f"/proc/{pid}/exe")
    except (OSError, ValueError):
        return None
    return pid if alive(pid) and os.path.basename(exe).startswith(binary) else None


def running_components(p):
    names = []
    if pid_of(run_dir(p) / "geth.pid", geth_marker(p)):
        names.append("geth")
    for name, _, _, marker in services(p):
        if pid_of(run_dir(p) / f"{name}.pid", marker):
            names.append(name)
    if (Path(p["out"]) / "ledger" / "network.json").exists():
        names += [n for n, _ in V.running(ledger(p))]
    names += [n for n in ["directory", *MIXNODES, *GATEWAYS, *MIX_CLIENTS, *SOCKS_PARTS] if mixnet_pid(p, n)]
    return names


def launch(p, name, argv):
    logs_dir(p).mkdir(parents=True, exist_ok=True)
    run_dir(p).mkdir(parents=True, exist_ok=True)
    log = open(logs_dir(p) / f"{name}.log", "ab")
    log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} starting: {' '.join(argv)}\n".encode())
    log.flush()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    (run_dir(p) / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc


def log_size(p, name):
    path = logs_dir(p) / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def wait_line(p, name, proc, offset, needle, deadline):
    path = logs_dir(p) / f"{name}.log"
    while True:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        for line in text.splitlines():
            if needle in line:
                return line
        if proc.poll() is not None:
            tail = "\n".join(path.read_text(errors="replace").splitlines()[-12:])
            raise StartError(f"{name} exited during start-up; last lines of {path}:\n{tail}")
        if time.monotonic() > deadline:
            raise StartError(f"{name} did not print '{needle}' within {TIMEOUT:.0f}s; see {path}")
        time.sleep(0.05)


class StartError(Exception):
    pass


def http_json(url, body=None, timeout=2.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def eth_call(p, method, params):
    body = http_json(p["ethereum"]["url"], {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def start_ethereum(p, deadline):
    """geth --dev on its data folder (the chain goes on across down/up); at the first start the token
    is deployed where the configs expect it and the client's account is funded."""
    out = Path(p["out"])
    proc = launch(p, "geth", [geth_bin(), "--dev", "--dev.period", "1", "--datadir", geth_marker(p), "--http",
                              "--http.addr", HOST, "--http.port", str(p["ethereum"]["port"]), "--http.api",
                              "eth,net,web3", "--port", "0", "--nodiscover", "--maxpeers", "0", "--authrpc.port", "0",
                              "--ipcdisable", "--verbosity", "2"])
    while True:
        try:
            eth_call(p, "eth_blockNumber", [])
            break
        except (OSError, ValueError, RuntimeError):
            if proc.poll() is not None:
                raise StartError(f"geth exited during start-up; see {logs_dir(p)}/geth.log")
            if time.monotonic() > deadline:
                raise StartError(f"geth did not answer JSON-RPC within {TIMEOUT:.0f}s; see {logs_dir(p)}/geth.log")
            time.sleep(0.1)
    token = p["ethereum"]["token"]
    if eth_call(p, "eth_getCode", [token, "latest"]) in ("0x", "0x0", ""):
        client_key = Path(p["client_dir"]) / "clientAccount.key"
        client = run([nym_bin("nym-eth-pipe"), "address", "--key", str(client_key)], "nym-eth-pipe address").strip()
        text = run([nym_bin("nym-eth-pipe"), "dev-setup", "--ethereum", p["ethereum"]["url"], "--deployer-key",
                    str(out / "ethereum" / "deployer.key"), "--artifact", token_artifact(), "--fund", client],
                   "nym-eth-pipe dev-setup")
        deployed = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        if deployed.get("token", "").lower() != token.lower():
            raise StartError(f"the token was deployed at {deployed.get('token')}, not at {token} as the configs say "
                             f"(a chain in {geth_marker(p)} that is not the one built with them? rebuild with --force)")
        return f"token {token} deployed; the client's account {client} funded"
    return f"token {token} already deployed"


def start_ledger(p):
    env = dict(os.environ, VALIDATORS_LOG_DIR=str(logs_dir(p)), VALIDATORS_LOG_LEVEL=LOG_LEVEL,
               VALIDATORS_TIMEOUT=str(int(TIMEOUT)))
    r = subprocess.run([sys.executable, str(TOOLS / "validators.py"), "--dir", str(Path(p["out"]) / "ledger"), "start"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise StartError((r.stderr or r.stdout).strip())
    return r.stdout.strip().replace("validators: ", "")


def start_mixnet(p):
    # LOCALNET_COMETBFT_RPC: the directory's dashboard (/dashboard/) shows node0's validator network;
    # LOCALNET_ISSUERS, LOCALNET_PROVIDERS: and the health of the issuers and providers (the directory
    # polls them, so they may come up after it).
    env = dict(os.environ, LOCALNET_LOG_DIR=str(logs_dir(p)), LOCALNET_TIMEOUT=str(int(TIMEOUT)),
               LOCALNET_LOG_LEVEL=LOG_LEVEL, NYM_BIN=str(nym_bin_dir()), LOCALNET_COMETBFT_RPC=p["nodes"][0]["rpc"],
               LOCALNET_ISSUERS=" ".join(x["url"] for x in p["issuers"]),
               LOCALNET_PROVIDERS=" ".join(x["url"] for x in p["providers"]))
    r = subprocess.run(["bash", str(TOOLS / "localnet.sh"), "start", "--only", "mixnet", "--dir",
                        str(Path(p["out"]) / "mixnet"), "--base-port", str(p["mixnet"]["base_port"])],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise StartError((r.stderr or r.stdout).strip())
    return "directory, 6 mix nodes, 2 gateways, alice and bob, SOCKS (www, requester, socks5)"


def in_thread(fn, *args):
    result = {}

    def body():
        try:
            result["ok"] = fn(*args)
        except StartError as e:
            result["error"] = str(e)
        except SystemExit:
            result["error"] = "failed (see above)"
    t = threading.Thread(target=body)
    t.start()
    return t, result


def cmd_up(args):
    p = load(args.out)
    if up := running_components(p):
        die(f"already running in {p['out']}: {', '.join(up)} (stop it first: localnet.py down)")
    for b in ("nym-validator", "nym-issuer", "nym-verifier", "nym-provider", "nym-ethereum-watcher", "nym-directory",
              "nym-mixnode", "nym-gateway", "nym-client", "nym-eth-pipe"):
        nym_bin(b)
    geth_bin()
    busy = [f"{what} {port}" for what, port in all_ports(p) if not V.port_free(port)]
    if busy:
        die(f"ports in use: {', '.join(busy)} (another network? `localnet.py down --out DIR` stops one)")
    t0 = time.monotonic()
    deadline = t0 + TIMEOUT

    def step(what, t_start):
        print(f"localnet: {what} ({time.monotonic() - t_start:.1f}s; {time.monotonic() - t0:.1f}s since up)",
              flush=True)
    parts = {}
    try:
        # Three independent parts side by side: the Ethereum chain, the validators, the mixnet.
        parts = {"ethereum": in_thread(start_ethereum, p, deadline), "ledger": in_thread(start_ledger, p),
                 "mixnet": in_thread(start_mixnet, p)}
        for name in ("ethereum", "ledger"):
            thread, result = parts[name]
            thread.join()
            if "error" in result:
                raise StartError(f"{name}: {result['error']}")
            step(f"{name} up: {result['ok']}", t0)
        # The services that need both chains, each waited for until it says it is ready.
        t1 = time.monotonic()
        ready = {"watcher": "following", "issuer": "listening on", "verifier": "following", "provider": "listening on"}
        procs = {}
        for name, kind, argv, _ in services(p):
            offset = log_size(p, name)
            procs[name] = (kind, launch(p, name, argv), offset)
        for name, (kind, proc, offset) in procs.items():
            wait_line(p, name, proc, offset, ready[kind], time.monotonic() + TIMEOUT)
        for x in p["issuers"]:
            http_json(f"{x['url']}/api/status")
        for x in p["providers"]:
            http_json(f"{x['url']}/api/info")
        step(f"{len(p['watchers'])} watchers, {len(p['issuers'])} issuers, {len(p['verifiers'])} verifiers, "
             f"{len(p['providers'])} providers up", t1)
        thread, result = parts["mixnet"]
        thread.join()
        if "error" in result:
            raise StartError(f"mixnet: {result['error']}")
        step(f"mixnet up: {result['ok']}", t0)
    except (StartError, OSError, urllib.error.URLError) as e:
        print(f"localnet: up failed: {e}", file=sys.stderr)
        print("localnet: stopping what was started", file=sys.stderr)
        for thread, _ in parts.values():
            thread.join()
        down(p, quiet=True)
        sys.exit(1)
    print(f"localnet: everything up in {time.monotonic() - t0:.1f}s; status: python3 tools/localnet.py status "
          f"--out {args.out}; the first credential: {nym_bin_dir() / 'nymclient'} -f {p['client_dir']}/config.toml")


def all_ports(p):
    """(component, port) of every listening port of the network on the host."""
    out = [("geth", p["ethereum"]["port"])]
    for n in p["nodes"]:
        out += [(n["name"], n["p2p_port"]), (n["name"], n["rpc_port"]), (n["name"], n["abci_port"])]
    out += [(x["name"], x["port"]) for x in p["issuers"] + p["providers"]]
    base = p["mixnet"]["base_port"]
    out += [("directory", base)] + [(n, base + 1 + i) for i, n in enumerate(MIXNODES)]
    out += [(g, base + 10 + i) for i, g in enumerate(GATEWAYS, 1)] + [(g, base + 20 + i) for i, g in enumerate(GATEWAYS, 1)]
    out += [("alice", base + 31), ("bob", base + 32), ("www", base + 40), ("socks5", base + 41)]
    return out


def stop_pids(targets, grace=10.0):
    for _, pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    left = list(targets)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [(n, pid) for n, pid in left if alive(pid)]
    for name, pid in left:
        print(f"localnet: {name} ignored SIGTERM, sending SIGKILL", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def down(p, quiet=False):
    out = Path(p["out"])
    stopped = 0
    if (out / "mixnet" / "base-port").exists():
        before = len([n for n in ["directory", *MIXNODES, *GATEWAYS, *MIX_CLIENTS, *SOCKS_PARTS] if mixnet_pid(p, n)])
        subprocess.run(["bash", str(TOOLS / "localnet.sh"), "stop", "--dir", str(out / "mixnet")],
                       capture_output=True, text=True, env=dict(os.environ, LOCALNET_LOG_DIR=str(logs_dir(p))))
        stopped += before
    targets = [(name, pid) for name, _, _, marker in reversed(services(p))
               if (pid := pid_of(run_dir(p) / f"{name}.pid", marker))]
    stop_pids(targets)
    stopped += len(targets)
    if (out / "ledger" / "network.json").exists():
        m = ledger(p)
        stopped += len(V.running(m))
        V.stop(m, quiet=True)
    if pid := pid_of(run_dir(p) / "geth.pid", geth_marker(p)):
        stop_pids([("geth", pid)])
        stopped += 1
    for f in run_dir(p).glob("*.pid") if run_dir(p).exists() else []:
        f.unlink()
    if not quiet:
        print(f"localnet: stopped {stopped} process(es) in {out}" if stopped else f"localnet: nothing running in {out}")


def cmd_down(args):
    if not (Path(args.out) / "localnet.json").exists():
        print(f"localnet: nothing built in {Path(args.out).resolve()}")
        return 0
    down(load(args.out))
    return 0


def rows(p):
    """One row per component: name, kind, pid, ports, health, detail."""
    out = Path(p["out"])
    table = []
    pid = pid_of(run_dir(p) / "geth.pid", geth_marker(p))
    detail, health = "", "down"
    if pid:
        try:
            detail, health = f"block {int(eth_call(p, 'eth_blockNumber', []), 16)}", "ok"
        except (OSError, ValueError, RuntimeError, urllib.error.URLError):
            health = "no answer"
    table.append(("geth", "ethereum", pid, str(p["ethereum"]["port"]), health, detail))
    if (out / "ledger" / "network.json").exists():
        m = ledger(p)
        for n in m["nodes"]:
            node_pid = V.live_pid(m, n["name"], n["home"])
            app_pid = V.live_pid(m, n["app"], n["ledger_dir"])
            s = V.node_status(n) if node_pid else None
            health = "ok" if node_pid and app_pid and s else ("no answer" if node_pid else "down")
            if node_pid and not app_pid:
                health = "app down"
            table.append((n["name"], "validator", node_pid, f"{n['p2p_port']}/{n['rpc_port']}/{n['abci_port']}",
                          health, f"height {s[0]}, app {app_pid}" if s else (f"app {app_pid}" if app_pid else "")))
    ports = {x["name"]: str(x["port"]) for x in p["issuers"] + p["providers"]}
    urls = {x["name"]: x["url"] for x in p["issuers"] + p["providers"]}
    for name, kind, _, marker in services(p):
        pid = pid_of(run_dir(p) / f"{name}.pid", marker)
        health, detail = ("ok" if pid else "down"), ""
        if pid and kind == "issuer":
            try:
                st = http_json(f"{urls[name]}/api/status")
                detail = f"processed height {st['processed_height']}, issued {st['issued']}"
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                health = "no answer"
        elif pid and kind == "provider":
            try:
                detail = f"address {http_json(f'{urls[name]}/api/info')['address']}"
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                health = "no answer"
        elif kind == "verifier":
            progress = out / "verifiers" / name / "data" / "progress"
            if progress.exists():
                detail = f"finished height {progress.read_text().strip()}"
        elif kind == "watcher":
            progress = out / "ethereum-watchers" / name / "progress.toml"
            last = [line.split("=", 1)[1].strip() for line in progress.read_text().splitlines()
                    if line.startswith("last_block")] if progress.exists() else []
            if last:
                detail = f"Ethereum block {last[0]} processed"
        table.append((name, kind, pid, ports.get(name, "-"), health, detail))
    base = p["mixnet"]["base_port"]
    mix_ports = {"directory": base, **{n: base + 1 + i for i, n in enumerate(MIXNODES)},
                 "gateway-1": f"{base + 11}/{base + 21}", "gateway-2": f"{base + 12}/{base + 22}",
                 "alice": base + 31, "bob": base + 32, "www": base + 40, "requester": "-", "socks5": base + 41}
    topology = None
    for name in ["directory", *MIXNODES, *GATEWAYS, *MIX_CLIENTS, *SOCKS_PARTS]:
        pid = mixnet_pid(p, name)
        health, detail = ("ok" if pid else "down"), ""
        if name == "directory" and pid:
            try:
                topology = http_json(f"{p['mixnet']['directory']}/api/presence/topology")
                detail = (f"topology: {len(topology.get('MixNodes') or [])} mix nodes, "
                          f"{len(topology.get('MixProviderNodes') or [])} gateways")
            except (OSError, ValueError, urllib.error.URLError):
                health = "no answer"
        kind = "directory" if name == "directory" else ("mixnode" if name.startswith("mix") else
                                                        ("gateway" if name.startswith("gateway") else
                                                         name if name in SOCKS_PARTS else "client"))
        table.append((name, kind, pid, str(mix_ports[name]), health, detail))
    return table


def cmd_status(args):
    p = load(args.out)
    table = rows(p)
    healthy = sum(1 for r in table if r[4] == "ok")
    if args.json:
        print(json.dumps({"components": [dict(zip(("name", "kind", "pid", "ports", "health", "detail"), r))
                                         for r in table], "healthy": healthy, "total": len(table)}, indent=2))
    else:
        header = ("name", "kind", "pid", "ports", "health", "detail")
        text = [header] + [(r[0], r[1], str(r[2] or "-"), r[3], r[4], r[5]) for r in table]
        widths = [max(len(r[i]) for r in text) for i in range(len(header))]
        for r in text:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        print(f"{healthy} of {len(table)} components healthy; logs in {logs_dir(p)}/ (localnet.py logs NAME)")
    return 0 if healthy == len(table) else 1


def component_names(p):
    names = ["geth"] + [n["name"] for n in p["nodes"]] + [f"app{k}" for k in range(len(p["nodes"]))]
    names += [s[0] for s in services(p)]
    return names + ["directory", *MIXNODES, *GATEWAYS, *MIX_CLIENTS, *SOCKS_PARTS]


def cmd_logs(args):
    p = load(args.out)
    if args.name not in component_names(p):
        die(f"no component '{args.name}' (one of {', '.join(component_names(p))})")
    path = logs_dir(p) / f"{args.name}.log"
    if not path.exists():
        die(f"no log yet: {path}")
    argv = ["tail", "-n", str(args.lines)] + ([] if args.no_follow else ["-F"]) + [str(path)]
    os.execvp("tail", argv)


def cmd_stop(args):
    """One component, for fault drills: SIGTERM (or --signal KILL) to its process."""
    p = load(args.out)
    sig = getattr(signal, f"SIG{args.signal.upper().removeprefix('SIG')}", None)
    if sig is None:
        die(f"unknown signal {args.signal}")
    pid = None
    if args.name == "geth":
        pid = pid_of(run_dir(p) / "geth.pid", geth_marker(p))
    elif args.name in [n["name"] for n in p["nodes"]] or args.name.startswith("app"):
        m = ledger(p)
        for n in m["nodes"]:
            if args.name == n["name"]:
                pid = V.live_pid(m, n["name"], n["home"])
            elif args.name == n["app"]:
                pid = V.live_pid(m, n["app"], n["ledger_dir"])
    elif args.name in ["directory", *MIXNODES, *GATEWAYS, *MIX_CLIENTS, *SOCKS_PARTS]:
        pid = mixnet_pid(p, args.name)
    else:
        for name, _, _, marker in services(p):
            if name == args.name:
                pid = pid_of(run_dir(p) / f"{name}.pid", marker)
        if args.name not in component_names(p):
            die(f"no component '{args.name}' (one of {', '.join(component_names(p))})")
    if not pid:
        die(f"{args.name} is not running")
    os.kill(pid, sig)
    print(f"localnet: sent {sig.name} to {args.name} (pid {pid})")
    return 0


def balances(p):
    """The client's Nym ERC20 tokens on Ethereum, its ledger balance and each provider's."""
    m = ledger(p)
    client = p["accounts"]["localclient"]
    word = client[2:].lower().rjust(64, "0")
    raw = eth_call(p, "eth_call", [{"to": p["ethereum"]["token"], "data": "0x70a08231" + word}, "latest"])
    units = int(raw, 16) if raw not in ("0x", "") else 0
    out = {"client": client, "client_tokens_on_ethereum": units // 10**18 if units % 10**18 == 0 else units / 10**18}

    def ledger_balance(address):
        code, log, value = V.abci_query(m, "/balance", address[2:])
        if code:
            raise RuntimeError(f"/balance: {log}")
        return int(json.loads(value)["balance"])
    out["client_on_ledger"] = ledger_balance(client)
    for x in p["providers"]:
        out[f"{x['name']}_on_ledger"] = ledger_balance(p["accounts"][x["name"]])
    return out


def cmd_balances(args):
    p = load(args.out)
    print(json.dumps(balances(p), indent=2))
    return 0


def cmd_zeta(args):
    p = load(args.out)
    code, log, value = V.abci_query(ledger(p), "/zeta", args.zeta.removeprefix("0x"))
    if code:
        die(f"/zeta: code {code}: {log}")
    print(value)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build", help="the network's folder (default ./build)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the configuration tree and every key")
    b.add_argument("--client-dir", default="localnetdata/localclient", help="nymclient's folder")
    b.add_argument("--docker", action="store_true", help="services name each other as docker-compose.yml does")
    b.add_argument("--force", action="store_true", help="replace an existing network (new keys, a new chain)")
    b.add_argument("--issuers", type=int, default=ISSUERS,
                   help=f"issuers that run, of the {SIGNERS} keys dealt (default {ISSUERS}, as the documents show; "
                        f"with {ISSUERS} and t = {THRESHOLD} every issuer is needed, more tolerate issuers down)")
    sub.add_parser("up", help="start everything in dependency order, with health checks")
    sub.add_parser("down", help="stop everything")
    st = sub.add_parser("status", help="one row per component; exit 1 unless all are healthy")
    st.add_argument("--json", action="store_true")
    lg = sub.add_parser("logs", help="follow one component's log")
    lg.add_argument("name")
    lg.add_argument("-n", "--lines", type=int, default=40)
    lg.add_argument("--no-follow", action="store_true")
    sub.add_parser("balances", help="the client's tokens on Ethereum and on the ledger, the providers' (JSON)")
    zp = sub.add_parser("zeta", help="the ledger's record of a credential's zeta (JSON)")
    zp.add_argument("zeta")
    sp = sub.add_parser("stop", help="stop one component (fault drills)")
    sp.add_argument("name")
    sp.add_argument("--signal", default="TERM")
    for p in sub.choices.values():
        p.add_argument("--out", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    commands = {"build": cmd_build, "up": cmd_up, "down": cmd_down, "status": cmd_status, "logs": cmd_logs,
                "stop": cmd_stop, "balances": cmd_balances, "zeta": cmd_zeta}
    try:
        sys.exit(commands[args.command](args) or 0)
    except (urllib.error.URLError, ConnectionError, TimeoutError, RuntimeError) as e:
        die(f"{e} (is the network up? localnet.py status)")


if __name__ == "__main__":
    main()
