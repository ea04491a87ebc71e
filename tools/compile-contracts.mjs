// Compiles contracts/NymToken.sol with solc from npm (the version pinned in package-lock.json) and
// writes the artifact the tools and tests deploy: {contract, compiler, evmVersion, abi, bytecode}.
// Imports ("@openzeppelin/contracts/...") resolve in node_modules/. Run by the build (CMake) as
//   node tools/compile-contracts.mjs OUT.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

// Cancun: supported by every chain this software runs against (geth's --dev runs the latest fork);
// pinned so that a newer solc's default cannot emit opcodes an older chain lacks.
const EVM_VERSION = 'cancun';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node tools/compile-contracts.mjs OUT.json');
  process.exit(2);
}

const source = 'contracts/NymToken.sol';
const input = {
  language: 'Solidity',
  sources: { [source]: { content: fs.readFileSync(path.join(root, source), 'utf8') } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { NymToken: ['abi', 'evm.bytecode.object'] } },
  },
};

function findImports(name) {
  const file = path.join(root, 'node_modules', name);
  if (!file.startsWith(path.join(root, 'node_modules') + path.sep)) return { error: `refused: ${name}` };
  try {
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: `${name}: ${e.message}` };
  }
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
const contract = output.contracts[source].NymToken;
const artifact = {
  contract: 'NymToken',
  compiler: `solc ${solc.version()}`,
  evmVersion: EVM_VERSION,
  abi: contract.abi,
  bytecode: '0x' + contract.evm.bytecode.object,
};
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, JSON.stringify(artifact, null, 1) + '\n');
console.log(`NymToken: ${contract.evm.bytecode.object.length / 2} bytes of init code, ${artifact.compiler}`);
