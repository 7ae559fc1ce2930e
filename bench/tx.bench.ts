/**
 * Micro-benchmark of ed25519 transaction signature checks on one thread: a bare
 * verification with the public key's KeyObject cached (the node's steady state), the same
 * with the key parsed anew each time, and checkTransferSignatures over a one-input transfer
 * (digest included). 1,000 distinct signers, used in turn. Run with `npx tsx bench/tx.bench.ts`.
 */
import { createPublicKey, verify } from 'node:crypto';
import { Bench } from 'tinybench';
import { keyHash } from '../src/primitives/coin-address.js';
import { generateKeyPair, signMessage, verifyMessage } from '../src/primitives/keys.js';
import { checkTransferSignatures, signTransfer, type TransferTx } from '../src/primitives/tx.js';

const SIGNERS = 1_000;
const GENESIS = new Uint8Array(32).fill(0x42);
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const transfers: TransferTx[] = [];
const digests: { digest: Uint8Array; publicKey: Uint8Array; signature: Uint8Array }[] = [];
for (let i = 0; i < SIGNERS; i++) {
  const keys = generateKeyPair();
  const digest = new Uint8Array(32).fill(i & 0xff);
  digests.push({ digest, publicKey: keys.publicKey, signature: signMessage(digest, keys.privateKey) });
  transfers.push(
    signTransfer(
      {
        kind: 'transfer',
        inputs: [{ txid: new Uint8Array(32).fill(i & 0xff), index: 0, publicKey: keys.publicKey }],
        outputs: [{ amount: 1_000n, keyHash: keyHash(keys.publicKey) }],
      },
      [keys.privateKey],
      GENESIS,
    ),
  );
}

let next = 0;
const bench = new Bench({ name: 'ed25519 signature checks, one thread', time: 2_000, warmupTime: 300 });
bench
  .add('verifyMessage (cached KeyObject)', () => {
    const { digest, publicKey, signature } = digests[next++ % SIGNERS]!;
    if (!verifyMessage(digest, publicKey, signature)) throw new Error('bad signature');
  })
  .add('verify, key parsed every time', () => {
    const { digest, publicKey, signature } = digests[next++ % SIGNERS]!;
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (!verify(null, digest, key, signature)) throw new Error('bad signature');
  })
  .add('checkTransferSignatures, 1 input', () => {
    if (!checkTransferSignatures(transfers[next++ % SIGNERS]!, GENESIS).ok) throw new Error('bad transfer');
  });

await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') return { task: task.name, state: result.state };
    return {
      task: task.name,
      'median µs': Number((result.latency.p50 * 1_000).toFixed(1)),
      'per second (median)': Math.round(1_000 / result.latency.p50),
      'rme %': Number(result.latency.rme.toFixed(1)),
      samples: result.latency.samplesCount,
    };
  }),
);
