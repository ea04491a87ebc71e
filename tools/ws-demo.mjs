// A small client of nym-client's websocket API (docs/protocol/client-api.md, the original JSON), for
// tools/demo.sh and tools/localnet.sh. Needs the npm package `ws` (package.json).
//
//   node tools/ws-demo.mjs own-details ws://127.0.0.1:42031/mix
//       prints the client's address; exit 0 when it answers.
//   node tools/ws-demo.mjs send-and-receive --from ws://...alice/mix --to ws://...bob/mix [--message TEXT] [--timeout 60]
//       asks bob for its address, has alice send TEXT to it, then fetches at bob until TEXT arrives
//       and prints "bob received: TEXT". Exit 1 on timeout or an error reply.
import WebSocket from "ws";

function fail(message) {
  console.error(`ws-demo: ${message}`);
  process.exit(1);
}

// One connection with request/response in order: the API answers each request with one frame
// (pushed "received" frames only come after a subscribe, which this tool never sends).
class ApiConnection {
  constructor(url) {
    this.url = url;
    this.waiting = [];
    this.queue = [];
  }

  open(timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, { handshakeTimeout: timeoutMs });
      socket.on("open", () => resolve());
      socket.on("error", (err) => reject(new Error(`${this.url}: ${err.message}`)));
      socket.on("message", (data, isBinary) => {
        const frame = isBinary ? { type: "binary" } : JSON.parse(data.toString("utf8"));
        const next = this.waiting.shift();
        if (next) next(frame);
        else this.queue.push(frame);
      });
      socket.on("close", () => {
        for (const next of this.waiting.splice(0)) next({ type: "error", message: "connection closed" });
      });
      this.socket = socket;
    });
  }

  request(body, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.url}: no answer to ${body.type} within ${timeoutMs} ms`)), timeoutMs);
      const done = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
      if (this.queue.length > 0) done(this.queue.shift());
      else this.waiting.push(done);
      this.socket.send(JSON.stringify(body));
    });
  }

  close() {
    this.socket.close();
  }
}

function argValue(args, name, fallback) {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  if (at + 1 >= args.length) fail(`${name} needs a value`);
  return args[at + 1];
}

async function ownDetails(url) {
  const conn = new ApiConnection(url);
  await conn.open(5000);
  const reply = await conn.request({ type: "ownDetails" });
  conn.close();
  if (reply.type !== "ownDetails" || typeof reply.address !== "string") fail(`unexpected answer ${JSON.stringify(reply)}`);
  return reply.address;
}

async function sendAndReceive(args) {
  const from = argValue(args, "--from");
  const to = argValue(args, "--to");
  if (!from || !to) fail("send-and-receive needs --from URL and --to URL");
  const message = argValue(args, "--message", `hello bob, this is alice (${new Date().toISOString()})`);
  const timeoutS = Number(argValue(args, "--timeout", "60"));

  const bob = new ApiConnection(to);
  await bob.open(5000);
  const details = await bob.request({ type: "ownDetails" });
  if (details.type !== "ownDetails") fail(`bob: ${JSON.stringify(details)}`);
  console.log(`bob's address: ${details.address}`);

  const alice = new ApiConnection(from);
  await alice.open(5000);
  const started = Date.now();
  const sent = await alice.request({ type: "send", message, recipient_address: details.address });
  if (sent.type !== "send") fail(`alice could not send: ${JSON.stringify(sent)}`);
  console.log(`alice sent: ${message}`);
  alice.close();

  const deadline = started + timeoutS * 1000;
  while (Date.now() < deadline) {
    const fetched = await bob.request({ type: "fetch" });
    if (fetched.type !== "fetch") fail(`bob could not fetch: ${JSON.stringify(fetched)}`);
    const hit = fetched.messages.find((m) => m === message);
    if (hit !== undefined) {
      console.log(`bob received: ${hit}  (after ${Date.now() - started} ms)`);
      bob.close();
      return;
    }
    for (const other of fetched.messages) console.log(`bob also received: ${other}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`bob did not receive the message within ${timeoutS} s`);
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === "own-details") {
    if (!args[0]) fail("own-details needs the API URL");
    console.log(await ownDetails(args[0]));
    process.exit(0);
  } else if (command === "send-and-receive") {
    await sendAndReceive(args);
    process.exit(0);
  } else {
    fail("usage: ws-demo.mjs own-details URL | send-and-receive --from URL --to URL [--message TEXT] [--timeout S]");
  }
} catch (err) {
  fail(err.message);
}
