// The network dashboard (/dashboard/ of nym-directory) in a real headless Chromium, driven by
// playwright-core, against real processes on loopback: nym-directory, four nym-mixnode (layers 1,
// 2, 2, 3), one nym-gateway and one nym-client, and — when CometBFT and nym-validator are there —
// the 4-validator network of tools/validators.py that the directory reads through --cometbft-rpc,
// with one nym-issuer and one nym-provider on it whose health the directory watches (--issuer,
// --provider).
//
// It opens the page on a desktop (light) and a phone (dark) viewport and checks, with generous waits
// only: every node of the directory's topology is drawn in its layer's column; with the client
// sending, the numbers move and each mix node's last report on the page equals the one the
// directory's API lists; the validator network shows the chain's height, the validators' voting
// power and a block with the transfer it made; the credential services panel shows the issuer and the
// provider up with their numbers, and the provider down once it is killed; a malformed frame on /ws is counted and skipped;
// a stopped mix node is marked stale; the directory killed and restarted shows "disconnected,
// retrying" and then live again. No uncaught page error at any time and no console error outside
// the outage (where Chromium itself logs the refused connections). Screenshots go to the output
// folder (desktop.png, phone.png, ...); NYM_DOCS_SCREENSHOT=path copies the desktop one there.
//
// Environment: NYM_BIN (folder of nym-directory, nym-mixnode, nym-gateway, nym-client),
// NYM_VALIDATOR_BIN (folder of nym-validator, nym-ledger-tx, nym-coconut-keygen, nym-issuer and
// nym-provider; default NYM_BIN), COMETBFT (the
// binary; the chain part is skipped, saying so, without it), CHROMIUM (default: chromium on PATH),
// NYM_TEST_OUT (default ./dashboard-test-output). Exit 0 pass, 1 fail, 77 skipped (no Chromium or
// no playwright-core: tools/install-deps.sh installs both).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SKIP = 77;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const BIN = process.env.NYM_BIN ?? path.join(ROOT, "build/ci/bin");
const VALIDATOR_BIN = process.env.NYM_VALIDATOR_BIN || BIN;
const OUT = path.resolve(process.env.NYM_TEST_OUT ?? "dashboard-test-output");
const HOST = "127.0.0.1";
const WAIT_MS = 60_000; // every wait is generous: the machine may be loaded

function which(name) {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

const chromiumPath = process.env.CHROMIUM || which("chromium") || which("chromium-browser");
if (!chromiumPath || !fs.existsSync(chromiumPath)) {
  console.log("SKIP: no Chromium (install Debian's chromium: tools/install-deps.sh)");
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.log("SKIP: no node_modules/playwright-core (npm ci: tools/install-deps.sh)");
  process.exit(SKIP);
}

fs.mkdirSync(OUT, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "nym-dashboard-"));
const children = new Set();
const stopValidators = []; // tools/validators.py's processes outlive this one unless stopped
let failed = false;

// Nothing this test starts outlives it: not on a crash, not when ctest's timeout or ^C stops it.
function killEverything() {
  for (const child of children) child.kill("SIGKILL");
  for (const stopNetwork of stopValidators.splice(0)) stopNetwork();
}
process.stdout.on("error", () => {}); // a closed pipe (| head) must not crash the test midway
process.on("exit", killEverything);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.log(`stopped by ${signal}; work folder kept: ${work}`);
    process.exit(1);
  });
}

function log(text) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
}

function fail(text) {
  throw new Error(text);
}

/** Starts a process, its output into work/logs/NAME.log; resolves with the first stdout line matching `ready`. */
function start(name, file, args, ready) {
  fs.mkdirSync(path.join(work, "logs"), { recursive: true });
  const logFile = fs.createWriteStream(path.join(work, "logs", `${name}.log`), { flags: "a" });
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.name = name;
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.stderr.pipe(logFile);
  return new Promise((resolve, reject) => {
    let buffer = "";
    let done = !ready;
    if (done) resolve({ child, line: "" });
    const timer = setTimeout(() => !done && reject(new Error(`${name} did not print '${ready}' within 30 s`)), 30_000);
    child.stdout.on("data", (chunk) => {
      logFile.write(chunk);
      buffer += chunk.toString();
      let nl;
      while (!done && (nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith(ready)) {
          done = true;
          clearTimeout(timer);
          resolve({ child, line });
        }
      }
    });
    child.on("exit", (code) => !done && reject(new Error(`${name} exited (${code}) before '${ready}': ${tail(name)}`)));
  });
}

function tail(name, lines = 15) {
  try {
    return fs.readFileSync(path.join(work, "logs", `${name}.log`), "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function runOnce(file, args) {
  const r = spawnSync(file, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) fail(`${path.basename(file)} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function stop(child, signal = "SIGTERM") {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` (returning a truthy value when satisfied) until WAIT_MS; fails with `what` and the last state. */
async function waitFor(what, check, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  fail(`timed out after ${ms / 1000} s waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

async function api(port, target) {
  const response = await fetch(`http://${HOST}:${port}${target}`);
  if (!response.ok) fail(`GET ${target}: HTTP ${response.status}`);
  return response.json();
}

// ---- the network -----------------------------------------------------------------------------------

async function startDirectory(port, rpc, services = []) {
  const args = ["--host", HOST, "--port", String(port), "--presence-timeout", "4s", "--log-level", "info"];
  if (rpc) args.push("--cometbft-rpc", rpc);
  for (const s of services) args.push(`--${s.kind}`, s.url);
  const { child, line } = await start("directory", path.join(BIN, "nym-directory"), args, "nym-directory listening on");
  const bound = Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
  if (!bound) fail(`no port in: ${line}`);
  return { child, port: bound };
}

async function startValidators() {
  const cometbft = process.env.COMETBFT;
  if (!cometbft || !fs.existsSync(cometbft) || !fs.existsSync(path.join(VALIDATOR_BIN, "nym-validator"))) {
    log("validator network: SKIPPED (set COMETBFT and build nym-validator; tools/install-deps.sh installs CometBFT)");
    return null;
  }
  const dir = path.join(work, "validators");
  const env = { ...process.env, NYM_BIN: VALIDATOR_BIN, COMETBFT: cometbft, VALIDATORS_LOG_DIR: path.join(work, "logs") };
  const tool = path.join(ROOT, "tools/validators.py");
  // A 2-of-3 Coconut key set from a trusted dealer (nym-coconut-keygen): the genesis lists the issuers'
  // keys, issuer 1 runs.
  const keys = path.join(work, "coconut-keys");
  runOnce(path.join(VALIDATOR_BIN, "nym-coconut-keygen"), ["--attributes", "5", "-n", "3", "-t", "2", "--out", keys]);
  for (const command of [["build", "--timeout-commit", "400ms", "--issuer-keys", path.join(keys, "issuerKeys")], ["start"]]) {
    if (command[0] === "start") stopValidators.push(() => spawnSync("python3", [tool, "--dir", dir, "stop"], { env, timeout: 60_000 }));
    const r = spawnSync("python3", [tool, "--dir", dir, ...command], { env, encoding: "utf8", timeout: 180_000 });
    if (r.status !== 0) fail(`validators.py ${command[0]}: ${r.stderr}${r.stdout}`);
  }
  const network = JSON.parse(fs.readFileSync(path.join(dir, "network.json"), "utf8"));
  log(`validator network: 4 validators, node0 RPC ${network.rpc}`);
  return {
    rpc: network.rpc,
    network,
    dir,
    keys,
    transfer: () => {
      const r = spawnSync("python3", [tool, "--dir", dir, "transfer", "--from", "alice", "--to", "bob", "--amount", "5"],
        { env, encoding: "utf8", timeout: 60_000 });
      if (r.status !== 0) fail(`transfer: ${r.stderr}${r.stdout}`);
      return Number(/at height (\d+)/.exec(r.stdout)?.[1]);
    },
  };
}

/** One nym-issuer and one nym-provider on the validator network (docs/protocol/credentials.md §3, §5). */
async function startCredentialServices(chain) {
  const ledger = `[ledger]\nnodes = [${chain.network.nodes.map((n) => `"http://${HOST}:${n.rpc_port}"`).join(", ")}]\n` +
    `chain_id = "${chain.network.chain_id}"\npoll_interval_ms = 100\n`;
  const issuerDir = path.join(work, "issuer1");
  const coconut = path.join(chain.keys, "issuer-1", "coconutkeys");
  const [secret] = fs.readdirSync(coconut).filter((f) => f.startsWith("threshold-secretKey"));
  const [verification] = fs.readdirSync(coconut).filter((f) => f.startsWith("threshold-verificationKey"));
  fs.mkdirSync(issuerDir, { recursive: true });
  fs.writeFileSync(path.join(issuerDir, "config.toml"), `[issuer]\nlisten_host = "${HOST}"\nlisten_port = 4000\n` +
    `secret_key = "${path.join(coconut, secret)}"\nverification_key = "${path.join(coconut, verification)}"\n` +
    `data_dir = "data"\nworkers = 1\n\n${ledger}`);
  const providerDir = path.join(work, "provider1");
  fs.mkdirSync(providerDir, { recursive: true });
  fs.writeFileSync(path.join(providerDir, "config.toml"), `[provider]\nlisten_host = "${HOST}"\nlisten_port = 4100\n` +
    `account_key = "${path.join(chain.dir, "accounts", "provider1.key")}"\nissuer_keys = "${path.join(chain.keys, "issuerKeys")}"\n` +
    `issuer_threshold = 2\nspend_timeout_ms = 10000\nnonce_lifetime_ms = 60000\n\n${ledger}`);
  const [issuer, provider] = await Promise.all([
    start("issuer1", path.join(VALIDATOR_BIN, "nym-issuer"), ["-f", path.join(issuerDir, "config.toml"), "--port", "0"], "nym-issuer 1 listening on"),
    start("provider1", path.join(VALIDATOR_BIN, "nym-provider"), ["-f", path.join(providerDir, "config.toml"), "--port", "0"], "nym-provider "),
  ]);
  const urlIn = (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? fail(`no URL in: ${line}`);
  const services = [
    { kind: "issuer", url: urlIn(issuer.line), child: issuer.child },
    { kind: "provider", url: urlIn(provider.line), child: provider.child, address: chain.network.accounts.provider1.address },
  ];
  log(`credential services: issuer 1 on ${services[0].url}, provider1 on ${services[1].url}`);
  return services;
}

/** The credential services panel's rows: [{kind, url, up, badge, facts: {label: text}}]. */
function serviceRows(page) {
  return page.$$eval("#service-list tbody tr", (trs) => trs.map((tr) => ({
    kind: tr.dataset.kind, url: tr.dataset.url, up: tr.dataset.up, badge: tr.querySelector(".badge")?.textContent,
    facts: Object.fromEntries([...tr.querySelectorAll(".fact")].map((f) => [f.dataset.fact, f.querySelector("b").title || f.querySelector("b").textContent])),
  })));
}

async function startMixnet(directoryUrl) {
  const mixRoot = path.join(work, "mixnodes");
  const gatewayRoot = path.join(work, "gateways");
  const clientRoot = path.join(work, "clients");
  const mixes = [["mix-1", 1], ["mix-2a", 2], ["mix-2b", 2], ["mix-3", 3]];
  const started = [];
  for (const [id, layer] of mixes) {
    runOnce(path.join(BIN, "nym-mixnode"), ["init", "--id", id, "--layer", String(layer), "--host", HOST, "--port", "1789",
      "--directory", directoryUrl, "--root", mixRoot]);
    started.push(start(id, path.join(BIN, "nym-mixnode"), ["run", "--id", id, "--root", mixRoot, "--port", "0", "--workers", "1",
      "--max-delay", "2s", "--heartbeat-interval", "1s", "--log-level", "info"], "nym-mixnode listening on"));
  }
  const init = runOnce(path.join(BIN, "nym-gateway"), ["init", "--id", "gateway", "--host", HOST, "--mix-port", "1790",
    "--clients-port", "9000", "--directory", directoryUrl, "--root", gatewayRoot]);
  const gatewayIdentity = /identity key \(ed25519\): (\S+)/.exec(init)?.[1] ?? fail(`no identity in: ${init}`);
  started.push(start("gateway", path.join(BIN, "nym-gateway"), ["run", "--id", "gateway", "--root", gatewayRoot,
    "--mix-port", "0", "--clients-port", "0", "--heartbeat-interval", "1s", "--log-level", "info"], "nym-gateway listening on"));
  const ready = await Promise.all(started);
  const nodes = Object.fromEntries(ready.map((s) => [s.child.name, s.child]));
  // "nym-mixnode listening on 127.0.0.1:P (layer L, announced as HOST:P)"
  const hosts = Object.fromEntries(ready.map((s) => [s.child.name, /announced as ([^)\s]+)/.exec(s.line)?.[1]]));
  return { nodes, hosts, gatewayIdentity, clientRoot };
}

async function startClient(directoryUrl, gatewayIdentity, root) {
  runOnce(path.join(BIN, "nym-client"), ["init", "--id", "alice", "--directory", directoryUrl, "--gateway", gatewayIdentity,
    "--port", "0", "--root", root]);
  const { child, line } = await start("alice", path.join(BIN, "nym-client"), ["run", "--id", "alice", "--root", root,
    "--port", "0", "--packet-delay", "10ms", "--send-delay", "20ms", "--loop-delay", "50ms", "--log-level", "info"],
  "nym-client listening on");
  const url = /(ws:\/\/\S+\/mix)/.exec(line)?.[1] ?? fail(`no websocket in: ${line}`);
  return { child, url };
}

/** Sends `count` messages from the client to itself through the mixnet (its websocket API, docs/protocol/client-api.md). */
async function sendMessages(url, count) {
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const answers = [];
  ws.on("message", (data) => answers.push(JSON.parse(data.toString())));
  ws.send(JSON.stringify({ type: "ownDetails" }));
  const own = await waitFor("the client's address", () => answers.find((a) => a.type === "ownDetails"));
  for (let i = 0; i < count; i++) {
    ws.send(JSON.stringify({ type: "send", message: `dashboard test ${i}`, recipient_address: own.address }));
  }
  await waitFor("the send confirmations", () => answers.filter((a) => a.type === "send").length === count);
  ws.close();
}

// ---- the page -------------------------------------------------------------------------------------

const consoleErrors = [];
const pageErrors = [];
let outage = false;
// What Chromium logs by itself while the directory is down (refused connections), not the page's code.
const NETWORK_ERROR = /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed|Failed to load resource/;

function watch(page, label) {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = `${label}: ${message.text()}`;
    if (outage && NETWORK_ERROR.test(message.text())) return;
    consoleErrors.push(text);
  });
  page.on("pageerror", (error) => pageErrors.push(`${label}: ${error.message}`));
  return page;
}

/** The nodes the page draws: [{identity, layer (column), stale}] from the SVG graph. */
function drawnNodes(page) {
  return page.$$eval("#graph g.column g.node", (nodes) => nodes.map((g) => ({
    identity: g.dataset.identity, column: g.closest("g.column").dataset.layer, layer: g.dataset.layer, stale: g.dataset.stale,
  })));
}

async function expectTopologyDrawn(page, label, port, count) {
  await waitFor(`${label}: every node of the topology (${count}) drawn in its layer`, async () => {
    const topology = await api(port, "/api/presence/topology");
    const expected = [...topology.MixNodes.map((n) => [n.identityKey, String(n.layer)]),
      ...topology.MixProviderNodes.map((n) => [n.identityKey, "gateway"])];
    if (expected.length !== count) return false;
    const drawn = await drawnNodes(page);
    for (const [identity, layer] of expected) {
      const node = drawn.find((d) => d.identity === identity);
      if (!node || node.column !== layer || node.stale !== "false") return false;
    }
    // The table lists the same nodes with host and last seen.
    const rows = await page.$$eval("#nodes tbody tr", (trs) => trs.map((tr) => ({
      identity: tr.dataset.identity, host: tr.querySelector(".host").textContent, seen: tr.querySelector(".last-seen").textContent,
    })));
    return expected.every(([identity]) => rows.some((r) => r.identity === identity && /:\d+$/.test(r.host) && /ago$/.test(r.seen)));
  });
}

/** The page's last report of each mix node: identity -> {timestamp, received, sent, receivedRate}. */
function pageReports(page) {
  return page.$$eval("#nodes tbody tr", (trs) => Object.fromEntries(trs.filter((tr) => tr.dataset.layer !== "gateway").map((tr) => {
    const last = tr.querySelector(".last-report");
    return [tr.dataset.identity, {
      timestamp: last.dataset.timestamp, received: last.dataset.received, sent: last.dataset.sent, text: last.textContent,
      receivedRate: Number(tr.querySelector(".received-rate").textContent),
    }];
  })));
}

async function main() {
  log(`work folder ${work}, screenshots to ${OUT}`);
  const chain = await startValidators();
  const services = chain ? await startCredentialServices(chain) : [];
  let directory = await startDirectory(0, chain?.rpc, services);
  const port = directory.port;
  const base = `http://${HOST}:${port}`;
  const net = await startMixnet(base);
  log(`directory on ${port}, 4 mix nodes and a gateway running`);

  const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  try {
    const desktop = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: "light" });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true,
      hasTouch: true, colorScheme: "dark" });
    const pages = { desktop: watch(await desktop.newPage(), "desktop"), phone: watch(await phone.newPage(), "phone") };
    for (const page of Object.values(pages)) await page.goto(`${base}/dashboard/`);

    // 1. The topology, each node in its layer.
    for (const [label, page] of Object.entries(pages)) await expectTopologyDrawn(page, label, port, 5);
    log("topology drawn: layers 1, 2, 2, 3 and the gateway in their columns on both pages");

    // 2. Traffic: a client with loop cover traffic, and messages to itself.
    const client = await startClient(base, net.gatewayIdentity, net.clientRoot);
    await sendMessages(client.url, 20);
    const topology = await api(port, "/api/presence/topology");
    const identityOf = Object.fromEntries(topology.MixNodes.map((n) => [n.pubKey, n.identityKey]));
    const matched = new Set();
    const timestamps = new Map(); // identity -> distinct report timestamps seen on the page
    await waitFor("each mix node's last report on the page to equal the directory's GET /api/metrics/mixes", async () => {
      const [reports, shown] = await Promise.all([api(port, "/api/metrics/mixes"), pageReports(pages.desktop)]);
      for (const [identity, r] of Object.entries(shown)) {
        if (r.timestamp) (timestamps.get(identity) ?? timestamps.set(identity, new Set()).get(identity)).add(r.timestamp);
      }
      for (const m of reports) {
        const identity = identityOf[m.pubKey];
        const r = shown[identity];
        const sent = Object.values(m.sent ?? {}).reduce((a, b) => a + b, 0);
        if (r && r.timestamp === String(m.timestamp) && r.received === String(m.received) && r.sent === String(sent) &&
            r.text === `${m.received} / ${sent}` && m.received > 0)
          matched.add(identity);
      }
      return matched.size === 4;
    });
    await waitFor("the numbers to move (several reports per node, rates above zero, flows drawn, chart points)", async () => {
      const shown = await pageReports(pages.desktop);
      for (const [identity, r] of Object.entries(shown)) if (r.timestamp) timestamps.get(identity)?.add(r.timestamp);
      const moving = timestamps.size === 4 && [...timestamps.values()].every((set) => set.size >= 3);
      const rates = Object.values(shown).filter((r) => r.receivedRate > 0).length;
      const flows = await pages.desktop.$$eval("#graph path.flow", (p) => p.length);
      const points = Number(await pages.desktop.getAttribute("#chart-received", "data-points"));
      const plotted = await pages.desktop.$$eval("#chart-received canvas", (c) => c.length);
      return moving && rates >= 1 && flows >= 3 && points >= 5 && plotted === 1;
    });
    log("traffic: every mix node's report on the page equals the directory's; rates, flows and charts move");

    // 3. The validator network.
    if (chain) {
      const height = chain.transfer();
      for (const [label, page] of Object.entries(pages)) {
        await waitFor(`${label}: the chain's height, 4 validators and the transfer's block`, async () => {
          if ((await page.getAttribute("#chain", "data-state")) !== "ok") return false;
          const shownHeight = Number(await page.textContent("#chain-height"));
          const validators = (await api(port, "/api/chain/validators?per_page=100")).result.validators;
          const rows = await page.$$eval("#validators tbody tr", (trs) => trs.map((tr) => [tr.dataset.address, tr.querySelector(".power").textContent]));
          const powers = validators.every((v) => rows.some(([a, p]) => a === v.address && p === v.voting_power));
          const badge = await page.$(`#blocks tbody tr[data-height="${height}"] [data-event="transfer"]`);
          return shownHeight >= height && validators.length === 4 && rows.length === 4 && powers && badge !== null;
        });
      }
      log(`validator network: height, 4 validators with their voting power, the transfer at height ${height}`);

      // 3b. The credential services: both up, with the numbers the directory read from them.
      for (const [label, page] of Object.entries(pages)) {
        await waitFor(`${label}: the issuer and the provider listed up with their numbers`, async () => {
          if (await page.getAttribute("#services", "hidden") !== null) return false;
          const listed = (await api(port, "/api/services")).services;
          const rows = await serviceRows(page);
          const issuer = rows.find((r) => r.kind === "issuer" && r.url === services[0].url);
          const provider = rows.find((r) => r.kind === "provider" && r.url === services[1].url);
          const issuerApi = listed.find((s) => s.kind === "issuer");
          return rows.length === 2 && issuer?.up === "true" && issuer.badge === "up" && provider?.up === "true" &&
            provider.badge === "up" && provider.facts.address?.toLowerCase() === services[1].address.toLowerCase() && issuerApi?.up === true &&
            Number(issuer.facts["processed height"]) >= 1 && issuer.facts.issuer === "1";
        });
      }
      log("credential services: issuer 1 and provider1 shown up, with the issuer's processed height and the provider's address");
    } else {
      await waitFor("the validator section to say none is configured",
        async () => (await pages.desktop.getAttribute("#chain", "data-state")) === "absent");
      if (await pages.desktop.getAttribute("#services", "hidden") === null) fail("the credential services panel is shown with none configured");
    }

    // 4. A malformed frame on /ws is skipped, not fatal (a page whose websocket the test relays).
    const relayed = watch(await desktop.newPage(), "relayed");
    let pageSide;
    await relayed.routeWebSocket(/\/ws$/, (ws) => {
      pageSide = ws;
      const server = ws.connectToServer();
      server.onMessage((message) => ws.send(message));
    });
    await relayed.goto(`${base}/dashboard/`);
    await waitFor("the relayed page to be live", async () => (await relayed.getAttribute("#connection", "data-state")) === "live" && pageSide);
    for (const bad of ["{", "null", '{"pubKey":"x","received":-1,"timestamp":1}', '{"pubKey":7}', "[1,2]"]) pageSide.send(bad);
    const before = Number(await relayed.getAttribute("#report-count", "data-reports"));
    await waitFor("the malformed frames counted and later reports still shown", async () =>
      Number(await relayed.getAttribute("#report-count", "data-skipped")) === 5 &&
      Number(await relayed.getAttribute("#report-count", "data-reports")) > before + 4 &&
      (await relayed.getAttribute("#connection", "data-state")) === "live");
    await relayed.close();
    log("five malformed /ws frames skipped, the page kept counting reports");

    // Screenshots while everything is live.
    await pages.desktop.screenshot({ path: path.join(OUT, "desktop.png"), fullPage: true });
    await pages.phone.screenshot({ path: path.join(OUT, "phone.png"), fullPage: true });
    if (process.env.NYM_DOCS_SCREENSHOT) {
      await pages.desktop.screenshot({ path: process.env.NYM_DOCS_SCREENSHOT, fullPage: true });
      log(`docs screenshot: ${process.env.NYM_DOCS_SCREENSHOT}`);
    }

    // 5. A stopped mix node is marked stale.
    const victim = topology.MixNodes.find((n) => n.layer === 2 && n.host === net.hosts["mix-2b"]);
    const victimIdentity = victim?.identityKey ?? fail(`mix-2b (${net.hosts["mix-2b"]}) is not in the topology`);
    await stop(net.nodes["mix-2b"]);
    for (const [label, page] of Object.entries(pages)) {
      await waitFor(`${label}: the stopped node marked stale in layer 2`, async () => {
        const node = (await drawnNodes(page)).find((d) => d.identity === victimIdentity);
        const row = await page.$(`#nodes tbody tr[data-identity="${victimIdentity}"][data-stale="true"] .badge.stale`);
        const others = (await drawnNodes(page)).filter((d) => d.identity !== victimIdentity).every((d) => d.stale === "false");
        return node && node.column === "2" && node.stale === "true" && row !== null && others;
      });
    }
    log("the stopped layer-2 node is marked stale on both pages, the others are not");

    // 5b. A killed provider turns down; the issuer stays up.
    if (services.length) {
      await stop(services[1].child, "SIGKILL");
      for (const [label, page] of Object.entries(pages)) {
        await waitFor(`${label}: the killed provider marked down, the issuer still up`, async () => {
          const rows = await serviceRows(page);
          const provider = rows.find((r) => r.kind === "provider");
          const issuer = rows.find((r) => r.kind === "issuer");
          const down = await page.$("#service-list tbody tr[data-kind=provider][data-up=false] .badge.down");
          return provider?.up === "false" && provider.badge === "down" && down !== null && issuer?.up === "true" &&
            /1 of 2 up/.test(await page.textContent("#services-summary"));
        });
      }
      log("the killed provider is shown down on both pages, the issuer up");
    }
    await pages.desktop.screenshot({ path: path.join(OUT, "desktop-stale.png"), fullPage: true });

    // 6. The directory killed: "disconnected, retrying"; restarted on its port: live again.
    outage = true;
    await stop(directory.child, "SIGKILL");
    for (const [label, page] of Object.entries(pages)) {
      await waitFor(`${label}: the disconnected state`, async () =>
        (await page.getAttribute("#connection", "data-state")) === "disconnected" &&
        /disconnected, retrying/.test(await page.textContent("#connection")));
    }
    await pages.phone.screenshot({ path: path.join(OUT, "phone-disconnected.png") });
    await sleep(3000); // a few failed reconnection attempts
    directory = await startDirectory(port, chain?.rpc, services);
    const reportsBefore = Number(await pages.desktop.getAttribute("#report-count", "data-reports"));
    for (const [label, page] of Object.entries(pages)) {
      await waitFor(`${label}: live again after the directory's restart`, async () =>
        (await page.getAttribute("#connection", "data-state")) === "live");
    }
    outage = false;
    await waitFor("reports arriving again after the reconnection", async () =>
      Number(await pages.desktop.getAttribute("#report-count", "data-reports")) > reportsBefore + 3);
    // mix-2b stays stopped: the restarted directory lists the other four, still drawn in their layers.
    await expectTopologyDrawn(pages.desktop, "desktop", port, 4);
    log("directory killed: both pages showed 'disconnected, retrying'; restarted: live again, reports flowing");

    if (pageErrors.length) fail(`uncaught errors in the page:\n${pageErrors.join("\n")}`);
    if (consoleErrors.length) fail(`console errors:\n${consoleErrors.join("\n")}`);
    log("no page errors, no console errors outside the outage");
  } finally {
    await browser.close();
    for (const stopNetwork of stopValidators.splice(0)) stopNetwork();
  }
}

try {
  await main();
  log("PASS");
} catch (error) {
  failed = true;
  console.log(`FAIL: ${error.message}`);
  for (const name of ["directory", "mix-1", "mix-2a", "mix-2b", "mix-3", "gateway", "alice", "issuer1", "provider1"]) {
    const t = tail(name, 8);
    if (t) console.log(`--- ${name} (last lines)\n${t}`);
  }
} finally {
  await Promise.all([...children].map((c) => stop(c)));
  if (!failed && !process.env.NYM_KEEP) fs.rmSync(work, { recursive: true, force: true });
  else console.log(`work folder kept: ${work}`);
}
process.exit(failed ? 1 : 0);
