#!/usr/bin/env python3
"""`tools/localnet.py build` (make localnet-build) against the design documents' `tree build/` listing
(localnet_tree.txt beside this file): the same folders and file names, every secret 0600, configs
that point at each other, keys never overwritten without --force. Runs the real binaries
(nym-coconut-keygen, nym-ethereum-watcher, nym-eth-pipe, nym-ledger-tx, nym-mixnode, nym-gateway) and
CometBFT; starts no daemon. Environment: NYM_BIN (the build's bin/), COMETBFT."""

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOOL = ROOT / "tools" / "localnet.py"
SEED_TOP = {"ethereum-watchers", "issuers", "nodes", "providers"}
# What the tree holds beyond the listing, each documented in tools/localnet.py's help.
EXTRA_TOP = {"verifiers", "ethereum", "ledger", "mixnet", "localnet.json"}
SECRET_NAMES = re.compile(r"(\.key|secretKey.*\.pem|private_.*\.pem|node_key\.json|priv_validator_key\.json)$")


def listing_paths(text):
    """Relative paths (folders end in /) of a `tree` listing: 4 columns per level."""
    paths, stack = set(), []
    lines = [line for line in text.splitlines() if "── " in line]
    for i, line in enumerate(lines):
        prefix, name = line.split("── ", 1)
        depth = (len(prefix) - 1) // 4
        stack[depth:] = [name]
        next_depth = (len(lines[i + 1].split("── ", 1)[0]) - 1) // 4 if i + 1 < len(lines) else -1
        is_dir = next_depth > depth or "." not in name or name == "data"
        paths.add("/".join(stack) + ("/" if is_dir else ""))
    return paths


def tree_paths(root, top=None):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        for d in dirnames:
            out.add(str(rel / d) + "/" if str(rel) != "." else d + "/")
        for f in filenames:
            out.add(str(rel / f) if str(rel) != "." else f)
    if top is not None:
        out = {p for p in out if p.split("/", 1)[0] in top}
    return out


class LocalnetBuild(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cometbft = os.environ.get("COMETBFT", "")
        if cometbft and not os.access(cometbft, os.X_OK):
            raise unittest.SkipTest(f"no cometbft at {cometbft} (run tools/install-deps.sh)")
        cls.tmp = tempfile.TemporaryDirectory(prefix="nym-localnet-build-")
        cls.out = Path(cls.tmp.name) / "build"
        cls.client = Path(cls.tmp.name) / "localnetdata" / "localclient"
        r = cls.build()
        if r.returncode != 0:
            raise AssertionError(f"localnet.py build failed:\n{r.stdout}\n{r.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def build(cls, *extra, out=None, client=None):
        return subprocess.run([sys.executable, str(TOOL), "--out", str(out or cls.out), "build", "--client-dir",
                               str(client or cls.client), *extra], capture_output=True, text=True)

    def toml(self, path):
        return tomllib.loads((self.out / path).read_text())

    def test_the_tree_is_the_listing(self):
        expected = listing_paths((HERE / "localnet_tree.txt").read_text())
        self.assertGreater(len(expected), 70)  # the parser read the whole listing
        self.assertIn("nodes/node3/data/priv_validator_state.json", expected)
        self.assertIn("nodes/data/", expected)
        self.assertEqual(tree_paths(self.out, SEED_TOP), expected)
        tops = {p.split("/", 1)[0].rstrip("/") for p in tree_paths(self.out)}
        self.assertEqual(tops, SEED_TOP | EXTRA_TOP)
        # verifiers/ follows providers/ (docs/protocol/credentials.md §4).
        verifiers = {p for p in tree_paths(self.out) if p.startswith("verifiers/")}
        for v in ("verifier1", "verifier2"):
            self.assertIn(f"verifiers/{v}/accountKey/verifier.key", verifiers)
            self.assertIn(f"verifiers/{v}/config.toml", verifiers)
            for i in range(1, 6):
                self.assertIn(f"verifiers/{v}/issuerKeys/threshold-verificationKey-id={i}-attrs=5-n=5-t=3.pem",
                              verifiers)
        self.assertEqual(sorted(p.name for p in self.client.iterdir()), ["clientAccount.key", "config.toml"])

    def test_every_secret_is_0600_and_nothing_else_is_writable_by_others(self):
        secrets = 0
        for path in [*self.out.rglob("*"), *self.client.rglob("*")]:
            if not path.is_file():
                continue
            mode = path.stat().st_mode & 0o777
            self.assertEqual(mode & 0o022, 0, path)
            if SECRET_NAMES.search(path.name):
                secrets += 1
                self.assertEqual(mode, 0o600, path)
        # 2 watchers + 3 issuers + 8 CometBFT + 2 providers + 2 verifiers + deployer + 3 test accounts
        # + 16 mix node/gateway keys + the client
        self.assertGreaterEqual(secrets, 2 + 3 + 8 + 2 + 2 + 1 + 3 + 16 + 1)

    def test_the_configs_point_at_each_other(self):
        genesis = json.loads((self.out / "nodes/node0/config/genesis.json").read_text())
        app = genesis["app_state"]
        for k in range(1, 4):
            self.assertEqual(json.loads((self.out / f"nodes/node{k}/config/genesis.json").read_text()), genesis)
        # The issuers' keys in the genesis are the files' keys, all 5, threshold 3.
        vk_dir = self.out / "providers/provider1/issuerKeys"
        keys = [base64.b64decode("".join(l for l in (vk_dir / f"threshold-verificationKey-id={i}-attrs=5-n=5-t=3.pem")
                                         .read_text().splitlines() if not l.startswith("-----"))).hex()
                for i in range(1, 6)]
        self.assertEqual(app["issuers"], {"threshold": 3, "verification_keys": keys})
        for i in range(1, 4):
            own = self.out / f"issuers/issuer{i}/coconutkeys/threshold-verificationKey-id={i}-attrs=5-n=5-t=3.pem"
            self.assertEqual(own.read_text(), (vk_dir / own.name).read_text())
        for role in ("providers/provider2", "verifiers/verifier1", "verifiers/verifier2"):
            for f in vk_dir.iterdir():
                self.assertEqual((self.out / role / "issuerKeys" / f.name).read_text(), f.read_text())

        def address(key):
            return subprocess.run([os.path.join(os.environ["NYM_BIN"], "nym-ledger-tx"), "address", "--key",
                                   str(key)], capture_output=True, text=True, check=True).stdout.strip()
        watchers = [address(self.out / f"ethereum-watchers/watcher{i}/watcher.key") for i in (1, 2)]
        self.assertEqual(app["watchers"], {"threshold": 2, "addresses": watchers})
        verifiers = [address(self.out / f"verifiers/verifier{i}/accountKey/verifier.key") for i in (1, 2)]
        self.assertEqual(app["verifiers"], {"threshold": 2, "addresses": verifiers})
        client = address(self.client / "clientAccount.key")
        self.assertIn({"address": client, "balance": "0"}, app["accounts"])  # its tokens come through the pipe

        rpcs = ["http://127.0.0.1:26657", "http://127.0.0.1:26660", "http://127.0.0.1:26662", "http://127.0.0.1:26664"]
        for k, rpc in enumerate(rpcs):
            conf = tomllib.loads((self.out / f"nodes/node{k}/config/config.toml").read_text())
            self.assertEqual(conf["rpc"]["laddr"], rpc.replace("http", "tcp"))
            self.assertEqual(len(conf["p2p"]["persistent_peers"].split(",")), 3)
        ports = {}
        for i in (1, 2, 3):
            c = self.toml(f"issuers/issuer{i}/config.toml")
            self.assertEqual(c["ledger"]["nodes"], rpcs)
            self.assertTrue((self.out / f"issuers/issuer{i}" / c["issuer"]["secret_key"]).exists())
            ports[f"issuer{i}"] = c["issuer"]["listen_port"]
        self.assertEqual([ports[f"issuer{i}"] for i in (1, 2, 3)], [4000, 4001, 4002])
        for i in (1, 2):
            c = self.toml(f"providers/provider{i}/config.toml")
            self.assertEqual(c["ledger"]["nodes"], rpcs)
            self.assertEqual(c["provider"]["listen_port"], 4099 + i)
            self.assertEqual(self.toml(f"verifiers/verifier{i}/config.toml")["ledger"]["nodes"], rpcs)
        client_conf = tomllib.loads((self.client / "config.toml").read_text())
        self.assertEqual(client_conf["client"]["issuers"], [f"http://127.0.0.1:{p}" for p in (4000, 4001, 4002)])
        self.assertEqual(client_conf["client"]["provider"], "http://127.0.0.1:4100")
        self.assertEqual(client_conf["client"]["provider_address"],
                         address(self.out / "providers/provider1/accountKey/provider.key"))
        self.assertEqual(client_conf["ledger"]["nodes"], rpcs)
        self.assertEqual(client_conf["ledger"]["chain_id"], genesis["chain_id"])
        # The token: where the deployer's first contract will be, as the watchers and the client expect it.
        manifest = json.loads((self.out / "localnet.json").read_text())
        token = manifest["ethereum"]["token"]
        self.assertRegex(token, r"^0x[0-9a-f]{40}$")
        self.assertEqual(client_conf["ethereum"]["token"], token)
        self.assertEqual(client_conf["ethereum"]["pipe_account"], app["pipe_account"])
        for i in (1, 2):
            w = self.toml(f"ethereum-watchers/watcher{i}/config.toml")
            self.assertEqual(w["ethereum"]["token"].lower(), token)
            self.assertEqual(w["ethereum"]["pipe_account"], app["pipe_account"])
            self.assertEqual(w["ledger"]["validators"], rpcs)
            self.assertEqual(w["ledger"]["chain_id"], genesis["chain_id"])

    def test_the_token_address_is_the_deployers_first_contract(self):
        sys.dont_write_bytecode = True
        sys.path.insert(0, str(ROOT / "tools"))
        import localnet  # noqa: E402
        self.assertEqual(localnet.keccak256(b"").hex(),
                         "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        # go-ethereum's crypto.CreateAddress test vector.
        self.assertEqual(localnet.first_contract_address("0x970e8128ab834e8eac17ab8e3812f010678cf791"),
                         "0x333c3310824b7c685133f2bedb2ca4b8b4df633d")

    def test_keys_are_never_overwritten_without_force(self):
        key = self.out / "issuers/issuer1/coconutkeys/threshold-secretKey-id=1-attrs=5-n=5-t=3.pem"
        before = {p: p.read_bytes() for p in self.out.rglob("*") if p.is_file()}
        r = self.build()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not overwriting", r.stderr)
        self.assertEqual({p: p.read_bytes() for p in self.out.rglob("*") if p.is_file()}, before)
        # A client folder alone with a key is refused too.
        other = Path(self.tmp.name) / "other"
        r = self.build(out=other)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse((other / "issuers").exists())
        # --force: a new network.
        with tempfile.TemporaryDirectory() as t:
            out, client = Path(t) / "build", Path(t) / "client"
            self.assertEqual(self.build(out=out, client=client).returncode, 0)
            old = (out / key.relative_to(self.out)).read_bytes()
            r = self.build("--force", out=out, client=client)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotEqual((out / key.relative_to(self.out)).read_bytes(), old)
            self.assertEqual(tree_paths(out, SEED_TOP), tree_paths(self.out, SEED_TOP))

    def test_docker_configs_name_the_compose_services(self):
        with tempfile.TemporaryDirectory() as t:
            out, client = Path(t) / "build", Path(t) / "client"
            r = self.build("--docker", out=out, client=client)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(tree_paths(out, SEED_TOP), tree_paths(self.out, SEED_TOP))
            issuer = tomllib.loads((out / "issuers/issuer2/config.toml").read_text())
            self.assertEqual(issuer["issuer"]["listen_host"], "0.0.0.0")
            self.assertEqual(issuer["issuer"]["listen_port"], 4000)
            self.assertEqual(issuer["ledger"]["nodes"], [f"http://node{k}:26657" for k in range(4)])
            node = tomllib.loads((out / "nodes/node1/config/config.toml").read_text())
            self.assertEqual(node["proxy_app"], "tcp://127.0.0.1:26658")
            self.assertEqual(sorted(p.split("@")[1] for p in node["p2p"]["persistent_peers"].split(",")),
                             ["node0:26656", "node2:26656", "node3:26656"])
            watcher = tomllib.loads((out / "ethereum-watchers/watcher1/config.toml").read_text())
            self.assertEqual(watcher["ethereum"]["rpc_url"], "http://ethereum:8545")
            # nymclient runs on the host: the same loopback ports either way.
            self.assertEqual(tomllib.loads((client / "config.toml").read_text())["client"]["provider"],
                             "http://127.0.0.1:4100")


if __name__ == "__main__":
    if not os.environ.get("NYM_BIN"):
        os.environ["NYM_BIN"] = str(ROOT / "build" / "release" / "bin")
    unittest.main(verbosity=2)
