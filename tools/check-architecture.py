#!/usr/bin/env python3
"""Enforces the library graph of docs/architecture.md: a file under src/<lib>/ may include only
headers of <lib> itself and of the libraries <lib> is allowed to depend on, and only the runtime
library may include Asio/Beast. Exits non-zero listing every violation."""
import pathlib
import re
import sys

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
    "directory": {"util", "crypto", "wire", "runtime"},
    "mixnode": {"util", "crypto", "sphinx", "wire", "runtime"},
    "gateway": {"util", "crypto", "sphinx", "wire", "runtime"},
    "client": {"util", "crypto", "sphinx", "wire", "runtime"},
}
ASIO_ALLOWED = {"runtime"}

root = pathlib.Path(__file__).resolve().parent.parent / "src"
include_re = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
problems = []
for path in sorted(root.rglob("*")):
    if path.suffix not in {".hpp", ".cpp", ".h"}:
        continue
    lib = path.relative_to(root).parts[0]
    if lib not in ALLOWED:
        problems.append(f"{path}: library '{lib}' is not in the architecture graph (tools/check-architecture.py)")
        continue
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = include_re.match(line)
        if not m:
            continue
        target = m.group(1)
        first = target.split("/")[0]
        if first in ALLOWED and first != lib and first not in ALLOWED[lib]:
            problems.append(f"{path}:{n}: {lib} may not include {target}")
        if first == "boost" and (target.startswith("boost/asio") or target.startswith("boost/beast")) and lib not in ASIO_ALLOWED:
            problems.append(f"{path}:{n}: only runtime may include Asio/Beast ({target})")

if problems:
    print("architecture check failed:")
    print("\n".join(problems))
    sys.exit(1)
print("architecture check: ok")
