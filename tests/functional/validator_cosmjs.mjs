// A CometBFT client from the JavaScript ecosystem (@cosmjs/tendermint-rpc, pinned in package.json)
// against node0 of the validator network: status, broadcast of a signed transfer, the transaction
// and its block's results with our events, and an abci_query of the recipient's balance.
//
//   node validator_cosmjs.mjs RPC_URL CHAIN_ID TX_HEX RECIPIENT_ADDRESS EXPECTED_BALANCE
import { connectComet } from "@cosmjs/tendermint-rpc";

const [url, chainId, txHex, recipient, expectedBalance] = process.argv.slice(2);
if (!expectedBalance) {
  console.error("usage: validator_cosmjs.mjs RPC_URL CHAIN_ID TX_HEX RECIPIENT EXPECTED_BALANCE");
  process.exit(2);
}
const fail = (message) => {
  console.error(`cosmjs: FAILED: ${message}`);
  process.exit(1);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const attributes = (event) => Object.fromEntries(event.attributes.map((a) => [a.key, a.value]));

const client = await connectComet(url);
const status = await client.status();
if (status.nodeInfo.network !== chainId) fail(`network ${status.nodeInfo.network}, expected ${chainId}`);
if (!(status.syncInfo.latestBlockHeight > 0)) fail("no block yet");
console.log(`status: ${status.nodeInfo.moniker} on ${status.nodeInfo.network} at height ${status.syncInfo.latestBlockHeight}, version ${status.nodeInfo.version}`);

const tx = Uint8Array.from(Buffer.from(txHex, "hex"));
const sent = await client.broadcastTxSync({ tx });
if (sent.code !== 0) fail(`CheckTx refused the transfer: code ${sent.code} ${sent.log}`);
const hash = Buffer.from(sent.hash).toString("hex").toUpperCase();
console.log(`broadcast: tx ${hash} admitted`);

let found;
for (let i = 0; i < 100 && !found; ++i) {
  try {
    found = await client.tx({ hash: sent.hash });
  } catch {
    await sleep(200);
  }
}
if (!found) fail("the transaction was not committed within 20 s");
if (found.result.code !== 0) fail(`FinalizeBlock: code ${found.result.code} ${found.result.log}`);
console.log(`tx: committed at height ${found.height}`);

const results = await client.blockResults(found.height);
const transfer = results.results.flatMap((r) => r.events).find((e) => e.type === "transfer");
if (!transfer) fail(`no transfer event in block ${found.height}'s results`);
const t = attributes(transfer);
if (t.to !== recipient) fail(`transfer event to ${t.to}, expected ${recipient}`);
const message = attributes(results.results.flatMap((r) => r.events).find((e) => e.type === "message"));
if (message.action !== "transfer") fail(`message.action ${message.action}`);
console.log(`block_results: transfer from ${t.from} to ${t.to} amount ${t.amount}; app hash after the block in the next header`);

const answer = await client.abciQuery({ path: "/balance", data: Uint8Array.from(Buffer.from(recipient.slice(2), "hex")) });
if (answer.code !== 0) fail(`abci_query /balance: code ${answer.code} ${answer.log}`);
const balance = JSON.parse(Buffer.from(answer.value).toString("utf8"));
if (balance.balance !== expectedBalance) fail(`balance ${balance.balance}, expected ${expectedBalance}`);
console.log(`abci_query /balance: ${balance.address} holds ${balance.balance} at height ${answer.height}`);

client.disconnect();
console.log("cosmjs: ok");
