// The dashboard's model (web/dashboard/model.mjs) in Node.js: what the page does with every report
// pushed on /ws, every topology and every block's events. Run: node --test tests/unit/web/
import assert from "node:assert/strict";
import { test } from "node:test";

import * as M from "../../../web/dashboard/model.mjs";

const report = (over = {}) => JSON.stringify({ pubKey: "K1", sent: { "127.0.0.1:2000": 3, "127.0.0.1:2001": 4 }, received: 9, timestamp: 1000, signature: "s", ...over });

test("a well-formed report is parsed with its sent total", () => {
  const r = M.parseReport(report());
  assert.equal(r.ok, true);
  assert.equal(r.report.received, 9);
  assert.equal(r.report.sentTotal, 7);
  assert.deepEqual([...r.report.sent], [["127.0.0.1:2000", 3], ["127.0.0.1:2001", 4]]);
  assert.equal(M.parseReport(report({ sent: null })).report.sentTotal, 0);
});

test("malformed reports are refused with a reason, never thrown", () => {
  const bad = ["", "{", "null", "[]", "42", '"x"', report({ pubKey: undefined }), report({ pubKey: 7 }),
    report({ received: -1 }), report({ received: 1.5 }), report({ received: "9" }), report({ timestamp: "now" }),
    report({ sent: [1] }), report({ sent: { h: -2 } }), report({ sent: { h: "3" } }), report({ received: 2 ** 60 }),
    "\u0000\u0001", JSON.stringify({ pubKey: "x".repeat(65), received: 1, timestamp: 1 })];
  for (const text of bad) {
    const r = M.parseReport(text);
    assert.equal(r.ok, false, text);
    assert.equal(typeof r.reason, "string");
  }
});

test("rates divide by the time between a node's reports; old and repeated reports are dropped", () => {
  const t = new M.Traffic(3);
  assert.equal(t.add(M.parseReport(report({ timestamp: 1000, received: 10 })).report, 5000), true);
  assert.equal(t.current("K1", 5000).receivedRate, 10); // the first report: its own period, 1 s
  assert.equal(t.add(M.parseReport(report({ timestamp: 3000, received: 10 })).report, 6000), true);
  assert.equal(t.current("K1", 6000).receivedRate, 5); // 10 packets in 2 s
  assert.equal(t.current("K1", 6000).sentRates.get("127.0.0.1:2001"), 2);
  assert.equal(t.add(M.parseReport(report({ timestamp: 3000, received: 99 })).report, 6100), false);
  assert.equal(t.current("K1", 6000 + M.REPORT_FRESH_MS + 1).receivedRate, 0); // silent: no rate
});

test("the history is bounded and aligned across nodes that appear later", () => {
  const t = new M.Traffic(3);
  t.add(M.parseReport(report()).report, 0);
  t.sample(["K1"], 100);
  t.sample(["K1", "K2"], 1100);
  for (let i = 0; i < 5; i++) t.sample(["K1", "K2"], 2100 + i * 1000);
  assert.equal(t.times.length, 3);
  for (const row of t.rows.values()) {
    assert.equal(row.received.length, 3);
    assert.equal(row.sent.length, 3);
  }
});

const topology = (mixes, gateways = []) => ({
  MixNodes: mixes.map(([id, layer]) => ({ identityKey: id, pubKey: `p${id}`, host: `h${id}:1`, layer, lastSeen: 2e18, version: "0.1.0" })),
  MixProviderNodes: gateways.map((id) => ({ identityKey: id, pubKey: `p${id}`, host: `h${id}:1`, lastSeen: 2e18, clientListener: "ws://x", registeredClients: [] })),
});

test("a node missing from the topology is marked stale, kept, and unmarked when it returns", () => {
  const book = new M.NodeBook();
  book.update(M.parseTopology(topology([["a", 1], ["b", 2], ["c", 3]], ["g"])), 0);
  assert.deepEqual(book.list().map((n) => [n.identity, n.layer, n.stale]), [["a", 1, false], ["b", 2, false], ["c", 3, false], ["g", "gateway", false]]);
  assert.equal(book.nodes.get("a").lastSeenMs, 2e12);
  book.update(M.parseTopology(topology([["a", 1], ["c", 3]], ["g"])), 1000);
  assert.equal(book.nodes.get("b").stale, true);
  assert.equal(book.list().length, 4);
  book.update(M.parseTopology(topology([["a", 1], ["b", 2], ["c", 3]], ["g"])), 2000);
  assert.equal(book.nodes.get("b").stale, false);
  book.update(M.parseTopology(topology([["a", 1]], ["g"])), 3000);
  book.update(M.parseTopology(topology([["a", 1]], ["g"])), 3000 + M.FORGET_AFTER_MS + 1);
  assert.deepEqual(book.list().map((n) => n.identity), ["a", "g"]);
});

test("malformed topology entries are dropped, a non-topology is refused", () => {
  assert.equal(M.parseTopology(null), null);
  assert.equal(M.parseTopology("x"), null);
  const t = topology([["a", 1], ["b", 4]]);
  t.MixNodes.push({ layer: 1 }, null);
  assert.deepEqual(M.parseTopology(t).map((n) => n.identity), ["a"]);
});

test("our ledger events are counted per block, other events ignored", () => {
  const answer = { result: { height: "7", txs_results: [
    { code: 0, events: [{ type: "message" }, { type: "credential_deposit" }] },
    { code: 0, events: [{ type: "message" }, { type: "verifier_vote" }, { type: "credential_spent" }] },
    { code: 0, events: null }, null], finalize_block_events: [{ type: "transfer" }] } };
  const counts = M.countLedgerEvents(answer);
  assert.equal(counts.credential_deposit, 1);
  assert.equal(counts.verifier_vote, 1);
  assert.equal(counts.credential_spent, 1);
  assert.equal(counts.transfer, 1);
  assert.equal(counts.credential_request, 0);
  assert.equal(Object.hasOwn(counts, "message"), false);
  assert.deepEqual(M.countLedgerEvents({}), Object.fromEntries(M.LEDGER_EVENTS.map((e) => [e, 0])));
});

test("block time, back-off and labels", () => {
  const metas = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02.5Z"].map((time) => ({ header: { time } }));
  assert.equal(M.meanBlockSeconds(metas), 1.25);
  assert.equal(M.meanBlockSeconds(metas.slice(0, 1)), null);
  assert.deepEqual([0, 1, 2, 3, 10].map(M.retryDelayMs), [1000, 2000, 4000, 5000, 5000]);
  assert.equal(M.shortKey("123456789abcdefgh"), "123456…efgh");
  assert.equal(M.ago(4200), "4 s ago");
});

test("credential services: known kinds with their key numbers, malformed entries skipped", () => {
  const answer = { services: [
    { kind: "issuer", url: "http://127.0.0.1:4000", checked: true, up: true, last_ok_ms: 1700000000000, error: "",
      detail: { index: "1", chain_id: "c", processed_height: "41", issued: "7", refused: "0" } },
    { kind: "provider", url: "http://127.0.0.1:4100", checked: true, up: false, last_ok_ms: null,
      error: "unreachable: Connection refused", detail: {} },
    { kind: "verifier", url: "http://x" }, { kind: "issuer" }, null, 7] };
  const list = M.parseServices(answer);
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], { kind: "issuer", url: "http://127.0.0.1:4000", checked: true, up: true, lastOkMs: 1700000000000,
    error: "", facts: [["issuer", "1"], ["processed height", "41"], ["issued", "7"], ["refused", "0"]] });
  assert.equal(list[1].up, false);
  assert.equal(list[1].lastOkMs, null);
  assert.deepEqual(list[1].facts, []);
  assert.equal(list[1].error, "unreachable: Connection refused");
  for (const bad of [null, {}, { services: 3 }, "x"]) assert.deepEqual(M.parseServices(bad), []);
});
