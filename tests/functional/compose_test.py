#!/usr/bin/env python3
"""docker-compose.yml and the Dockerfile, checked without a Docker engine (this machine has none):
the compose file parses; it has a service, named as its container, for every component
`tools/localnet.py build --docker` makes, with the documents' `docker ps` port mappings
(localnet_docker_ps.txt); every bind mount names a path of that tree; every command runs an
executable the image holds; the image's build stage runs the same script as the README's commands;
its runtime stage installs the Debian packages of every shared library the built executables link.
Environment: NYM_BIN (the build's bin/), COMETBFT."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
UNMAPPED_CONTAINER_PORTS = {"5000"}  # the original's gRPC port: no counterpart (see the compose file's header)


def expand(mapping):
    """'26656-26657:26656-26657' or '4100:4000' -> [('26656', '26656'), ...] (host, container)."""
    host, container = mapping.rsplit(":", 1)
    if "-" in host:
        (h0, h1), (c0, c1) = host.split("-"), container.split("-")
        return [(str(h), str(c)) for h, c in zip(range(int(h0), int(h1) + 1), range(int(c0), int(c1) + 1))]
    return [(host, container)]


def docker_ps_listing():
    """{name: {(host, container)}} from the documents' `docker ps` output."""
    out = {}
    for line in (HERE / "localnet_docker_ps.txt").read_text().splitlines():
        m = re.search(r"\"\s+(.*?)\s+(\S+)$", line)
        if not m or "->" not in m.group(1):
            continue
        pairs = set()
        for entry in m.group(1).split(", "):
            host, container = entry.replace("0.0.0.0:", "").replace("/tcp", "").split("->")
            pairs |= set(expand(f"{host}:{container}"))
        out[m.group(2)] = pairs
    return out


class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cometbft = os.environ.get("COMETBFT", "")
        if cometbft and not os.access(cometbft, os.X_OK):
            raise unittest.SkipTest(f"no cometbft at {cometbft} (run tools/install-deps.sh)")
        cls.compose = yaml.safe_load(COMPOSE.read_text())
        cls.services = cls.compose["services"]
        cls.tmp = tempfile.TemporaryDirectory(prefix="nym-compose-")
        cls.root = Path(cls.tmp.name)
        r = subprocess.run([sys.executable, str(ROOT / "tools" / "localnet.py"), "--out", str(cls.root / "build"),
                            "build", "--docker", "--client-dir", str(cls.root / "localnetdata" / "localclient")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"localnet.py build --docker failed:\n{r.stderr}")
        sys.dont_write_bytecode = True
        sys.path.insert(0, str(ROOT / "tools"))
        import localnet
        cls.localnet = localnet
        cls.plan = localnet.load(cls.root / "build")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_built_component_has_a_service_named_as_its_container(self):
        components = set(self.localnet.component_names(self.plan)) - {f"app{k}" for k in range(4)}  # in nodeK
        components = (components - {"geth"}) | {"ethereum", "ethereum-setup"}
        self.assertEqual(set(self.services), components)
        self.assertGreaterEqual(len(components), 26)
        for name, s in self.services.items():
            self.assertEqual(s.get("container_name"), name, f"`docker attach {name}` needs container_name")
            self.assertEqual(s.get("image"), "nym-cpp:local", name)
            for dep in s.get("depends_on", []):
                self.assertIn(dep, self.services, f"{name} depends on {dep}")

    def test_ports_follow_the_documents_docker_ps(self):
        listing = docker_ps_listing()
        self.assertEqual(set(listing), {"provider1", "provider2", "issuer1", "issuer2", "issuer3",
                                        "node0", "node1", "node2", "node3"})
        for name, pairs in listing.items():
            mapped = {p for m in self.services[name].get("ports", []) for p in expand(str(m))}
            wanted = {(h, c) for h, c in pairs if c not in UNMAPPED_CONTAINER_PORTS}
            self.assertEqual(mapped, wanted, name)
        self.assertIn("5000", COMPOSE.read_text().split("services:")[0])  # the header says why it is not mapped
        # The host ports are the loopback network's: nymclient's config works with either.
        client = (self.root / "localnetdata/localclient/config.toml").read_text()
        for port in ("4000", "4001", "4002", "4100", "26657", "8545"):
            self.assertIn(f"127.0.0.1:{port}", client)

    def test_every_mount_is_a_path_of_the_built_tree(self):
        made_at_run_time = {"./build/mixnet/nodes/clients", "./build/mixnet/nodes/requesters",
                            "./build/mixnet/nodes/socks5-clients"}
        mounts = 0
        for name, s in self.services.items():
            for v in s.get("volumes", []):
                host = v.split(":")[0]
                mounts += 1
                if host in made_at_run_time:
                    continue
                self.assertTrue(host.startswith("./build/") or host.startswith("./localnetdata/"), v)
                self.assertTrue((self.root / host[2:]).exists(), f"{name} mounts {host}, which the build does not make")
        self.assertGreaterEqual(mounts, 20)
        # Each service's config names the others by service name (the --docker tree).
        issuer = (self.root / "build/issuers/issuer1/config.toml").read_text()
        for k in range(4):
            self.assertIn(f"http://node{k}:26657", issuer)
            self.assertIn(f"node{k}", self.services)

    def test_the_dashboard_is_told_of_the_ledger_side(self):
        # As on loopback (tools/localnet.sh): the directory's dashboard reads node0's CometBFT RPC and
        # shows every issuer's and provider's health; each URL names a service and the port it serves.
        command = self.services["directory"]["command"]
        named = {}
        for flag, value in zip(command, command[1:]):
            if flag in ("--cometbft-rpc", "--issuer", "--provider"):
                named.setdefault(flag, set()).add(value)
        self.assertEqual(named.get("--cometbft-rpc"), {"http://node0:26657"})
        issuers = {n for n in self.services if n.startswith("issuer")}
        providers = {n for n in self.services if n.startswith("provider")}
        self.assertEqual(named.get("--issuer"), {f"http://{n}:4000" for n in issuers})
        self.assertEqual(named.get("--provider"), {f"http://{n}:4000" for n in providers})
        for n in issuers | providers:
            self.assertTrue(any(str(m).endswith(":4000") for m in self.services[n]["ports"]), n)

    def test_every_command_runs_what_the_image_holds(self):
        bins = set(os.listdir(os.environ["NYM_BIN"]))
        image = bins | {"issuer", "provider", "nymnode", "geth", "cometbft"}
        scripts = {p.name for p in (ROOT / "tools" / "docker").iterdir()}
        for name, s in self.services.items():
            exe = s["command"][0]
            self.assertTrue(exe.startswith("/app/"), name)
            rest = exe[len("/app/"):]
            if rest.startswith("docker/"):
                self.assertIn(rest[len("docker/"):], scripts, name)
            else:
                self.assertIn(rest, image, name)
        # A /bin/sh script (dash in the image) must not use bash's /dev/tcp.
        for script in (ROOT / "tools" / "docker").iterdir():
            body = script.read_text()
            if body.startswith("#!/bin/sh"):
                self.assertNotIn("/dev/tcp", body, script)
                self.assertEqual(subprocess.run(["sh", "-n", str(script)]).returncode, 0, script)
            else:
                self.assertTrue(body.startswith("#!/bin/bash"), script)
                self.assertEqual(subprocess.run(["bash", "-n", str(script)]).returncode, 0, script)
        text = DOCKERFILE.read_text()
        for link, target in (("issuer", "nym-issuer"), ("provider", "nym-provider"), ("nymnode", "docker/nymnode.sh")):
            self.assertIn(f"ln -s {target} /app/{link}", text)

    def test_the_image_is_built_by_the_readmes_script_and_has_every_library(self):
        text = DOCKERFILE.read_text()
        self.assertEqual(len(re.findall(r"^FROM ", text, re.M)), 2)
        self.assertIn("bash tools/build.sh", text)
        # The keys of a built tree never enter the image.
        ignored = {line.strip().strip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                   if line.strip() and not line.startswith("#")}
        self.assertLessEqual({"build", "localnetdata", "node_modules"}, ignored)
        self.assertIn("bash tools/build.sh", (ROOT / "tools" / "demo.sh").read_text())
        self.assertIn("tools/build.sh", (ROOT / "Makefile").read_text())
        runtime = text.split("AS runtime", 1)[1]
        installed = set(re.findall(r"\b(lib[a-z0-9+.-]+|zlib1g)\b", runtime))
        libs = set()
        for exe in Path(os.environ["NYM_BIN"]).iterdir():
            ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True).stdout
            for lib in re.findall(r"=> (\S+)", ldd):  # dpkg knows a file by one of its names (usrmerge)
                libs |= {lib, os.path.realpath(lib), os.path.realpath(lib).replace("/usr/lib/", "/lib/", 1)}
        owners = subprocess.run(["dpkg", "-S", *sorted(libs)], capture_output=True, text=True).stdout
        needed = {line.split(":")[0] for line in owners.splitlines() if ": " in line}
        unowned = {lib for lib in libs if lib.startswith("/usr/lib/") and os.path.realpath(lib) == lib
                   and not any(lib in line or os.path.basename(lib) in line for line in owners.splitlines())}
        self.assertIn("libsodium23", needed)  # ldd and dpkg answered
        self.assertEqual(unowned, set())
        base = {"libc6", "libgcc-s1", "libstdc++6"}  # in debian:bookworm-slim
        self.assertEqual(needed - base - installed, set())


if __name__ == "__main__":
    if not os.environ.get("NYM_BIN"):
        os.environ["NYM_BIN"] = str(ROOT / "build" / "release" / "bin")
    unittest.main(verbosity=2)
