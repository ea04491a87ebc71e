// Signs and encodes with ethers.js (an independent implementation, pinned in package-lock.json) what
// nym::ethereum signs and encodes, and prints it as JSON for EthersCrossCheck (ethers_tests.cpp),
// which compares byte for byte. The inputs come from a fixed pseudo-random stream, so every run
// checks the same cases; the C++ side reads the inputs from this output, never from its own copy.
import { ethers } from 'ethers';

let state = 0x9e3779b97f4a7c15n;
function next64() {
  // xorshift64*
  state ^= state >> 12n; state ^= (state << 25n) & 0xffffffffffffffffn; state ^= state >> 27n;
  return (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
}
function bytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(next64() & 0xffn);
  return out;
}
function bigBelow(bits) {
  let v = 0n;
  for (let i = 0; i < Math.ceil(bits / 64); i++) v = (v << 64n) | next64();
  return v & ((1n << BigInt(bits)) - 1n);
}
const hex = (u8) => ethers.hexlify(u8);
const pick = (a) => a[Number(next64() % BigInt(a.length))];

const out = { version: ethers.version, transactions: [], checksums: [], rlp: [], create: [], abi: [] };

for (let i = 0; i < 40; i++) {
  let key;
  do { key = bytes(32); } while (BigInt(hex(key)) === 0n || BigInt(hex(key)) >= ethers.N);
  const wallet = new ethers.Wallet(hex(key));
  const type = i % 2 === 0 ? 2 : 0;
  const tx = {
    type,
    chainId: pick([1n, 5n, 1337n, 11155111n, 4294967295n, bigBelow(40)]),
    nonce: Number(pick([0n, 1n, 127n, 128n, 255n, 256n, bigBelow(32), bigBelow(52)])),
    gasLimit: pick([21000n, 100000n, 3000000n, bigBelow(40)]),
    to: i % 7 === 3 ? null : ethers.getAddress(hex(bytes(20))),
    value: pick([0n, 1n, 10n ** 18n, bigBelow(64), bigBelow(128), bigBelow(255)]),
    data: hex(bytes(pick([0, 1, 4, 55, 56, 68, 300]))),
  };
  if (type === 2) {
    tx.maxPriorityFeePerGas = pick([0n, 1n, 1000000000n, bigBelow(48)]);
    tx.maxFeePerGas = tx.maxPriorityFeePerGas + pick([0n, 7n, bigBelow(60)]);
  } else {
    tx.gasPrice = pick([0n, 1n, 20000000000n, bigBelow(64)]);
  }
  if (tx.to === null) delete tx.to;
  const signed = await wallet.signTransaction(tx);
  const parsed = ethers.Transaction.from(signed);
  const fields = {};
  for (const [k, v] of Object.entries(tx)) fields[k] = typeof v === 'bigint' ? v.toString() : v;
  fields.nonce = String(tx.nonce);
  out.transactions.push({ key: hex(key), address: wallet.address, tx: fields, unsignedHash: parsed.unsignedHash, raw: signed, hash: parsed.hash });
}

for (let i = 0; i < 40; i++) {
  const a = hex(bytes(20));
  out.checksums.push({ lower: a, checksum: ethers.getAddress(a) });
}

function randomItem(depth) {
  if (depth > 3 || next64() % 3n !== 0n) return hex(bytes(pick([0, 1, 1, 2, 55, 56, 100, 1100])));
  const n = Number(next64() % 5n);
  const items = [];
  for (let i = 0; i < n; i++) items.push(randomItem(depth + 1));
  return items;
}
for (let i = 0; i < 40; i++) {
  const item = randomItem(0);
  out.rlp.push({ item, encoded: ethers.encodeRlp(item) });
}

for (let i = 0; i < 20; i++) {
  const from = ethers.getAddress(hex(bytes(20)));
  const nonce = Number(pick([0n, 1n, 127n, 128n, 1000n, bigBelow(32)]));
  out.create.push({ from, nonce: String(nonce), address: ethers.getCreateAddress({ from, nonce }) });
}

const erc20 = new ethers.Interface([
  'function transfer(address to, uint256 amount)',
  'function balanceOf(address owner) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);
for (let i = 0; i < 20; i++) {
  const from = ethers.getAddress(hex(bytes(20)));
  const to = ethers.getAddress(hex(bytes(20)));
  const amount = pick([0n, 1n, 10n ** 18n, bigBelow(200), (1n << 256n) - 1n]);
  const log = erc20.encodeEventLog('Transfer', [from, to, amount]);
  out.abi.push({
    from, to, amount: amount.toString(),
    transfer: erc20.encodeFunctionData('transfer', [to, amount]),
    balanceOf: erc20.encodeFunctionData('balanceOf', [from]),
    topics: log.topics, data: log.data,
  });
}

process.stdout.write(JSON.stringify(out));
