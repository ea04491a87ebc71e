// The npm `socks` library (a second, independent SOCKS5 implementation) driving nym-socks5-client:
// CONNECT by name through the proxy, an HTTP/1.0 GET, and the SHA-256 of the body on stdout.
//   node socks5_client.mjs <socks port> <host> <port> <path>
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json"));
const { SocksClient } = require("socks");

const [socksPort, host, port, target] = process.argv.slice(2);
const { socket } = await SocksClient.createConnection({
  proxy: { host: "127.0.0.1", port: Number(socksPort), type: 5 },
  command: "connect",
  destination: { host, port: Number(port) },
  timeout: 60000,
});
const chunks = [];
socket.on("data", (c) => chunks.push(c));
socket.on("error", (e) => {
  console.error(`socket error: ${e.message}`);
  process.exit(1);
});
socket.on("end", () => {
  const response = Buffer.concat(chunks);
  const split = response.indexOf("\r\n\r\n");
  if (split < 0 || !response.subarray(0, 12).toString().includes("200")) {
    console.error(`unexpected response: ${response.subarray(0, 200).toString()}`);
    process.exit(1);
  }
  console.log(createHash("sha256").update(response.subarray(split + 4)).digest("hex"));
});
socket.write(`GET ${target} HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
