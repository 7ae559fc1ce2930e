/**
 * The senders of bench/tx-flood.ts, in a child process of their own (it forks this module) so
 * that their CPU time is not the node's. `senders` UDP sockets on 127.0.0.1 first become
 * validated extended peers of the node (docs/protocol.md, "Address validation": a hello, which
 * the node answers with its genesis block and a token; every later message echoes the token),
 * then send it `tx` messages whose transfers pass every cheap check (they spend real unspent
 * outputs with the owner's public key, pay a fee, fit every limit) but carry a signature made by
 * another key, so only the ed25519 verification refuses them, and only after doing all its work
 * (a random signature would be refused at once: its S is out of range).
 *
 * Each transfer is new to the node: its outputs' amount differs (so does its txid) from every
 * other one sent, so it never hits the node's signature cache or 'already-known'. With
 * `copies` > 1 each transfer goes out that many times with different signature bytes (the same
 * txid), which the node also verifies one by one (docs/ledger.md, "The verification queue").
 *
 * `perAddress` > 0: a sender moves to a new source port (and validates it) after that many
 * transfers, as an attacker would to stay under the per-address ban threshold.
 *
 * The parent sends {type: 'start', config}, later {type: 'stop'}; this answers 'ready' once
 * loaded, and the report once every socket is closed. It leaves when the parent goes.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { hexToBytes } from '../src/primitives/bytes.js';
import { encodeTx, type TransferTx } from '../src/primitives/tx.js';
import { decodeMessage, encodeHello, encodeTxMessage } from '../src/net/messages.js';

export interface SenderConfig {
  node: { host: string; port: number };
  senders: number;
  /** Datagrams per second from all senders together; 0: as fast as they can. */
  rate: number;
  /** Transfers a sender sends from one source port before it moves to a new one (0: never moves). */
  perAddress: number;
  /** Copies of each transfer, each with other signature bytes. */
  copies: number;
  /** Unspent outputs of `publicKey`'s key hash, mature; amounts in base units (decimal strings). */
  coins: Array<{ txid: string; index: number; amount: string }>;
  /** Hex: the owner's public key (the node's ownership check passes). */
  publicKey: string;
  /** Hex: the key hash the transfers pay. */
  payTo: string;
  /** Hex, 64 bytes: a valid ed25519 signature by another key (of something else). */
  signature: string;
  /** Base fee of each transfer (base units, decimal): at least the node's minimum for its size. */
  fee: string;
}

export type ToSenders = { type: 'start'; config: SenderConfig } | { type: 'stop' };

export interface SenderReport {
  /** `tx` datagrams sent. */
  sent: number;
  /** Source ports used (a port the system hands out again counts again). */
  addresses: number;
  /** Hellos the node answered with its token (a port used again keeps the token it had). */
  handshakes: number;
  /** Hellos sent again because no answer came within HELLO_RETRY_MS. */
  helloRetries: number;
  sendErrors: number;
  /** CPU time of this process during the flood (ms). */
  cpuMs: number;
}

export type FromSenders = { type: 'ready' } | { type: 'stopped'; report: SenderReport };

const HELLO_RETRY_MS = 1_000;
/** Any 64 hex digits: the node answers a first hello with its introduction, whatever it claims. */
const SOME_HASH = '00'.repeat(32);
/** A transfer's serial changes its amount by at most this much: amounts stay far above zero. */
const SERIALS = 1_000_000_000;

let stopping = false;
/**
 * The node's token for each source port seen: a token depends only on host:port, and the
 * system may hand a sender a port it used before, whose address the node already counts as
 * validated (it answers a hello from it with no new token).
 */
const tokens = new Map<number, string>();
const report: SenderReport = { sent: 0, addresses: 0, handshakes: 0, helloRetries: 0, sendErrors: 0, cpuMs: 0 };

function bindSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      // A late error (an ICMP report) must not end the process.
      socket.on('error', () => report.sendErrors++);
      resolve(socket);
    });
  });
}

function send(socket: Socket, payload: Uint8Array, to: SenderConfig['node']): Promise<void> {
  return new Promise((resolve) =>
    socket.send(payload, to.port, to.host, (error) => {
      if (error) report.sendErrors++;
      resolve();
    }),
  );
}

/** Says hello until the node answers with its token (the echo for every later message); undefined once stopping. */
function handshake(socket: Socket, to: SenderConfig['node']): Promise<string | undefined> {
  const hello = Buffer.from(encodeHello(0, SOME_HASH, SOME_HASH, 0n));
  return new Promise((resolve) => {
    const finish = (token: string | undefined): void => {
      clearInterval(retry);
      socket.off('message', onMessage);
      resolve(token);
    };
    const onMessage = (payload: Buffer): void => {
      const decoded = decodeMessage(payload);
      if (decoded.ok && decoded.message.auth.token) finish(decoded.message.auth.token);
    };
    const retry = setInterval(() => {
      if (stopping) return finish(undefined);
      report.helloRetries++;
      void send(socket, hello, to);
    }, HELLO_RETRY_MS);
    socket.on('message', onMessage);
    void send(socket, hello, to);
  });
}

/** Builds the transfers: `next(slot, n)` is sender `slot`'s n-th, as a `tx` message echoing `echo`. */
function transfers(config: SenderConfig): (slot: number, n: number, echo: string) => Buffer {
  const coins = config.coins.map((coin) => ({
    txid: hexToBytes(coin.txid),
    index: coin.index,
    amount: BigInt(coin.amount),
  }));
  const publicKey = hexToBytes(config.publicKey);
  const keyHash = hexToBytes(config.payTo);
  const signature = hexToBytes(config.signature);
  const fee = BigInt(config.fee);
  return (slot, n, echo) => {
    // Unique for every (slot, n / copies): a new txid each time, spread over the coins.
    const serial = (Math.floor(n / config.copies) * config.senders + slot) % SERIALS;
    const coin = coins[serial % coins.length]!;
    const copy = n % config.copies;
    const forged = Uint8Array.from(signature);
    // Copies differ in the first bytes of R: still a full verification each, still wrong.
    new DataView(forged.buffer).setUint32(0, new DataView(signature.buffer, signature.byteOffset).getUint32(0) ^ copy);
    const tx: TransferTx = {
      kind: 'transfer',
      inputs: [{ txid: coin.txid, index: coin.index, publicKey, signature: forged }],
      outputs: [{ amount: coin.amount - fee - BigInt(serial), keyHash }],
    };
    return Buffer.from(encodeTxMessage(encodeTx(tx), { echo }));
  };
}

/** One sender: validates a source port, sends transfers from it, moves to a new port when told to. */
async function runSender(config: SenderConfig, slot: number, next: ReturnType<typeof transfers>): Promise<void> {
  const perSecond = config.rate / config.senders;
  let credit = 0;
  let n = 0;
  while (!stopping) {
    const socket = await bindSocket();
    const port = socket.address().port;
    report.addresses++;
    try {
      let echo = tokens.get(port);
      if (echo === undefined) {
        echo = await handshake(socket, config.node);
        if (echo === undefined) return;
        tokens.set(port, echo);
        report.handshakes++;
      }
      for (let here = 0; !stopping && (config.perAddress === 0 || here < config.perAddress); here++) {
        if (perSecond > 0) {
          // Paced: 10 ms steps, fractions carried over.
          while (credit < 1 && !stopping) {
            await sleep(10);
            credit += perSecond / 100;
          }
          credit -= 1;
        }
        await send(socket, next(slot, n++, echo), config.node);
        report.sent++;
        // dgram calls back on the next tick: without a pause now and then, timers would starve.
        if (n % 16 === 0) await nextTurn();
      }
    } finally {
      socket.close();
    }
  }
}

async function flood(config: SenderConfig): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const next = transfers(config);
  await Promise.all(Array.from({ length: config.senders }, (_, slot) => runSender(config, slot, next)));
  const cpu = process.cpuUsage(cpuBefore);
  report.cpuMs = (cpu.user + cpu.system) / 1000;
  process.send!({ type: 'stopped', report } satisfies FromSenders);
}

let running: Promise<void> | undefined;
process.on('message', (message: ToSenders) => {
  if (message.type === 'start' && !running) {
    running = flood(message.config).catch((error: unknown) => {
      console.error(`tx-flood senders: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    });
  } else if (message.type === 'stop') {
    stopping = true;
  }
});
// The parent is gone (it stopped, or was interrupted): so are the senders.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' } satisfies FromSenders);
