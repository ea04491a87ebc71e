#!/usr/bin/env python3
"""Turns Google Benchmark JSON (from tools/bench.sh) into the ratio tables of docs/performance.md.

Every operation is divided by the sum of the cost-floor operations it must perform, all taken
from the same run: one libsodium X25519 multiplication for Sphinx; blst's scalar multiplications,
hash-to-G1 and pairings for Coconut. Medians of the repetitions are used."""
import json
import sys

# operation -> (floor terms {floor benchmark: count}, human-readable count, target ratio)
SPHINX = {
    "sphinx_process_hop": ({"x25519_scalarmult": 2}, "2 variable-base (DH, blinding)", 1.15),
    "sphinx_process_final_hop": ({"x25519_scalarmult": 1}, "1 variable-base (DH)", None),
    "sphinx_create_3hops": ({"x25519_scalarmult": 3, "x25519_scalarmult_base": 3}, "3 variable-base + 3 fixed-base", 1.2),
    "sphinx_create_4hops": ({"x25519_scalarmult": 4, "x25519_scalarmult_base": 4}, "4 variable-base + 4 fixed-base", 1.2),
    "sphinx_process_hop_version/v000103": ({"x25519_scalarmult": 2}, "2 variable-base (DH, blinding)", 1.15),
    "sphinx_create_4hops_version/v000103": ({"x25519_scalarmult": 4, "x25519_scalarmult_base": 4}, "4 variable-base + 4 fixed-base", 1.2),
    "lioness_encrypt_2048": ({}, "symmetric only", None),
}
COCONUT = {
    "coconut_keygen": ({"blst_g2_mul": 30}, "30 G2 (n=5 keys of 1+q scalars)"),
    "coconut_prepare_blind_sign": ({"blst_g1_mul": 25, "blst_hash_to_g1": 1}, "25 G1 + 1 hash-to-G1"),
    "coconut_blind_sign": ({"blst_g1_mul": 29, "blst_hash_to_g1": 1}, "29 G1 + 1 hash-to-G1"),
    "coconut_unblind": ({"blst_g1_mul": 1, "blst_g2_mul": 5, "blst_multi_pairing_2": 1}, "1 G1 + 5 G2 + 2-term multi-pairing (share check)"),
    "coconut_aggregate_signatures": ({"blst_g1_mul": 3}, "3 G1"),
    "coconut_aggregate_signatures_and_verify": ({"blst_g1_mul": 3, "blst_g2_mul": 5, "blst_multi_pairing_2": 1}, "3 G1 + 5 G2 + 2-term multi-pairing"),
    "coconut_aggregate_verification_keys": ({"blst_g2_mul": 18}, "18 G2"),
    "coconut_randomize": ({"blst_g1_mul": 2}, "2 G1"),
    "coconut_prove_credential": ({"blst_g1_mul": 3, "blst_g2_mul": 8}, "3 G1 + 8 G2"),
    "coconut_verify_credential": ({"blst_g2_mul": 7, "blst_multi_pairing_2": 1}, "7 G2 + 2-term multi-pairing"),
    "coconut_spend_prove": ({"blst_g1_mul": 5, "blst_g2_mul": 8}, "5 G1 + 8 G2"),
    "coconut_spend_verify": ({"blst_g1_mul": 2, "blst_g2_mul": 7, "blst_multi_pairing_2": 1}, "2 G1 + 7 G2 + 2-term multi-pairing"),
}

# The client core (bench_client): one real packet out (send + poll) against the two 4-hop Sphinx
# builds it contains; one delivered fragment against the seal's X25519 multiplication.
CLIENT = {
    "client_real_packet": ({"floor_sphinx_build_4hop_regular": 1, "floor_sphinx_build_4hop_ack": 1},
                           "4-hop regular + 4-hop ack Sphinx build"),
    "client_on_delivered_fragment": ({"x25519_scalarmult": 1}, "1 variable-base (seal DH)"),
    "client_on_delivered_ack": ({}, "symmetric only"),
}


# The ledger (bench_ledger): one transfer's CPU time in the app (CheckTx + its shares of FinalizeBlock
# and Commit, counter us_per_tx) against one Keccak-256 and one secp256k1 recovery (CPU time).
LEDGER = ["ledger_transfer_memory", "ledger_transfer_rocksdb"]


def ledger_report(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    floor = None
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].split("/")[0]
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "ns")]
        if name == "floor_keccak_and_recover":
            floor = b["cpu_time"] * unit
        elif name in LEDGER:
            rows[name] = b
    print("| operation | floor operations | floor (µs CPU) | measured (µs CPU) | ratio | CheckTx / FinalizeBlock / Commit (µs) |")
    print("|---|---|---|---|---|---|")
    for name in LEDGER:
        if name not in rows or floor is None:
            continue
        b = rows[name]
        print(f"| `{name}` | 1 Keccak-256 + 1 secp256k1 recovery | {floor:.1f} | {b['us_per_tx']:.1f} | "
              f"{b['us_per_tx'] / floor:.2f} | {b['check_us']:.1f} / {b['finalize_us']:.1f} / {b['commit_us']:.1f} |")


def medians(path, field="real_time"):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median" or (b.get("run_type") == "iteration" and b["run_name"] not in out):
            unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "ns")]
            out[b["run_name"]] = b[field] * unit
    return out


def report(path, table, target=None):
    m = medians(path)
    print(f"| operation | floor operations | floor (µs) | measured (µs) | ratio |")
    print("|---|---|---|---|---|")
    for op, spec in table.items():
        terms, text = spec[0], spec[1]
        if op not in m:
            continue
        floor = sum(m[f] * n for f, n in terms.items() if f in m)
        ratio = f"{m[op] / floor:.2f}" if floor else "–"
        print(f"| `{op}` | {text} | {floor:.1f} | {m[op]:.1f} | {ratio} |")
    floors = sorted({f for spec in table.values() for f in spec[0]})
    print()
    print("Floors in the same run: " + ", ".join(f"`{f}` {m[f]:.1f} µs" for f in floors if f in m))


# Side by side with Nym's crate (tools/sphinx-interop bench --json, crate_sphinx.json): the crate's
# operation and version bytes -> our benchmark in bench_sphinx.json of the same run. 00 01 01 is
# 0.6.0's legacy derivation, the same work as our 00 01 00.
CRATE_PAIRS = [
    ("create_3hops", "000100", "sphinx_create_3hops"),
    ("create_3hops", "000101", "sphinx_create_3hops"),
    ("create_3hops", "000102", "sphinx_create_3hops_version/v000102"),
    ("create_3hops", "000103", "sphinx_create_3hops_version/v000103"),
    ("create_4hops", "000100", "sphinx_create_4hops"),
    ("create_4hops", "000101", "sphinx_create_4hops"),
    ("create_4hops", "000102", "sphinx_create_4hops_version/v000102"),
    ("create_4hops", "000103", "sphinx_create_4hops_version/v000103"),
    ("process_forward_hop", "000100", "sphinx_process_hop"),
    ("process_forward_hop", "000101", "sphinx_process_hop"),
    ("process_forward_hop", "000102", "sphinx_process_hop_version/v000102"),
    ("process_forward_hop", "000103", "sphinx_process_hop_version/v000103"),
    ("process_final_hop", "000100", "sphinx_process_final_hop"),
    ("process_final_hop", "000101", "sphinx_process_final_hop"),
    ("process_final_hop", "000102", "sphinx_process_final_hop_version/v000102"),
    ("process_final_hop", "000103", "sphinx_process_final_hop_version/v000103"),
]


def crate_report(path):
    """The crate's medians beside ours from bench_sphinx.json in the same folder. The ratio is taken
    on process CPU time, which other processes on a shared machine do not inflate; wall times follow."""
    import os
    with open(path) as f:
        crate = json.load(f)
    ours_json = os.path.join(os.path.dirname(path), "bench_sphinx.json")
    ours_wall, ours_cpu = medians(ours_json), medians(ours_json, "cpu_time")
    theirs = {(r["name"], r["version_bytes"]): r for r in crate["results"]}
    print(f"Payload {crate['payload_size']} bytes (message {crate['message_size']} bytes) on both sides; "
          f"medians of {crate['repetitions']} repetitions; µs per call.\n")
    print("| operation | version | crate | crate CPU | ours CPU | **crate / ours** | crate wall | ours wall | ours |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op, version, our_name in CRATE_PAIRS:
        r = theirs.get((op, version))
        if r is None or our_name not in ours_cpu:
            continue
        v = " ".join(version[i:i + 2] for i in range(0, 6, 2))
        cpu = r.get("cpu_median_us", r["median_us"])
        print(f"| {op} | {v} | {r['crate']} | {cpu:.1f} | {ours_cpu[our_name]:.1f} | "
              f"**{cpu / ours_cpu[our_name]:.2f}** | {r['median_us']:.1f} | {ours_wall[our_name]:.1f} | `{our_name}` |")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"### {path}\n")
        if "ledger" in path:
            ledger_report(path)
        elif "crate_sphinx" in path:
            crate_report(path)
        else:
            report(path, CLIENT if "client" in path else SPHINX if "sphinx" in path else COCONUT)
        print()
