// The dashboard's model: parsing what the directory and the validator RPC send, the nodes seen so
// far (with their stale marks) and the bounded traffic history. No DOM and no network here, so Node.js
// runs the same code in tests/unit/web/dashboard_model_test.mjs.

/** Nodes that have not appeared in the topology for this long leave the page. */
export const FORGET_AFTER_MS = 10 * 60 * 1000;
/** Points kept per traffic chart (one a second: two minutes). */
export const HISTORY_POINTS = 120;
/** A node's rate counts as current for this long after its last report. */
export const REPORT_FRESH_MS = 3000;
/** The ledger's event types (docs/protocol/ledger.md §4) the page counts per block. */
export const LEDGER_EVENTS = [
  "credential_request", "credential_deposit", "verifier_vote", "credential_spent", "credential_refused",
  "transfer", "watcher_notice", "erc20_credit",
];

const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
const isKey = (v) => typeof v === "string" && v.length > 0 && v.length <= 64;

/**
 * One MixMetric pushed on /ws (docs/protocol/directory.md): {pubKey, sent: {host: n}, received, timestamp}.
 * Returns {ok: true, report} or {ok: false, reason}; never throws.
 */
export function parseReport(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, reason: "not an object" };
  if (!isKey(value.pubKey)) return { ok: false, reason: "pubKey missing" };
  if (!isCount(value.received)) return { ok: false, reason: "received is not a count" };
  if (!isCount(value.timestamp)) return { ok: false, reason: "timestamp is not a number" };
  const sent = new Map();
  if (value.sent !== null && value.sent !== undefined) {
    if (typeof value.sent !== "object" || Array.isArray(value.sent)) return { ok: false, reason: "sent is not an object" };
    for (const [host, count] of Object.entries(value.sent)) {
      if (!isCount(count)) return { ok: false, reason: "a sent count is not a count" };
      sent.set(host, count);
    }
  }
  let sentTotal = 0;
  for (const n of sent.values()) sentTotal += n;
  return { ok: true, report: { pubKey: value.pubKey, sent, sentTotal, received: value.received, timestamp: value.timestamp } };
}

function parseNode(raw, kind) {
  if (raw === null || typeof raw !== "object") return null;
  const { identityKey, pubKey, host, lastSeen, version } = raw;
  if (!isKey(identityKey) || !isKey(pubKey) || typeof host !== "string") return null;
  let layer = "gateway";
  if (kind === "mix") {
    if (![1, 2, 3].includes(raw.layer)) return null;
    layer = raw.layer;
  }
  return {
    identity: identityKey,
    pubKey,
    host,
    layer,
    version: typeof version === "string" ? version : "",
    // lastSeen is Unix nanoseconds of the directory's clock.
    lastSeenMs: typeof lastSeen === "number" ? Math.floor(lastSeen / 1e6) : 0,
    clientListener: typeof raw.clientListener === "string" ? raw.clientListener : undefined,
    clients: Array.isArray(raw.registeredClients) ? raw.registeredClients.length : undefined,
  };
}

/** GET /api/presence/topology → [node], malformed entries dropped; null when it is not a topology. */
export function parseTopology(value) {
  if (value === null || typeof value !== "object") return null;
  const mixes = Array.isArray(value.MixNodes) ? value.MixNodes : [];
  const gateways = Array.isArray(value.MixProviderNodes) ? value.MixProviderNodes : [];
  return [...mixes.map((n) => parseNode(n, "mix")), ...gateways.map((n) => parseNode(n, "gateway"))].filter(Boolean);
}

/**
 * Every node seen since the page opened. The directory lists a node only while its heartbeats
 * arrive (--presence-timeout), so a node missing from the latest topology is stale; it stays on
 * the page, marked, until FORGET_AFTER_MS.
 */
export class NodeBook {
  constructor() {
    this.nodes = new Map(); // identity -> node
  }

  /** Merges one topology fetched at `nowMs` (the page's clock). */
  update(topology, nowMs) {
    const present = new Set();
    for (const node of topology) {
      present.add(node.identity);
      const known = this.nodes.get(node.identity);
      this.nodes.set(node.identity, { ...known, ...node, stale: false, missingSinceMs: undefined, seenAtMs: nowMs });
    }
    for (const [identity, node] of this.nodes) {
      if (present.has(identity)) continue;
      if (!node.stale) {
        node.stale = true;
        node.missingSinceMs = nowMs;
      } else if (nowMs - node.missingSinceMs > FORGET_AFTER_MS) {
        this.nodes.delete(identity);
      }
    }
  }

  list() {
    const order = (n) => (n.layer === "gateway" ? 4 : n.layer);
    return [...this.nodes.values()].sort((a, b) => order(a) - order(b) || a.host.localeCompare(b.host));
  }

  byPubKey(pubKey) {
    for (const n of this.nodes.values()) if (n.pubKey === pubKey) return n;
    return undefined;
  }

  byHost(host) {
    for (const n of this.nodes.values()) if (n.host === host) return n;
    return undefined;
  }
}

/**
 * The latest report of each mix node and its rates. A report counts the packets of one reporting
 * period (1 s by default); the rate divides by the time since the node's previous report when that
 * is known and plausible (0.2–10 s), else by one second.
 */
export class Traffic {
  constructor(capacity = HISTORY_POINTS) {
    this.capacity = capacity;
    this.latest = new Map(); // pubKey -> {report, receivedRate, sentRate, sentRates: Map host->rate, atMs}
    this.times = [];          // seconds (x axis)
    this.rows = new Map();    // pubKey -> {received: [], sent: []}, aligned with times
  }

  add(report, nowMs) {
    const previous = this.latest.get(report.pubKey);
    let seconds = 1;
    if (previous) {
      const dt = report.timestamp - previous.report.timestamp;
      if (dt <= 0) return false; // an old or repeated report
      if (dt >= 200 && dt <= 10000) seconds = dt / 1000;
    }
    const sentRates = new Map();
    for (const [host, n] of report.sent) sentRates.set(host, n / seconds);
    this.latest.set(report.pubKey, {
      report, receivedRate: report.received / seconds, sentRate: report.sentTotal / seconds, sentRates, atMs: nowMs,
    });
    return true;
  }

  /** The current rates of a node (zero when its last report is older than REPORT_FRESH_MS). */
  current(pubKey, nowMs) {
    const entry = this.latest.get(pubKey);
    if (!entry || nowMs - entry.atMs > REPORT_FRESH_MS) return { receivedRate: 0, sentRate: 0, sentRates: new Map() };
    return entry;
  }

  /** Appends one point per node at `nowMs`; at most `capacity` points are kept. */
  sample(pubKeys, nowMs) {
    this.times.push(nowMs / 1000);
    for (const key of pubKeys) {
      if (!this.rows.has(key)) this.rows.set(key, { received: this.times.slice(0, -1).map(() => null), sent: this.times.slice(0, -1).map(() => null) });
    }
    for (const [key, row] of this.rows) {
      const c = this.current(key, nowMs);
      row.received.push(c.receivedRate);
      row.sent.push(c.sentRate);
    }
    while (this.times.length > this.capacity) {
      this.times.shift();
      for (const row of this.rows.values()) {
        row.received.shift();
        row.sent.shift();
      }
    }
  }
}

/** Counts of our ledger events in one CometBFT /block_results answer ({result: {txs_results, finalize_block_events}}). */
export function countLedgerEvents(answer) {
  const counts = Object.fromEntries(LEDGER_EVENTS.map((t) => [t, 0]));
  const result = answer && answer.result;
  if (!result) return counts;
  const lists = [...(Array.isArray(result.txs_results) ? result.txs_results.map((tx) => tx && tx.events) : []),
    result.finalize_block_events];
  for (const events of lists) {
    if (!Array.isArray(events)) continue;
    for (const e of events) if (e && Object.hasOwn(counts, e.type)) counts[e.type] += 1;
  }
  return counts;
}

/** Mean seconds between consecutive blocks of a CometBFT /blockchain answer, or null. */
export function meanBlockSeconds(blockMetas) {
  const times = blockMetas.map((m) => Date.parse(m.header.time)).filter(Number.isFinite).sort((a, b) => a - b);
  if (times.length < 2) return null;
  return (times[times.length - 1] - times[0]) / (times.length - 1) / 1000;
}

/** "9Tx4…f2Qa" */
export function shortKey(key) {
  return key.length <= 12 ? key : `${key.slice(0, 6)}…${key.slice(-4)}`;
}

/** "3 s ago", "2 min ago" */
export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** Reconnection back-off: 1 s, 2 s, 4 s, then every 5 s. */
export function retryDelayMs(attempt) {
  return Math.min(5000, 1000 * 2 ** Math.max(0, attempt));
}

/** The key numbers the page shows for each kind of credential service (GET /api/services's detail). */
export const SERVICE_FACTS = {
  issuer: [["index", "issuer"], ["processed_height", "processed height"], ["issued", "issued"], ["refused", "refused"]],
  provider: [["address", "address"], ["spend_timeout_ms", "spend timeout (ms)"]],
};

/**
 * The directory's GET /api/services answer as the page draws it: [{kind, url, checked, up, lastOkMs,
 * error, facts: [[label, value]...]}] in the directory's order. Entries of an unknown kind or without
 * a URL are skipped; a malformed answer is an empty list (the panel stays hidden).
 */
export function parseServices(value) {
  const list = value && Array.isArray(value.services) ? value.services : [];
  const out = [];
  for (const s of list) {
    if (!s || typeof s !== "object" || !Object.hasOwn(SERVICE_FACTS, s.kind) || typeof s.url !== "string") continue;
    const detail = s.detail && typeof s.detail === "object" ? s.detail : {};
    out.push({
      kind: s.kind,
      url: s.url,
      checked: s.checked === true,
      up: s.up === true,
      lastOkMs: Number.isFinite(s.last_ok_ms) ? s.last_ok_ms : null,
      error: typeof s.error === "string" ? s.error : "",
      facts: SERVICE_FACTS[s.kind].filter(([key]) => typeof detail[key] === "string" || Number.isFinite(detail[key]))
        .map(([key, label]) => [label, String(detail[key])]),
    });
  }
  return out;
}
