/**
 * The mining hashrate a powchain node keeps during a flood of invalid-signature transactions,
 * and how many bad signatures it verifies before its limits cut the senders off.
 *
 * One MinerNode in this process, on a real UDP socket on 127.0.0.1, holding a chain built here
 * whose coinbases (mature after one block) pay a key this bench holds. It mines with the real
 * worker pool (`threads` workers, the default engine: wasm-simd here) through an adapter that
 * passes every job on with target 0, so the workers hash at full speed and never find a block: the
 * chain stays put, and every transfer spends outputs that stay unspent. Its senders run in a
 * child process (bench/tx-flood-senders.ts): `senders` sockets that validate their addresses
 * with the node and then send transfers that pass every cheap check but carry a signature by
 * another key, so each one costs the node a full ed25519 verification on its main thread
 * (docs/ledger.md, "The verification queue").
 *
 * Each variant gets a node of its own and three phases: idle, flood, idle again. Per phase: the
 * median hashrate (the pool's hash counters read every 500 ms, the first second of a phase left
 * out), the main thread's CPU ms per second (/proc, Linux), the event loop's delay p50/p99
 * (perf_hooks.monitorEventLoopDelay) and utilisation; for the flood, what the senders sent and
 * what became of it, counted until the node has read and verified all it was sent. Variants:
 *
 *   limits      the node's own limits (net/peers.ts), the senders keeping their ports
 *   new-ports   the node's own limits, each sender moving to a new, freshly validated port
 *               after banThreshold - 1 transfers (a validated address is banned on its own:
 *               its host is not, docs/protocol.md "Budgets and bans")
 *   unlimited   a node whose peer limits let everything through: the cost of the
 *               verification alone, bounded by what the main thread can read and verify
 *               (the rest waits in the socket's receive buffer, or the kernel drops it)
 *
 * The flood is made on this machine: on 2 cores its own CPU use (reported) shows in the
 * hashrate too; a paced flood (datagrams/s) uses little. The node's events are counted, not
 * printed. Results: docs/reliability.md, "A flood of transfers with bad signatures".
 *
 *   npx tsx bench/tx-flood.ts [seconds per phase=8] [threads=2] [senders=64] [datagrams/s=0: as fast as possible]
 *       [--variants limits,new-ports,unlimited] [--copies 1] [--json]
 *   --copies n: each transfer sent n times with different signature bytes (one txid, n verifications)
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Block } from '../src/primitives/block.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { keyHash } from '../src/primitives/coin-address.js';
import { generateKeyPair, signMessage } from '../src/primitives/keys.js';
import { DEFAULT_PARAMS, MIN_COINBASE_MATURITY, type NetworkParams, encodeParams } from '../src/primitives/params.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { powchainRules } from '../src/consensus/rules/powchain.js';
import { MinerPool } from '../src/hashing/pool.js';
import { encodeTxMessage } from '../src/net/messages.js';
import { DEFAULT_PEER_LIMITS, type PeerLimits } from '../src/net/peers.js';
import { type DatagramListener, type SendErrorListener, type Transport, UdpTransport } from '../src/net/transport.js';
import type { PeerAddress } from '../src/net/address.js';
import { MinerNode, type NonceMiner } from '../src/node/miner-node.js';
import type { NodeEvent } from '../src/node/events.js';
import type { FromSenders, SenderConfig, SenderReport } from './tx-flood-senders.js';

const USAGE =
  'usage: npx tsx bench/tx-flood.ts [seconds per phase=8] [threads=2] [senders=64] [datagrams/s=0] ' +
  '[--variants limits,new-ports,unlimited] [--copies 1] [--json]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    variants: { type: 'string', default: 'limits,new-ports,unlimited' },
    copies: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const wholeNumber = (text: string | undefined, fallback: number, min: number): number => {
  const value = Number(text ?? fallback);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`${USAGE}\n(${JSON.stringify(text)} is not a whole number >= ${min})`);
    process.exit(2);
  }
  return value;
};
const seconds = wholeNumber(positionals[0], 8, 3);
const threads = wholeNumber(positionals[1], 2, 1);
const senders = wholeNumber(positionals[2], 64, 1);
const rate = wholeNumber(positionals[3], 0, 0);
const copies = wholeNumber(values.copies, 1, 1);

/** Limits under which nothing a peer sends is refused for being too much or too bad. */
const NO_LIMITS: PeerLimits = {
  datagramsPerSecond: 1e9,
  datagramBurst: 1e9,
  validatedDatagramsPerSecond: 1e9,
  validatedDatagramBurst: 1e9,
  transactionsPerSecond: 1e9,
  transactionBurst: 1e9,
  totalPerSecond: 1e9,
  totalBurst: 1e9,
  hostDatagramsPerSecond: 1e9,
  hostDatagramBurst: 1e9,
  banThreshold: Number.MAX_SAFE_INTEGER,
  hostBanThreshold: Number.MAX_SAFE_INTEGER,
};
const VARIANTS = {
  limits: { title: "with the node's limits", peerLimits: {}, perAddress: 0 },
  'new-ports': {
    title: `with the node's limits, each sender moving to a new port every ${DEFAULT_PEER_LIMITS.banThreshold - 1} transfers`,
    peerLimits: {},
    perAddress: DEFAULT_PEER_LIMITS.banThreshold - 1,
  },
  unlimited: { title: 'if its limits let everything through', peerLimits: NO_LIMITS, perAddress: 0 },
} as const;
type VariantName = keyof typeof VARIANTS;
const variants = values.variants.split(',').map((name) => name.trim());
for (const name of variants) {
  if (!(name in VARIANTS)) {
    console.error(`${USAGE}\n(unknown variant ${JSON.stringify(name)})`);
    process.exit(2);
  }
}

/** Coinbases in the chain: the coins the transfers spend (round robin; each transfer's amount makes it new). */
const CHAIN_BLOCKS = 64;
/** Hash counters and verification counts are read this often. */
const SAMPLE_MS = 500;
/** Samples from the first second of a phase still see the one before (workers between jobs, a queue draining). */
const SETTLE_MS = 1_000;
/** After the flood: how long the node may take to read and verify what it had been sent, at most. */
const DRAIN_MS = 10_000;
/** The node has read everything once it has read nothing for this long. */
const QUIET_MS = 250;
/** The fee of each transfer, above the node's minimum (1 a byte; a one-in, one-out transfer is 163 bytes). */
const FEE = 1_000n;

// ---------------------------------------------------------------------------------------------
// The chain, the miner, the node

interface Chain {
  tree: BlockTree;
  coins: SenderConfig['coins'];
  publicKey: Uint8Array;
  /** A valid signature by another key than the coins' owner. */
  signature: Uint8Array;
}

function mine(template: Block, target: bigint): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = template.withNonce(nonce);
    if (block.verifyProofOfWork(target)) return block;
  }
}

/** A powchain chain of `length` blocks (an easy target, one block a second, up to now) whose coinbases pay one key. */
function buildChain(length: number): Chain {
  const owner = generateKeyPair();
  const payTo = keyHash(owner.publicKey);
  const params: NetworkParams = {
    ...DEFAULT_PARAMS,
    name: 'tx-flood bench',
    initialTarget: 1n << 250n,
    coinbaseMaturity: MIN_COINBASE_MATURITY,
    genesisTimeMs: Date.now() - (length + 1) * DEFAULT_PARAMS.blockIntervalMs,
  };
  const genesis = mine(new Block(encodeParams(params)), params.initialTarget);
  const rules = powchainRules(params, genesis.hashHex());
  const tree = new BlockTree(genesis, rules);
  const state = rules.chainState(tree, { payTo });
  for (let i = 1; i < length; i++) {
    const parent = tree.head;
    const { data, target } = rules.template(parent, parent.facts.time! + params.blockIntervalMs, `tx-flood:${i}`);
    const verdict = tree.append(mine(new Block(data, parent.block), target), Date.now());
    if (!verdict.ok) throw new Error(`bench chain block ${i} refused: ${verdict.reason} ${verdict.detail ?? ''}`);
    state.followHead();
  }
  const coins = state.ledger
    .unspent(payTo)
    .filter(({ coin }) => state.spendableAt(coin))
    .map(({ outpoint, coin }) => ({
      txid: bytesToHex(outpoint.txid),
      index: outpoint.index,
      amount: coin.amount.toString(),
    }));
  const stranger = generateKeyPair();
  return { tree, coins, publicKey: owner.publicKey, signature: signMessage(new Uint8Array(32), stranger.privateKey) };
}

/** The pool, hashing every job at target 0: never a block, so the chain (and every coin) stays as built. */
class HashOnlyMiner implements NonceMiner {
  readonly #pool: MinerPool;

  constructor(pool: MinerPool) {
    this.#pool = pool;
  }

  get engine(): string {
    return this.#pool.engine;
  }

  get threads(): number {
    return this.#pool.threads;
  }

  mine(job: { prefix: Uint8Array; target: bigint }): ReturnType<NonceMiner['mine']> {
    return this.#pool.mine({ prefix: job.prefix, target: 0n });
  }

  cancel(): void {
    this.#pool.cancel();
  }

  hashrate(): { hashesPerSecond: number; perWorker?: number[] } {
    return this.#pool.hashrate();
  }

  /** The pool outlives each variant's node: the bench closes it at the end. */
  async close(): Promise<void> {
    this.#pool.cancel();
  }
}

/** What the senders' `tx` messages start with (they are encoded by encodeTxMessage). */
const TX_PREFIX = Buffer.from(encodeTxMessage(new Uint8Array(0)).split(',"tx"')[0]!);

/**
 * The node's UDP transport, counting the datagrams the node reads and the `tx` messages among
 * them, and calling `afterDatagram` once the node has handled each.
 */
class CountingTransport implements Transport {
  read = 0;
  txRead = 0;
  afterDatagram: () => void = () => {};
  readonly #inner: UdpTransport;

  constructor(inner: UdpTransport) {
    this.#inner = inner;
  }

  get address(): PeerAddress {
    return this.#inner.address;
  }

  send(peer: PeerAddress, payload: Uint8Array): Promise<void> {
    return this.#inner.send(peer, payload);
  }

  onDatagram(listener: DatagramListener): void {
    this.#inner.onDatagram((payload, from) => {
      this.read++;
      if (TX_PREFIX.compare(payload, 0, Math.min(payload.length, TX_PREFIX.length)) === 0) this.txRead++;
      listener(payload, from);
      this.afterDatagram();
    });
  }

  onSendError(listener: SendErrorListener): void {
    this.#inner.onSendError(listener);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** What the node reported, counted. */
class EventCounts {
  accepted = 0;
  /** Refused transfers by reason (bad-signature: verified now or remembered from before). */
  readonly refused = new Map<string, number>();
  peerBans = 0;
  hostBans = 0;
  /** When each transfer was refused as bad-signature (performance.now()). */
  readonly badSignatureTimes: number[] = [];
  readonly listener = (event: NodeEvent): void => {
    if (event.event === 'tx' && event.status === 'accepted') this.accepted++;
    else if (event.event === 'tx' && event.status === 'rejected') {
      const reason = event.reason ?? 'unknown';
      this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
      if (reason === 'bad-signature') this.badSignatureTimes.push(performance.now());
    } else if (event.event === 'warning' && event.message.startsWith('banned the unvalidated ports')) this.hostBans++;
    else if (event.event === 'warning' && event.message.startsWith('banned ')) this.peerBans++;
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Linux's USER_HZ is 100 on every common platform. */
const MS_PER_TICK = 10;

/** CPU ms of this process's main thread (its event loop: the node), from /proc; NaN off Linux. */
function mainThreadCpuMs(): number {
  try {
    // Fields after the command name (in parentheses, which may hold spaces): utime and stime are 14 and 15.
    const fields = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return NaN;
  }
}

/** Datagrams the kernel dropped for the UDP socket bound to `port` (its receive buffer was full); NaN off Linux. */
function kernelDrops(port: number): number {
  try {
    const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(local)) return Number(fields.at(-1));
    }
  } catch {
    // Not Linux.
  }
  return NaN;
}

const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
};
const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface Sample {
  time: number;
  hashes: number;
}

/** The node's counters at one moment. */
interface Counters {
  time: number;
  read: number;
  txRead: number;
  admissionDropped: number;
  kernelDropped: number;
  verifications: number;
  cacheHits: number;
  accepted: number;
  refused: Map<string, number>;
  peerBans: number;
  hostBans: number;
}

interface PhaseResult {
  phase: 'idle' | 'flood' | 'idle again';
  hashesPerSecond: number;
  hashrateSamples: number;
  mainThreadCpuMsPerS: number;
  processCpuMsPerS: number;
  eventLoopUtilization: number;
  /** How late the event loop ran a timer (the monitor's interval left out): p50, p99, max. */
  loopDelayMs: { p50: number; p99: number; max: number };
  heapUsedMiB: number;
}

interface FloodResult {
  senders: SenderReport & { cpuMsPerS: number; sentPerS: number };
  /** What became of the `tx` datagrams sent, from the flood's start until the node had verified what it had queued. */
  node: {
    droppedByKernel: number;
    read: number;
    droppedAtAdmission: number;
    overTransactionBudget: number;
    refusedBeforeVerification: Record<string, number>;
    verified: number;
    verifiedPerS: number;
    refusedAsBadSignature: number;
    accepted: number;
    peerBans: number;
    hostBans: number;
    maxQueued: number;
    /** When 99% of the flood's bad-signature refusals had been made, from its start (s). */
    refusals99PercentAtS: number;
    peersRemembered: number;
  };
}

interface VariantResult {
  variant: VariantName;
  title: string;
  phases: PhaseResult[];
  kept: number;
  flood: FloodResult;
}

// ---------------------------------------------------------------------------------------------
// Running

/** The loop-delay monitor's timer interval (ms): it records the time between its timer's runs. */
const LOOP_DELAY_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
/** A time the monitor recorded (ns), less its own interval: the delay (ms). */
const lateBy = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS);
let cleanup: () => Promise<void> = async () => {};

async function runVariant(name: VariantName, chain: Chain, pool: MinerPool, warmUpMs: number): Promise<VariantResult> {
  const variant = VARIANTS[name];
  const transport = new CountingTransport(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }));
  const node = new MinerNode({
    transport,
    miner: new HashOnlyMiner(pool),
    peers: [],
    genesis: false,
    network: { seed: {} },
    tree: chain.tree,
    peerLimits: variant.peerLimits,
    hashrateIntervalMs: 0,
    payTo: () => keyHash(chain.publicKey),
  });
  const events = new EventCounts();
  node.onEvent(events.listener);
  const running = node.run();
  const state = node.chainState!;
  const port = transport.address.port;

  const samples: Sample[] = [];
  const sampler = setInterval(() => samples.push({ time: performance.now(), hashes: pool.totalHashes() }), SAMPLE_MS);
  let maxQueued = 0;
  transport.afterDatagram = () => {
    maxQueued = Math.max(maxQueued, state.queue.pending);
  };

  const child = fork(fileURLToPath(new URL('./tx-flood-senders.ts', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fromChild = (type: FromSenders['type']): Promise<FromSenders> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: FromSenders): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null): void => reject(new Error(`the senders' process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const stopAll = async (): Promise<void> => {
    clearInterval(sampler);
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await node.stop();
    await running;
  };
  cleanup = async () => {
    await stopAll();
    await pool.close();
  };
  await fromChild('ready');

  const counters = (): Counters => ({
    time: performance.now(),
    read: transport.read,
    txRead: transport.txRead,
    admissionDropped: node.stats().dropped,
    kernelDropped: kernelDrops(port),
    verifications: state.ledger.signatures.stats.verifications,
    cacheHits: state.ledger.signatures.stats.hits,
    accepted: events.accepted,
    refused: new Map(events.refused),
    peerBans: events.peerBans,
    hostBans: events.hostBans,
  });

  /** Each phase's hashrate samples (H/s), by phase. */
  const rates = new Map<PhaseResult['phase'], number[]>();
  /** Runs `body` as one measured phase. */
  const measure = async (phase: PhaseResult['phase'], body: () => Promise<void>): Promise<PhaseResult> => {
    const start = performance.now();
    const cpu = { main: mainThreadCpuMs(), process: process.cpuUsage() };
    const elu: EventLoopUtilization = performance.eventLoopUtilization();
    loopDelay.reset();
    await body();
    const end = performance.now();
    const utilisation = performance.eventLoopUtilization(elu).utilization;
    const delay = {
      p50: lateBy(loopDelay.percentile(50)),
      p99: lateBy(loopDelay.percentile(99)),
      max: lateBy(loopDelay.max),
    };
    const processCpu = process.cpuUsage(cpu.process);
    const phaseRates: number[] = [];
    for (let i = 1; i < samples.length; i++) {
      const [before, after] = [samples[i - 1]!, samples[i]!];
      if (before.time >= start + SETTLE_MS && after.time <= end) {
        phaseRates.push(((after.hashes - before.hashes) * 1000) / (after.time - before.time));
      }
    }
    rates.set(phase, phaseRates);
    const ms = end - start;
    return {
      phase,
      hashesPerSecond: Math.round(median(phaseRates)),
      hashrateSamples: phaseRates.length,
      mainThreadCpuMsPerS: round(((mainThreadCpuMs() - cpu.main) * 1000) / ms),
      processCpuMsPerS: round((((processCpu.user + processCpu.system) / 1000) * 1000) / ms),
      eventLoopUtilization: round(utilisation, 3),
      loopDelayMs: { p50: round(delay.p50, 2), p99: round(delay.p99, 2), max: round(delay.max, 2) },
      heapUsedMiB: round(process.memoryUsage().heapUsed / 2 ** 20),
    };
  };

  await sleep(warmUpMs);
  const idle = await measure('idle', () => sleep(seconds * 1000));

  const config: SenderConfig = {
    node: { host: '127.0.0.1', port },
    senders,
    rate,
    perAddress: variant.perAddress,
    copies,
    coins: chain.coins,
    publicKey: bytesToHex(chain.publicKey),
    payTo: bytesToHex(keyHash(chain.publicKey)),
    signature: bytesToHex(chain.signature),
    fee: FEE.toString(),
  };
  const before = counters();
  let report: SenderReport | undefined;
  const flood = await measure('flood', async () => {
    child.send({ type: 'start', config });
    await sleep(seconds * 1000);
    const stopped = fromChild('stopped');
    child.send({ type: 'stop' });
    const answer = await stopped;
    if (answer.type === 'stopped') report = answer.report;
  });
  const floodMs = performance.now() - before.time;
  // What the node still had to read (its socket's receive buffer) and verify (its queue) is
  // part of what the flood cost it: wait until it has read nothing for a while.
  for (let until = performance.now() + DRAIN_MS, read = -1; performance.now() < until;) {
    if (transport.read === read && state.queue.pending === 0) break;
    read = transport.read;
    await sleep(QUIET_MS);
  }
  const after = counters();
  const idleAgain = await measure('idle again', () => sleep(seconds * 1000));
  const peersRemembered = node.stats().peers;
  await stopAll();
  cleanup = () => pool.close();

  const sent = report!;
  const delta = (pick: (c: Counters) => number): number => pick(after) - pick(before);
  const refused = new Map<string, number>();
  for (const [reason, count] of after.refused) refused.set(reason, count - (before.refused.get(reason) ?? 0));
  const verified = delta((c) => c.verifications);
  const cacheHits = delta((c) => c.cacheHits);
  const refusedBefore = Object.fromEntries(
    [...refused]
      .map(([reason, count]): [string, number] => [reason, reason === 'bad-signature' ? count - verified : count])
      .filter(([, count]) => count > 0),
  );
  const eventsTotal = delta((c) => c.accepted) + [...refused.values()].reduce((sum, count) => sum + count, 0);
  const refusalTimes = events.badSignatureTimes.filter((time) => time >= before.time && time <= after.time);
  const refusals99 = refusalTimes[Math.ceil(refusalTimes.length * 0.99) - 1];
  // Idle before and after together: a load that drifts over the run favours neither.
  const kept = flood.hashesPerSecond / median([...rates.get('idle')!, ...rates.get('idle again')!]);
  if (cacheHits > 0 && !refusedBefore['bad-signature']) refusedBefore['bad-signature (cached)'] = cacheHits;
  return {
    variant: name,
    title: variant.title,
    phases: [idle, flood, idleAgain],
    kept: round(kept, 3),
    flood: {
      senders: {
        ...sent,
        cpuMs: Math.round(sent.cpuMs),
        cpuMsPerS: round((sent.cpuMs * 1000) / floodMs),
        sentPerS: Math.round((sent.sent * 1000) / floodMs),
      },
      node: {
        droppedByKernel: delta((c) => c.kernelDropped),
        read: delta((c) => c.txRead),
        droppedAtAdmission: delta((c) => c.admissionDropped),
        // Not reported by the node: what it read, less what it dropped at the door and what it answered.
        overTransactionBudget: delta((c) => c.txRead) - delta((c) => c.admissionDropped) - eventsTotal,
        refusedBeforeVerification: refusedBefore,
        verified,
        verifiedPerS: Math.round((verified * 1000) / floodMs),
        refusedAsBadSignature: refused.get('bad-signature') ?? 0,
        accepted: delta((c) => c.accepted),
        peerBans: delta((c) => c.peerBans),
        hostBans: delta((c) => c.hostBans),
        maxQueued,
        refusals99PercentAtS: refusals99 === undefined ? 0 : round((refusals99 - before.time) / 1000, 2),
        peersRemembered,
      },
    },
  };
}

const mhs = (hashesPerSecond: number): string => `${(hashesPerSecond / 1e6).toFixed(2)} MH/s`;
const count = (value: number): string => (Number.isFinite(value) ? value.toLocaleString('en-US') : 'n/a');

function printVariant(result: VariantResult): void {
  console.log(`\n${result.title}:`);
  for (const phase of result.phases) {
    console.log(
      `  ${phase.phase.padEnd(10)} ${mhs(phase.hashesPerSecond).padStart(11)} (${phase.hashrateSamples} samples)` +
        `   main thread ${phase.mainThreadCpuMsPerS.toFixed(0).padStart(4)} CPU ms/s (process ${phase.processCpuMsPerS.toFixed(0)})` +
        `   event loop ${Math.round(phase.eventLoopUtilization * 100)}% busy, delay p50 ${phase.loopDelayMs.p50.toFixed(1)} ms` +
        ` p99 ${phase.loopDelayMs.p99.toFixed(1)} ms max ${phase.loopDelayMs.max.toFixed(1)} ms   heap ${phase.heapUsedMiB} MiB`,
    );
  }
  console.log(`  kept under the flood: ${(result.kept * 100).toFixed(1)}% of the idle hashrate`);
  const { senders: s, node: n } = result.flood;
  console.log(
    `  senders: ${count(s.sent)} transfers sent (${count(s.sentPerS)}/s) from ${count(s.addresses)} ports ` +
      `(${count(s.handshakes)} handshakes, ${count(s.helloRetries)} hellos repeated), their process ${count(s.cpuMsPerS)} CPU ms/s`,
  );
  const before = Object.entries(n.refusedBeforeVerification)
    .map(([reason, value]) => `${reason} ${count(value)}`)
    .join(', ');
  console.log(
    `  node: dropped by the kernel (receive buffer full) ${count(n.droppedByKernel)}; read ${count(n.read)}: ` +
      `dropped at admission (banned, over a datagram budget) ${count(n.droppedAtAdmission)}, ` +
      `over the per-peer transaction budget ${count(n.overTransactionBudget)}, ` +
      `refused before verification: ${before || 'none'}; ` +
      `verified ${count(n.verified)} (${count(n.verifiedPerS)}/s; 99% of the refusals ${n.refusals99PercentAtS} s into the flood), ` +
      `accepted ${count(n.accepted)}; queue at most ${count(n.maxQueued)}; ` +
      `${count(n.peerBans)} peers banned, ${count(n.hostBans)} hosts; ${count(n.peersRemembered)} peers remembered`,
  );
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const chain = buildChain(CHAIN_BLOCKS);
  const pool = await MinerPool.create({ threads });
  cleanup = () => pool.close();
  loopDelay.enable();
  if (!values.json) {
    console.log(
      `tx flood: ${seconds} s a phase, ${threads} mining threads (${pool.engine}), ${senders} senders, ` +
        `${rate > 0 ? `${rate} transfers/s` : 'as fast as they can'}${copies > 1 ? `, ${copies} copies of each` : ''}; ` +
        `${availableParallelism()} cores, load ${loadAtStart[0]!.toFixed(2)}`,
    );
  }
  const results: VariantResult[] = [];
  for (const [i, name] of variants.entries()) {
    // The first node waits for the workers to start and the WebAssembly to tier up.
    const result = await runVariant(name as VariantName, chain, pool, i === 0 ? 3_000 : 1_000);
    results.push(result);
    if (!values.json) printVariant(result);
  }
  loopDelay.disable();
  await pool.close();
  const loadAtEnd = loadavg();
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          seconds,
          threads,
          engine: pool.engine,
          senders,
          rate,
          copies,
          cores: availableParallelism(),
          loadAverage1m: { start: round(loadAtStart[0]!, 2), end: round(loadAtEnd[0]!, 2) },
          variants: results,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(`\nload ${loadAtEnd[0]!.toFixed(2)} at the end`);
  }
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});
main().catch(async (error: unknown) => {
  console.error(error);
  await cleanup().catch(() => undefined);
  process.exit(1);
});
