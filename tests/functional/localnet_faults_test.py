#!/usr/bin/env python3
"""The whole local network (tools/localnet.py) with faults: build (4 issuers of the 3-of-5 key set),
`up` with every component healthy in `status`, then during nymclient's run kill one validator
(node0, the first in every config), one issuer and one mix node; the credential flow still ends
with `true`, a message from alice to bob through the mixnet still arrives exactly once, `status`
shows exactly those three down, and `down` leaves no process behind. Real processes on the fixed
loopback ports of tools/localnet.py (run alone). Bounded: each step has a deadline, the whole
test well under 5 minutes. Environment: NYM_BIN (the build's bin/), COMETBFT, NYM_GETH."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOOL = ROOT / "tools" / "localnet.py"
KILLED = {"node0", "issuer1", "mix-2a"}


class LocalnetFaults(unittest.TestCase):
    def setUp(self):
        for what, env in (("cometbft", "COMETBFT"), ("geth", "NYM_GETH")):
            path = os.environ.get(env, "")
            if path and not os.access(path, os.X_OK):
                self.skipTest(f"no {what} at {path} (run tools/install-deps.sh)")
        if not shutil.which("node") or not (ROOT / "node_modules" / "ws").is_dir():
            self.skipTest("node or node_modules/ws missing (tools/install-deps.sh): the mixnet check needs them")
        self.tmp = tempfile.mkdtemp(prefix="nym-localnet-faults-")
        self.out = Path(self.tmp) / "build"
        self.client_dir = Path(self.tmp) / "localnetdata" / "localclient"
        self.addCleanup(self.cleanup)

    def cleanup(self):
        self.tool("down", timeout=120)
        if not os.environ.get("NYM_KEEP_TEST_DIRS"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def tool(self, *args, timeout=180):
        return subprocess.run([sys.executable, str(TOOL), "--out", str(self.out), *args], capture_output=True,
                              text=True, timeout=timeout)

    def status(self):
        r = self.tool("status", "--json", timeout=60)
        return r.returncode, {c["name"]: c for c in json.loads(r.stdout)["components"]}

    def test_the_flow_and_the_mixnet_survive_a_validator_an_issuer_and_a_mix_node_killed(self):
        r = self.tool("build", "--issuers", "4", "--client-dir", str(self.client_dir))
        self.assertEqual(r.returncode, 0, r.stderr)
        t0 = time.monotonic()
        r = self.tool("up")
        up_seconds = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        print(f"up took {up_seconds:.1f} s", file=sys.stderr)
        code, components = self.status()
        self.assertEqual(code, 0, components)
        # geth, 4 validators, 2 watchers, 4 issuers, 2 verifiers, 2 providers, the directory, 6 mix
        # nodes, 2 gateways, alice and bob, and SOCKS: the test web server, the requester, the SOCKS client.
        self.assertEqual(len(components), 1 + 4 + 2 + 4 + 2 + 2 + 1 + 6 + 2 + 2 + 3)
        self.assertTrue(all(c["health"] == "ok" and c["pid"] for c in components.values()), components)
        # The localnet's SOCKS path: curl through nym-socks5-client and the requester to the test server.
        page = subprocess.run(["curl", "-sS", "--max-time", "60", "--socks5-hostname", "127.0.0.1:21041",
                               "http://localhost:21040/"], capture_output=True, text=True, timeout=90)
        self.assertIn("Hello through the mixnet", page.stdout, page.stderr)
        for k in range(4):
            self.assertRegex(components[f"node{k}"]["detail"], r"^height \d+")
        pids = {name: c["pid"] for name, c in components.items()}

        # The flow, with the faults landing while it runs: once the client has connected to the ledger
        # (node0 first), node0 and issuer1 die before it pays and asks the issuers; mix-2a goes too.
        client = subprocess.Popen([os.path.join(os.environ["NYM_BIN"], "nymclient"), "-f",
                                   str(self.client_dir / "config.toml")], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        log = []
        for line in client.stderr:
            log.append(line)
            if "connect to the Nym ledger" in line:
                os.kill(pids["node0"], signal.SIGKILL)
                os.kill(pids["issuer1"], signal.SIGKILL)
                break
        r = self.tool("stop", "mix-2a", "--signal", "KILL", timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        out, err = client.communicate(timeout=150)
        err = "".join(log) + err
        self.assertEqual(client.returncode, 0, err[-3000:])
        self.assertEqual(out.strip(), "true", err[-3000:])
        # The faults were there to meet: they landed before the client paid (the log's order), and
        # issuer1, dead before the client asked, gave no share: the other three did.
        self.assertLess(err.index("connect to the Nym ledger"), err.index("request credential"))
        self.assertNotIn("127.0.0.1:4000: valid share", err)
        self.assertIn("3 valid partial credentials", err)

        # The mixnet, one mix node of layer 2 gone (the directory still lists it for its presence timeout).
        r = subprocess.run(["node", str(ROOT / "tools" / "ws-demo.mjs"), "send-and-receive", "--from",
                            "ws://127.0.0.1:21031/mix", "--to", "ws://127.0.0.1:21032/mix", "--message",
                            f"faults {time.time()}", "--timeout", "90", "--watch", "5"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1 time(s) in all", r.stdout)

        code, components = self.status()
        self.assertEqual(code, 1)
        down = {name for name, c in components.items() if c["health"] != "ok"}
        self.assertEqual(down, KILLED, components)
        for name in KILLED:
            self.assertIsNone(components[name]["pid"])
        # The ledger kept going without node0.
        self.assertRegex(components["node1"]["detail"], r"^height \d+")

        r = self.tool("down", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        left = [f"{n}:{p}" for n, p in pids.items() if p and Path(f"/proc/{p}").exists()
                and "Z" not in Path(f"/proc/{p}/stat").read_text().split(") ", 1)[1][:1]]
        self.assertEqual(left, [])
        code, components = self.status()
        self.assertTrue(all(c["pid"] is None for c in components.values()), components)


if __name__ == "__main__":
    if not os.environ.get("NYM_BIN"):
        os.environ["NYM_BIN"] = str(ROOT / "build" / "release" / "bin")
    unittest.main(verbosity=2)
