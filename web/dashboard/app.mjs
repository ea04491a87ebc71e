// The dashboard page: polls the directory's topology, follows /ws for the mix nodes' traffic
// reports and, when the directory knows a validator (--cometbft-rpc), reads the chain through
// /api/chain/; the credential services it watches (--issuer, --provider) come from /api/services. All state lives in model.mjs; this file only fetches and draws.
import * as M from "./model.mjs";

const TOPOLOGY_EVERY_MS = 2000;
const CHAIN_EVERY_MS = 3000;
const SERVICES_EVERY_MS = 2000;
const TICK_MS = 1000;
const LAST_BLOCKS = 10;
const SVG = "http://www.w3.org/2000/svg";
const COLUMNS = [1, 2, 3, "gateway"];
const COLUMN_TITLES = { 1: "layer 1", 2: "layer 2", 3: "layer 3", gateway: "gateways" };
const PALETTE = ["#2f6fdf", "#d0487a", "#1d8a4b", "#b7791f", "#8a4fd8", "#0f9bb3", "#e0622a", "#6b7c1a", "#a33ea1"];

const book = new M.NodeBook();
const traffic = new M.Traffic();
const $ = (id) => document.getElementById(id);
const stats = { reports: 0, skipped: 0 };
const link = { socket: null, open: false, attempt: 0, retryAtMs: 0, topologyOk: false };

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function cell(text, className, title) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  if (title) td.title = title;
  return td;
}

// ---- connection state ------------------------------------------------------------------------------

function showConnection() {
  const c = $("connection");
  if (link.open && link.topologyOk) {
    c.dataset.state = "live";
    c.textContent = "live";
  } else if (link.attempt === 0 && !link.retryAtMs) {
    c.dataset.state = "connecting";
    c.textContent = "connecting…";
  } else {
    c.dataset.state = "disconnected";
    const wait = Math.max(0, Math.ceil((link.retryAtMs - Date.now()) / 1000));
    c.textContent = wait > 0 ? `disconnected, retrying in ${wait} s` : "disconnected, retrying…";
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws`);
  link.socket = socket;
  socket.onopen = () => {
    link.open = true;
    link.attempt = 0;
    link.retryAtMs = 0;
    refreshTopology();
  };
  socket.onmessage = (event) => {
    const parsed = typeof event.data === "string" ? M.parseReport(event.data) : { ok: false };
    if (!parsed.ok) {
      stats.skipped += 1; // a malformed report is counted and skipped, never fatal
    } else if (traffic.add(parsed.report, Date.now())) {
      stats.reports += 1;
    }
    showCounts();
  };
  socket.onclose = () => {
    if (link.socket !== socket) return;
    link.open = false;
    const delay = M.retryDelayMs(link.attempt++);
    link.retryAtMs = Date.now() + delay;
    showConnection();
    setTimeout(connect, delay);
  };
}

function showCounts() {
  const skipped = stats.skipped ? `, ${stats.skipped} malformed skipped` : "";
  $("report-count").textContent = `(${stats.reports} reports${skipped})`;
  $("report-count").dataset.skipped = String(stats.skipped);
  $("report-count").dataset.reports = String(stats.reports);
}

// ---- topology ----------------------------------------------------------------------------------------

async function refreshTopology() {
  try {
    const response = await fetch("/api/presence/topology", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const topology = M.parseTopology(await response.json());
    if (!topology) throw new Error("not a topology");
    book.update(topology, Date.now());
    link.topologyOk = true;
  } catch {
    link.topologyOk = false; // the directory is down or restarting: keep what we know, unmarked
  }
  showConnection();
  drawNodes();
}

const graph = { nodes: new Map(), flows: new Map(), positions: new Map(), layers: null };

function layout(nodes) {
  const columns = new Map(COLUMNS.map((c) => [c, nodes.filter((n) => n.layer === c)]));
  const rows = Math.max(1, ...[...columns.values()].map((c) => c.length));
  // The drawing's width follows the screen (within 440-800 units) so labels stay readable on a phone.
  const width = Math.round(Math.min(800, Math.max(440, $("graph").clientWidth || 800)));
  const step = width / COLUMNS.length;
  const top = 60;
  const rowHeight = 78;
  const height = top + rows * rowHeight + 10;
  const positions = new Map();
  COLUMNS.forEach((c, i) => {
    const list = columns.get(c);
    const x = step * (i + 0.5);
    list.forEach((n, j) => positions.set(n.identity, { x, y: top + 16 + (j + 0.5) * ((rows * rowHeight) / list.length) - rowHeight / 2 + 10 }));
  });
  return { width, height, step, columns, positions };
}

function drawNodes() {
  const nodes = book.list();
  const svg = $("graph");
  const { width, height, step, columns, positions } = layout(nodes);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  if (!graph.layers) {
    graph.layers = { links: el("g", { class: "links" }), flows: el("g", { class: "flows" }), columns: new Map() };
    svg.append(graph.layers.links, graph.layers.flows);
    COLUMNS.forEach((c) => {
      const g = el("g", { class: "column", "data-layer": c });
      g.append(el("text", { class: "column-title", y: 28, "text-anchor": "middle" }, COLUMN_TITLES[c]));
      graph.layers.columns.set(c, g);
      svg.append(g);
    });
  }
  COLUMNS.forEach((c, i) => graph.layers.columns.get(c).firstChild.setAttribute("x", String(step * (i + 0.5))));
  // Faint links between consecutive columns: the routes a packet may take.
  graph.layers.links.replaceChildren();
  for (let i = 0; i + 1 < COLUMNS.length; i++) {
    for (const a of columns.get(COLUMNS[i])) {
      for (const b of columns.get(COLUMNS[i + 1])) {
        const p = positions.get(a.identity), q = positions.get(b.identity);
        graph.layers.links.append(el("line", { class: "link", x1: p.x, y1: p.y, x2: q.x, y2: q.y }));
      }
    }
  }
  const now = Date.now();
  for (const [identity, g] of graph.nodes) {
    if (!book.nodes.has(identity)) {
      g.remove();
      graph.nodes.delete(identity);
    }
  }
  for (const n of nodes) {
    let g = graph.nodes.get(n.identity);
    if (!g || g.dataset.layer !== String(n.layer)) {
      if (g) g.remove();
      g = el("g", { class: "node", "data-identity": n.identity, "data-layer": n.layer });
      g.append(el("title"), el("circle", { r: 14 }), el("text", { class: "name", "text-anchor": "middle", y: 32 }),
        el("text", { class: "host", "text-anchor": "middle", y: 47 }), el("text", { class: "stale-mark", "text-anchor": "middle", y: 5 }),
        el("text", { class: "stale-label", "text-anchor": "middle", y: -21 }));
      graph.layers.columns.get(n.layer).append(g);
      graph.nodes.set(n.identity, g);
    }
    const p = positions.get(n.identity);
    g.setAttribute("transform", `translate(${p.x} ${p.y})`);
    g.dataset.stale = String(n.stale);
    const [title, , name, host, mark, label] = g.children;
    title.textContent = `${n.layer === "gateway" ? "gateway" : `layer ${n.layer} mix node`}\nidentity ${n.identity}\nhost ${n.host}\n` +
      `last seen ${M.ago(now - n.lastSeenMs)}${n.stale ? "\nSTALE: no longer in the directory's topology" : ""}`;
    name.textContent = M.shortKey(n.identity);
    host.textContent = n.host;
    mark.textContent = n.stale ? "✕" : "";
    label.textContent = n.stale ? "stale" : "";
  }
  graph.positions = positions;
  drawTable(nodes, now);
  $("summary").textContent = summary(nodes);
}

function summary(nodes) {
  const live = nodes.filter((n) => !n.stale);
  const mixes = live.filter((n) => n.layer !== "gateway").length;
  const stale = nodes.length - live.length;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(mixes, "mix node")}, ${plural(live.length - mixes, "gateway")}` + (stale ? `, ${stale} stale` : "");
}

function drawTable(nodes, now) {
  const body = $("nodes").tBodies[0];
  const rows = nodes.map((n) => {
    const tr = document.createElement("tr");
    tr.dataset.identity = n.identity;
    tr.dataset.layer = String(n.layer);
    tr.dataset.stale = String(n.stale);
    if (n.stale) tr.className = "stale";
    const state = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = `badge ${n.stale ? "stale" : "live"}`;
    badge.textContent = n.stale ? "stale" : "live";
    state.append(badge);
    const c = n.layer === "gateway" ? null : traffic.current(n.pubKey, now);
    const last = n.layer === "gateway" ? undefined : traffic.latest.get(n.pubKey);
    const lastCell = cell(last ? `${last.report.received} / ${last.report.sentTotal}` : "–", "num last-report");
    if (last) {
      lastCell.dataset.received = String(last.report.received);
      lastCell.dataset.sent = String(last.report.sentTotal);
      lastCell.dataset.timestamp = String(last.report.timestamp);
    }
    tr.append(cell(n.layer === "gateway" ? "gateway" : String(n.layer)), cell(M.shortKey(n.identity), "identity", n.identity),
      cell(n.host, "host"), cell(M.ago(now - n.lastSeenMs), "last-seen"), state,
      cell(c ? c.receivedRate.toFixed(1) : "–", "num received-rate"), cell(c ? c.sentRate.toFixed(1) : "–", "num sent-rate"), lastCell);
    return tr;
  });
  body.replaceChildren(...rows);
}

// ---- traffic: animated edges and charts ----------------------------------------------------------

function drawFlows(now) {
  const seen = new Set();
  for (const n of book.nodes.values()) {
    if (n.layer === "gateway" || n.stale) continue;
    const from = graph.positions.get(n.identity);
    for (const [host, rate] of traffic.current(n.pubKey, now).sentRates) {
      const target = book.byHost(host);
      const to = target && graph.positions.get(target.identity);
      if (!from || !to || rate <= 0) continue;
      const key = `${n.identity}>${target.identity}`;
      seen.add(key);
      let path = graph.flows.get(key);
      if (!path) {
        path = el("path", { class: "flow", "data-from": n.identity, "data-to": target.identity });
        graph.layers.flows.append(path);
        graph.flows.set(key, path);
      }
      const pull = Math.abs(to.x - from.x) / 3;
      path.setAttribute("d", `M${from.x} ${from.y} C${from.x + pull} ${from.y} ${to.x - pull} ${to.y} ${to.x} ${to.y}`);
      path.setAttribute("stroke-width", (1 + Math.log2(1 + rate)).toFixed(1));
      path.style.animationDuration = `${Math.max(0.3, 3 / Math.log2(2 + rate)).toFixed(2)}s`;
      path.dataset.rate = rate.toFixed(1);
    }
  }
  for (const [key, path] of graph.flows) {
    if (!seen.has(key)) {
      path.remove();
      graph.flows.delete(key);
    }
  }
}

const charts = { received: null, sent: null, keys: "" };

function chartOptions(which, mixes, width) {
  const style = getComputedStyle(document.documentElement);
  const fg = style.getPropertyValue("--muted").trim();
  const grid = style.getPropertyValue("--grid").trim();
  const axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
  return {
    width, height: 200,
    legend: { live: false },
    cursor: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(5, max * 1.1)] } },
    axes: [axis, { ...axis, size: 45 }],
    series: [{}, ...mixes.map((n, i) => ({
      label: `L${n.layer} ${M.shortKey(n.identity)}`, stroke: PALETTE[i % PALETTE.length], width: 1.5, points: { show: false },
    }))],
  };
}

function drawCharts() {
  if (typeof uPlot !== "function") return;
  const mixes = book.list().filter((n) => n.layer !== "gateway" && traffic.rows.has(n.pubKey));
  const keys = mixes.map((n) => n.pubKey).join(",");
  for (const which of ["received", "sent"]) {
    const box = $(`chart-${which}`);
    const data = [traffic.times.slice(), ...mixes.map((n) => traffic.rows.get(n.pubKey)[which].slice())];
    if (!charts[which] || charts.keys !== keys) {
      if (charts[which]) charts[which].destroy();
      charts[which] = new uPlot(chartOptions(which, mixes, box.clientWidth || 300), data, box);
    } else {
      charts[which].setData(data);
    }
    box.dataset.points = String(traffic.times.length);
  }
  charts.keys = keys;
}

function resizeCharts() {
  for (const which of ["received", "sent"]) {
    const box = $(`chart-${which}`);
    if (charts[which] && box.clientWidth) charts[which].setSize({ width: box.clientWidth, height: 200 });
  }
}

function tick() {
  const now = Date.now();
  const mixKeys = book.list().filter((n) => n.layer !== "gateway" && !n.stale).map((n) => n.pubKey);
  traffic.sample(mixKeys, now);
  drawFlows(now);
  drawCharts();
  drawTable(book.list(), now);
  showConnection();
}

// ---- validator network -----------------------------------------------------------------------------

const chain = { configured: null, busy: false, scanned: undefined, blockSeconds: null, txBlocks: [] };

async function chainGet(method, query = "") {
  const response = await fetch(`/api/chain/${method}${query ? `?${query}` : ""}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`${method}: HTTP ${response.status}`);
  const answer = await response.json();
  if (!answer || !answer.result) throw new Error(`${method}: no result`);
  return answer;
}

async function refreshChain() {
  if (chain.busy) return;
  chain.busy = true;
  try {
    await readChain();
  } finally {
    chain.busy = false;
  }
}

async function readChain() {
  const section = $("chain");
  try {
    if (chain.configured === null) {
      const response = await fetch("/api/chain", { cache: "no-store" });
      if (!response.ok) return; // an old directory or the directory is down: try again later
      chain.configured = (await response.json()).configured === true;
    }
    if (!chain.configured) {
      section.dataset.state = "absent";
      $("chain-message").textContent = "No validator network configured (start nym-directory with --cometbft-rpc URL).";
      return;
    }
    const status = (await chainGet("status")).result;
    const height = Number(status.sync_info.latest_block_height);
    const [validators, net] = await Promise.all([chainGet("validators", "per_page=100"), chainGet("net_info")]);
    // Every block since the page opened (and the 20 before), 20 at a time as CometBFT pages them:
    // the blocks with transactions keep their event counts, so none is missed between two polls.
    if (chain.scanned === undefined) chain.scanned = Math.max(0, height - 20);
    for (let pages = 0; chain.scanned < height && pages < 5; pages++) {
      const from = chain.scanned + 1;
      const to = Math.min(height, chain.scanned + 20);
      const metas = (await chainGet("blockchain", `minHeight=${from}&maxHeight=${to}`)).result.block_metas || [];
      if (metas.length >= 2) chain.blockSeconds = M.meanBlockSeconds(metas);
      for (const meta of metas.sort((a, b) => Number(a.header.height) - Number(b.header.height))) {
        if (Number(meta.num_txs) === 0) continue;
        const counts = M.countLedgerEvents(await chainGet("block_results", `height=${meta.header.height}`));
        chain.txBlocks.unshift({ height: Number(meta.header.height), time: meta.header.time, txs: Number(meta.num_txs), counts });
      }
      chain.txBlocks = chain.txBlocks.slice(0, LAST_BLOCKS);
      chain.scanned = to;
    }
    drawChain(status, validators.result, net.result);
    section.dataset.state = "ok";
    $("chain-message").textContent = `from ${status.node_info.moniker || "the configured validator"}${status.sync_info.catching_up ? " (catching up)" : ""}`;
  } catch (error) {
    if (chain.configured !== true) return; // the directory itself is unreachable: the header says so
    section.dataset.state = "error";
    $("chain-message").textContent = `validator network unreachable (${error.message}); retrying`;
  }
}

function drawChain(status, validators, net) {
  $("chain-id").textContent = status.node_info.network;
  $("chain-height").textContent = status.sync_info.latest_block_height;
  $("chain-block-time").textContent = chain.blockSeconds === null ? "–" : `${chain.blockSeconds.toFixed(2)} s`;
  $("chain-peers").textContent = String(net.n_peers);
  const list = validators.validators || [];
  const total = list.reduce((s, v) => s + Number(v.voting_power), 0) || 1;
  $("validators").tBodies[0].replaceChildren(...list.map((v) => {
    const tr = document.createElement("tr");
    tr.dataset.address = v.address;
    tr.append(cell(M.shortKey(v.address), "address", v.address), cell(v.voting_power, "num power"),
      cell(`${((100 * Number(v.voting_power)) / total).toFixed(1)} %`, "num"));
    return tr;
  }));
  $("blocks").tBodies[0].replaceChildren(...chain.txBlocks.map((block) => {
    const tr = document.createElement("tr");
    tr.dataset.height = String(block.height);
    const events = document.createElement("td");
    for (const [type, n] of Object.entries(block.counts)) {
      if (!n) continue;
      const b = document.createElement("span");
      b.className = "badge event";
      b.dataset.event = type;
      b.textContent = `${type.replaceAll("_", " ")} ×${n}`;
      events.append(b);
    }
    tr.append(cell(String(block.height), "num"), cell(new Date(block.time).toLocaleTimeString()), cell(String(block.txs), "num"), events);
    return tr;
  }));
}

// ---- credential services -------------------------------------------------------------------------

const services = { busy: false };

async function refreshServices() {
  if (services.busy) return;
  services.busy = true;
  try {
    const response = await fetch("/api/services", { cache: "no-store" });
    if (!response.ok) return; // an older directory: the panel stays hidden
    drawServices(M.parseServices(await response.json()));
  } catch {
    // the directory is unreachable: the header says so; the last list stays as it was
  } finally {
    services.busy = false;
  }
}

function drawServices(list) {
  const section = $("services");
  section.hidden = list.length === 0;
  section.dataset.state = list.length === 0 ? "absent" : "ok";
  const up = list.filter((s) => s.up).length;
  $("services-summary").textContent = list.length ? `${up} of ${list.length} up` : "";
  const now = Date.now();
  $("service-list").tBodies[0].replaceChildren(...list.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.kind = s.kind;
    tr.dataset.url = s.url;
    tr.dataset.up = String(s.up);
    const state = document.createElement("td");
    const badge = document.createElement("span");
    const word = s.up ? "up" : s.checked ? "down" : "unknown";
    badge.className = `badge ${word}`;
    badge.textContent = s.checked ? word : "checking…";
    state.append(badge);
    if (!s.up && s.error) {
      const why = document.createElement("div");
      why.className = "error";
      why.textContent = s.error;
      state.append(why);
    }
    const facts = document.createElement("td");
    facts.className = "facts";
    for (const [label, value] of s.facts) {
      const f = document.createElement("span");
      f.className = "fact";
      f.dataset.fact = label;
      f.append(`${label} `);
      const b = document.createElement("b");
      b.textContent = label === "address" ? M.shortKey(value) : value;
      if (label === "address") b.title = value;
      f.append(b);
      facts.append(f);
    }
    const service = cell(s.kind, "kind");
    const url = document.createElement("small");
    url.className = "url";
    url.textContent = s.url;
    service.append(url);
    tr.append(service, state,
      cell(s.lastOkMs === null ? "never" : M.ago(now - s.lastOkMs), "last-ok"), facts);
    return tr;
  }));
}

// ---- start -------------------------------------------------------------------------------------------

showConnection();
showCounts();
connect();
refreshTopology();
refreshChain();
refreshServices();
setInterval(refreshTopology, TOPOLOGY_EVERY_MS);
setInterval(refreshServices, SERVICES_EVERY_MS);
setInterval(refreshChain, CHAIN_EVERY_MS);
setInterval(tick, TICK_MS);
addEventListener("resize", () => {
  resizeCharts();
  drawNodes();
});
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  charts.keys = ""; // rebuild with the other scheme's colours
  drawCharts();
});
