#!/usr/bin/env python3
"""Enforces the library graph of docs/architecture.md.

- A file under src/<lib>/ may include only headers of <lib> itself and of the libraries <lib> may
  depend on; only the runtime library may include Asio/Beast (and runtime/loop_core.hpp, its
  Asio-facing header).
- Role libraries keep their sans-IO core apart from their wiring: in a role, only the daemon files
  (daemon*.hpp/.cpp) may include the runtime (other than the plain value types of runtime/http.hpp)
  or the node layer's networking headers.
- Each executable under apps/<name>/ belongs to at most one role: it may include its own role
  library and the shared layers, never another role's.
Exits non-zero listing every violation."""
import pathlib
import re
import sys

SHARED_BASE = {"util", "crypto"}
# lib -> libraries it may include (direct or transitive edges are both listed explicitly).
ALLOWED = {
    "util": set(),
    "crypto": {"util"},
    "sphinx": {"util", "crypto"},
    "bls": {"util", "crypto"},
    "coconut": {"util", "crypto", "bls"},
    "ledger": {"util", "crypto", "bls", "coconut"},
    "store": {"util", "ledger"},
    "abci": {"util", "ledger"},
    "wire": {"util", "crypto", "sphinx"},
    "runtime": {"util"},
    "mixnet": {"util", "crypto", "sphinx"},
    "node": {"util", "crypto", "sphinx", "wire", "runtime"},
    "directory": {"util", "crypto", "wire", "runtime", "node"},
    "mixnode": {"util", "crypto", "sphinx", "wire", "runtime", "node", "mixnet"},
    "gateway": {"util", "crypto", "sphinx", "wire", "runtime", "node", "mixnet"},
    "client": {"util", "crypto", "sphinx", "wire", "runtime", "node"},
    # The pure part (handshake, stream messages and state machine, allow-list) needs only util; the
    # daemon files (socks5::Daemon) run it over an in-process mixnet client (SOCKS5_PURE below).
    "socks5": {"util", "crypto", "sphinx", "wire", "runtime", "node", "client"},
    "requester": {"util", "crypto", "sphinx", "wire", "runtime", "node", "client", "socks5"},
    "loadgen": {"util", "crypto", "sphinx", "wire"},  # starts one nym-mixnode, shares none of its code
    "validator": {"util", "crypto", "ledger", "store", "abci", "runtime", "node"},
    # Pure files (u256, rlp, abi, transaction, jsonrpc) use util and crypto only; the I/O files
    # (ETHEREUM_IO_FILES) the runtime and the node layer.
    "ethereum": {"util", "crypto", "runtime", "node"},
    "watcher": {"util", "crypto", "ledger", "ethereum", "runtime", "node"},
    # The ledger as its services see it: CometBFT RPC, block following, transactions, credential format.
    "chain": {"util", "crypto", "bls", "coconut", "ledger", "runtime", "node"},
    "issuer": {"util", "crypto", "bls", "coconut", "ledger", "wire", "runtime", "node", "chain"},
    "verifier": {"util", "crypto", "bls", "coconut", "ledger", "wire", "runtime", "node", "chain"},
    "provider": {"util", "crypto", "bls", "coconut", "ledger", "wire", "runtime", "node", "chain"},
    # nymclient: also the Ethereum pipe (ethereum's network files in daemon_pipe.* only).
    "credentials": {"util", "crypto", "bls", "coconut", "ledger", "wire", "runtime", "node", "chain", "ethereum"},
}
ETHEREUM_IO_FILES = {"rpc_client", "session", "pipe", "dev_chain", "account_key"}
# Of those, the ones that open sockets: a role includes them in its daemon files only.
ETHEREUM_NETWORK_FILES = {"rpc_client", "session", "pipe", "dev_chain"}
SOCKS5_PURE = {"util", "socks5"}  # what socks5's non-daemon files may include
ROLES = {"directory", "mixnode", "gateway", "client", "socks5", "requester", "validator", "watcher", "issuer", "verifier", "provider", "credentials"}
ASIO_ALLOWED = {"runtime"}
# Headers of runtime/node that are plain values or files, usable by a role's sans-IO core.
CORE_SAFE = {"runtime/http.hpp", "runtime/errors.hpp", "node/config_file.hpp", "node/logging.hpp"}
# Headers of the shared layers that do I/O: in a role, only its daemon files may include them.
NETWORK_HEADERS = {"chain/rpc_client.hpp"}
# apps/<name> -> the role libraries it may include (empty: a tool that belongs to no role).
APP_ROLE = {
    "nym-directory": {"directory"},
    "nym-mixnode": {"mixnode"},
    "nym-gateway": {"gateway"},
    "nym-client": {"client"},
    "nym-socks5-client": {"socks5", "client"},       # a mixnet client with a SOCKS front
    "nym-network-requester": {"requester", "client"},
    "nym-loadgen": {"loadgen"},
    "nym-validator": {"validator"},
    "nym-ledger-tx": set(),
    "nym-ethereum-watcher": {"watcher"},
    "nym-eth-pipe": set(),
    "nym-issuer": {"issuer"},
    "nym-verifier": {"verifier"},
    "nym-provider": {"provider"},
    "nymclient": {"credentials"},
    "nym-coconut-keygen": set(),
    "sphinx-demo": set(),
}

base = pathlib.Path(__file__).resolve().parent.parent
include_re = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
problems = []


def includes(path):
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = include_re.match(line)
        if m:
            yield n, m.group(1)


def sources(folder):
    return [p for p in sorted(folder.rglob("*")) if p.suffix in {".hpp", ".cpp", ".h"}]


for path in sources(base / "src"):
    rel = path.relative_to(base / "src")
    lib = rel.parts[0]
    if lib not in ALLOWED:
        problems.append(f"{path}: library '{lib}' is not in the architecture graph (tools/check-architecture.py)")
        continue
    is_daemon_file = path.name.startswith("daemon")
    for n, target in includes(path):
        first = target.split("/")[0]
        if first in ALLOWED and first != lib and first not in ALLOWED[lib]:
            problems.append(f"{path}:{n}: {lib} may not include {target}")
        if first == "boost" and (target.startswith("boost/asio") or target.startswith("boost/beast")) \
                and lib not in ASIO_ALLOWED:
            problems.append(f"{path}:{n}: only runtime may include Asio/Beast ({target})")
        if target == "runtime/loop_core.hpp" and lib != "runtime":
            problems.append(f"{path}:{n}: runtime/loop_core.hpp is internal to the runtime")
        if lib in ROLES and not is_daemon_file and first in {"runtime", "node"} and target not in CORE_SAFE:
            problems.append(f"{path}:{n}: only the daemon files of '{lib}' (daemon*.hpp/.cpp) may include {target}")
        if lib == "ethereum" and path.stem not in ETHEREUM_IO_FILES and first in {"runtime", "node"}:
            problems.append(f"{path}:{n}: the pure files of ethereum may not include {target}")
        if lib in ROLES and not is_daemon_file and first == "ethereum" and \
                pathlib.Path(target).stem in ETHEREUM_NETWORK_FILES:
            problems.append(f"{path}:{n}: only the daemon files of '{lib}' may include {target}")
        if lib == "socks5" and not is_daemon_file and first in ALLOWED and first not in SOCKS5_PURE:
            problems.append(f"{path}:{n}: the pure files of socks5 may include only util ({target})")
        if lib == "requester" and first == "socks5" and pathlib.Path(target).name.startswith("daemon"):
            problems.append(f"{path}:{n}: requester may include only the pure part of socks5, not {target}")
        if lib in ROLES and not is_daemon_file and target in NETWORK_HEADERS:
            problems.append(f"{path}:{n}: only the daemon files of '{lib}' (daemon*.hpp/.cpp) may include {target}")

for app_dir in sorted(p for p in (base / "apps").iterdir() if p.is_dir()):
    name = app_dir.name
    if name not in APP_ROLE:
        problems.append(f"{app_dir}: executable '{name}' is not listed in tools/check-architecture.py")
        continue
    role = APP_ROLE[name]
    for path in sources(app_dir):
        for n, target in includes(path):
            first = target.split("/")[0]
            if first in ROLES | {"loadgen"} and first not in role:
                problems.append(f"{path}:{n}: {name} may include only {sorted(role) or 'no role library'}, not {target}")
            if target == "runtime/loop_core.hpp":
                problems.append(f"{path}:{n}: runtime/loop_core.hpp is internal to the runtime")

if problems:
    print("architecture check failed:")
    print("\n".join(problems))
    sys.exit(1)
print("architecture check: ok")
