#!/usr/bin/env python3
"""Writes the seed corpora of the ledger and ABCI fuzz targets (fuzz/corpus/{ledger_tx,abci_frames,
abci_connection}/). Run from the repository root; the Coconut payloads are taken from the
coconut_decoders corpus. Signatures are placeholders (canonical r, s = 1): the ledger_tx target
re-signs whatever decodes with a chain key picked by r's last byte."""
import json
import pathlib
import struct

root = pathlib.Path(__file__).resolve().parent / "corpus"
coconut = root / "coconut_decoders"
blind_sign_request = (coconut / "blind_sign_request").read_bytes()[1:]  # public attribute 0 is 5
spend = (coconut / "spend").read_bytes()[1:]
G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")
PIPE = bytes.fromhex("00000000000000000000000000000000000c0ffe")


def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)


def tx(tx_type, body, key, nonce=0, keep_nonce=False):
    r = bytearray(32)
    r[0] = 1
    r[30] = 1 if keep_nonce else 0
    r[31] = key
    s = bytes(31) + b"\x01"
    return bytes([1, tx_type]) + bytes(20) + u64(nonce) + body + bytes(r) + s + b"\x00"


def write(folder, name, data):
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# Keys: 0..3 watchers, 4..6 verifiers, 7..10 funded users, 11 nobody (fuzz/ledger_targets.cpp).
transfer = tx(0x01, bytes([0x11] * 20) + u64(25), key=7)
write("ledger_tx", "transfer", transfer)
write("ledger_tx", "transfer_too_much", tx(0x01, bytes([0x22] * 20) + u64(10**7), key=8))
write("ledger_tx", "transfer_wrong_nonce", tx(0x01, bytes([0x22] * 20) + u64(1), key=8, nonce=3, keep_nonce=True))
write("ledger_tx", "watcher_notice", tx(0x02, bytes([0xab] * 32) + u32(1) + PIPE + bytes([0x33] * 20) + u64(500), key=0))
write("ledger_tx", "watcher_notice_wrong_pipe", tx(0x02, bytes([0xab] * 32) + u32(1) + bytes(20) + bytes([0x33] * 20) + u64(500), key=1))
write("ledger_tx", "credential_request", tx(0x03, u64(5) + u32(len(blind_sign_request)) + blind_sign_request, key=9))
write("ledger_tx", "credential_deposit", tx(0x04, u64(5) + u32(len(spend)) + spend, key=11))
write("ledger_tx", "verifier_vote", tx(0x05, bytes([0x44] * 20) + u64(5) + G1_GENERATOR + u64(2) + b"\x01", key=4))
write("ledger_tx", "empty", b"")
write("ledger_tx", "bad_version", b"\x02" + transfer[1:])
write("ledger_tx", "truncated", transfer[:40])


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7f) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def frame(msg): return uvarint(len(msg)) + msg
def field(num, payload): return uvarint(num << 3 | 2) + uvarint(len(payload)) + payload
def varint_field(num, v): return uvarint(num << 3) + uvarint(v)


write("abci_frames", "three_frames", b"\xff" + frame(b"") + frame(b"abc") + frame(bytes(300)))
write("abci_frames", "partial", b"\x10" + frame(b"hello")[:-2])
write("abci_frames", "too_large", b"\x00" + frame(bytes(40)))
write("abci_frames", "varint_overflow", b"\xff" + b"\xff" * 9 + b"\x02")

# tendermint.abci.Request fields: echo 1, flush 2, info 3, init_chain 5, query 6, check_tx 8,
# commit 11, prepare_proposal 16, process_proposal 17, finalize_block 20.
genesis = json.dumps({"chain_id": "nym-fuzz", "pipe_account": "0x" + PIPE.hex()}).encode()
flush = frame(field(2, b""))
session = b"".join([
    frame(field(1, field(1, b"hello"))),
    frame(field(3, b"")),
    flush,
    frame(field(5, field(2, b"nym-fuzz") + field(5, genesis) + varint_field(6, 1))),
    flush,
    frame(field(8, field(1, transfer))),
    frame(field(16, varint_field(1, 1000) + field(2, transfer))),
    frame(field(17, field(1, transfer))),
    frame(field(20, field(1, transfer) + varint_field(5, 1))),
    frame(field(11, b"")),
    frame(field(6, field(1, bytes(20)) + field(2, b"/balance"))),
    frame(field(6, field(2, b"/params"))),
    flush,
])
write("abci_connection", "session", b"\x07" + session)
write("abci_connection", "session_bytewise", b"\x00" + session)
write("abci_connection", "garbage_after_echo", b"\xff" + frame(field(1, field(1, b"x"))) + frame(b"\xff\xff\xff"))
write("abci_connection", "unknown_request", b"\x10" + frame(b"") + flush)
