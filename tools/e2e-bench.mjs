// End-to-end measurements over two running nym-clients' websocket APIs (docs/protocol/client-api.md),
// for tools/e2e-bench.sh. Needs the npm package `ws` (package.json). Prints one JSON object on stdout.
//
//   node tools/e2e-bench.mjs latency --from ws://...alice/mix --to ws://...bob/mix [--count 200] [--gap-ms 150] [--timeout 120]
//       alice sends `count` small messages to bob, one after another with exponential gaps of mean
//       gap-ms (well above alice's Poisson mean gap, so each finds alice's queue empty); bob is
//       subscribed (pushes). Each message carries its sequence number and its send time; latency is
//       from just before alice's `send` request leaves this process to bob's `received` push.
//   node tools/e2e-bench.mjs throughput --from URL --to URL [--count 200] [--size 10240] [--timeout 300]
//       alice sends `count` messages of `size` bytes at once; reports the time from the first send
//       to the last arrival, messages/s and kB/s (1 kB = 1000 bytes).
//
// Both sockets live in this process, so send and arrival times come from one monotonic clock.
// Every message starts with a run id: messages left over from an earlier run are ignored.
import WebSocket from "ws";

function fail(message) {
  console.error(`e2e-bench: ${message}`);
  process.exit(1);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function argValue(args, name, fallback) {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  if (at + 1 >= args.length) fail(`${name} needs a value`);
  return args[at + 1];
}

function open(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 5000, maxPayload: 64 * 1024 * 1024 });
    socket.once("open", () => resolve(socket));
    socket.once("error", (err) => reject(new Error(`${url}: ${err.message}`)));
  });
}

// Waits for the next text frame whose type is `type` (skipping pushes), or an error frame.
function nextOfType(socket, type, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("message", onMessage);
      reject(new Error(`no ${type} answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString("utf8"));
      if (frame.type === type || frame.type === "error") {
        clearTimeout(timer);
        socket.off("message", onMessage);
        if (frame.type === "error") reject(new Error(`error reply: ${frame.message}`));
        else resolve(frame);
      }
    };
    socket.on("message", onMessage);
  });
}

async function request(socket, body, type = body.type) {
  const answer = nextOfType(socket, type);
  socket.send(JSON.stringify(body));
  return answer;
}

// Connects alice and bob, subscribes at bob, and calls onArrival(seq, message, tMs) for every pushed
// message of this run.
async function setup(from, to, onArrival) {
  const runId = Math.random().toString(36).slice(2, 10);
  const bob = await open(to);
  const details = await request(bob, { type: "ownDetails" });
  const prefix = `e2e ${runId} `;
  bob.on("message", (data, isBinary) => {
    const t = nowMs();
    if (isBinary) return;
    const frame = JSON.parse(data.toString("utf8"));
    if (frame.type !== "received" || typeof frame.message !== "string" || !frame.message.startsWith(prefix)) return;
    const rest = frame.message.slice(prefix.length);
    const seq = Number(rest.slice(0, rest.indexOf(" ")));
    onArrival(seq, frame.message, t);
  });
  await request(bob, { type: "subscribe" });
  const alice = await open(from);
  const aliceErrors = [];
  alice.on("message", (data, isBinary) => {
    if (isBinary) return;
    const frame = JSON.parse(data.toString("utf8"));
    if (frame.type === "error") aliceErrors.push(frame.message);
  });
  return { runId, prefix, bob, alice, address: details.address, aliceErrors };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n ? sorted.reduce((a, b) => a + b, 0) / n : null;
  const variance = n > 1 ? sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const r = (x) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    n,
    mean: r(mean),
    stdev: r(Math.sqrt(variance)),
    min: r(sorted[0] ?? null),
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted[n - 1] ?? null),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Exponential gap of mean `mean` ms (inverse transform; 1 - U avoids log(0)).
const expGap = (mean) => -mean * Math.log(1 - Math.random());

async function latency(args) {
  const from = argValue(args, "--from");
  const to = argValue(args, "--to");
  if (!from || !to) fail("latency needs --from URL and --to URL");
  const count = Number(argValue(args, "--count", "200"));
  const gapMs = Number(argValue(args, "--gap-ms", "150"));
  const timeoutS = Number(argValue(args, "--timeout", "120"));

  const sentAt = new Map();
  const sentWall = new Map(); // wall-clock send times, to match the slowest messages with logs
  const latencies = new Map();
  let duplicates = 0;
  let wakeUp = null;
  const s = await setup(from, to, (seq, message, t) => {
    const embedded = Number(message.split(" ")[3]);
    if (!sentAt.has(seq) || embedded !== sentAt.get(seq)) return;
    if (latencies.has(seq)) {
      duplicates++;
      return;
    }
    latencies.set(seq, t - sentAt.get(seq));
    if (latencies.size === count && wakeUp) wakeUp();
  });

  const started = nowMs();
  for (let seq = 0; seq < count; seq++) {
    const t = nowMs();
    // The message carries its own send time (ms on this process's monotonic clock).
    sentAt.set(seq, t);
    sentWall.set(seq, Date.now());
    s.alice.send(JSON.stringify({ type: "send", message: `${s.prefix}${seq} ${t} latency`, recipient_address: s.address }));
    await sleep(expGap(gapMs));
  }
  const sendingS = (nowMs() - started) / 1000;
  if (latencies.size < count) {
    await Promise.race([new Promise((r) => (wakeUp = r)), sleep(timeoutS * 1000)]);
  }
  s.alice.close();
  s.bob.close();
  const values = [...latencies.values()];
  return {
    mode: "latency",
    count,
    received: latencies.size,
    duplicates,
    gap_ms: gapMs,
    sending_s: Math.round(sendingS * 100) / 100,
    api_errors: s.aliceErrors.slice(0, 5),
    latency_ms: summary(values),
    slowest: [...latencies.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([seq, ms]) => ({ seq, sent: new Date(sentWall.get(seq)).toISOString(), latency_ms: Math.round(ms * 10) / 10 })),
    // Every latency in send order (null: never arrived), for looking at the tail.
    latencies_ms: [...Array(count).keys()].map((seq) => (latencies.has(seq) ? Math.round(latencies.get(seq) * 10) / 10 : null)),
  };
}

async function throughput(args) {
  const from = argValue(args, "--from");
  const to = argValue(args, "--to");
  if (!from || !to) fail("throughput needs --from URL and --to URL");
  const count = Number(argValue(args, "--count", "200"));
  const size = Number(argValue(args, "--size", "10240"));
  const timeoutS = Number(argValue(args, "--timeout", "300"));

  const arrivals = new Map();
  let duplicates = 0;
  let corrupted = 0;
  let wakeUp = null;
  const s = await setup(from, to, (seq, message, t) => {
    if (message.length !== size) {
      corrupted++;
      return;
    }
    if (arrivals.has(seq)) {
      duplicates++;
      return;
    }
    arrivals.set(seq, t);
    if (arrivals.size === count && wakeUp) wakeUp();
  });

  // Messages of exactly `size` ASCII bytes: header, then filler.
  const messages = [];
  for (let seq = 0; seq < count; seq++) {
    const head = `${s.prefix}${seq} 0 `;
    if (head.length > size) fail(`--size ${size} is too small for the message header`);
    messages.push(head + "x".repeat(size - head.length));
  }
  const started = nowMs();
  for (const message of messages) s.alice.send(JSON.stringify({ type: "send", message, recipient_address: s.address }));
  if (arrivals.size < count) await Promise.race([new Promise((r) => (wakeUp = r)), sleep(timeoutS * 1000)]);
  const last = Math.max(...arrivals.values(), started);
  const first = Math.min(...arrivals.values(), last);
  s.alice.close();
  s.bob.close();
  const elapsedS = (last - started) / 1000;
  const bytes = arrivals.size * size;
  return {
    mode: "throughput",
    count,
    size,
    received: arrivals.size,
    duplicates,
    corrupted,
    api_errors: s.aliceErrors.slice(0, 5),
    first_arrival_s: Math.round(((first - started) / 1000) * 1000) / 1000,
    elapsed_s: Math.round(elapsedS * 1000) / 1000,
    messages_per_s: elapsedS > 0 ? Math.round((arrivals.size / elapsedS) * 100) / 100 : null,
    kB_per_s: elapsedS > 0 ? Math.round((bytes / 1000 / elapsedS) * 10) / 10 : null,
  };
}

const [command, ...args] = process.argv.slice(2);
try {
  let result;
  if (command === "latency") result = await latency(args);
  else if (command === "throughput") result = await throughput(args);
  else fail("usage: e2e-bench.mjs latency|throughput --from URL --to URL [options]; see the header of this file");
  console.log(JSON.stringify(result));
  process.exit(0);
} catch (err) {
  fail(err.message);
}
