/**
 * Runs the seed tutorial's Python UDP miner (test/fixtures/seed-miner/miner.py) as a
 * peer in integration tests, and observes what it believes through the fixture's
 * `SEEDHEAD <height> <head hash> <root..head hashes>` stdout lines.
 *
 * Each miner runs in its own process group (`detached: true`): the Python main
 * process forks a listener and a mining process per block, and `stop()` signals
 * the whole group, then waits until no member is left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MINER_SCRIPT = 'test/fixtures/seed-miner/miner.py';
/** Only the newest output is kept for `output()`; the SEEDHEAD lines grow with the chain. */
const OUTPUT_LIMIT = 1 << 20;
const STOP_ESCALATE_MS = 2_000;
const STOP_GIVE_UP_MS = 10_000;

export interface SeedHead {
  height: number;
  hash: string;
  chain: string[];
}

export interface SeedMiner {
  readonly address: string;
  /** Every head the Python node reported, in order (genesis first). */
  heads: SeedHead[];
  /** Resolves once the node reported a head at height >= `h`. */
  waitForHeight(h: number, timeoutMs: number): Promise<void>;
  /** Kills the miner's process group; resolves when all its processes are gone. */
  stop(): Promise<void>;
  /** Recent stdout and stderr, interleaved as received (at most ~1 MiB, newest kept). */
  output(): string;
}

export interface SeedMinerOptions {
  /** `127.0.0.1:<port>` the miner binds. */
  address: string;
  /** The other miners, `127.0.0.1:<port>` each (it may include `address`; it is skipped). */
  others: string[];
  /** Mine the genesis block (exactly one miner of a network does). */
  genesis?: boolean;
  /** PoW target (`SEED_TARGET`); the tutorial's 2**235 when omitted. */
  target?: bigint;
}

let pythonChecked: boolean | undefined;

/** True when `python3` (>= 3.8) runs here and process groups can be used. */
export function pythonAvailable(): boolean {
  if (pythonChecked === undefined) {
    if (process.platform === 'win32') {
      pythonChecked = false;
    } else {
      const probe = spawnSync('python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)'], {
        stdio: 'ignore',
        timeout: 10_000,
      });
      pythonChecked = probe.error === undefined && probe.status === 0;
    }
  }
  return pythonChecked;
}

const ADDRESS_RE = /^127\.0\.0\.1:(\d{1,5})$/;

function checkAddress(address: string): void {
  const m = ADDRESS_RE.exec(address);
  const port = m?.[1] === undefined ? NaN : Number(m[1]);
  if (!(port >= 1 && port <= 65535)) {
    throw new Error(`seed miner address must be 127.0.0.1:<port>, got ${JSON.stringify(address)}`);
  }
}

const SEEDHEAD_RE = /^SEEDHEAD (\d+) ([0-9a-f]{64}) ([0-9a-f,]+)$/;

/** Process groups of miners not yet stopped, killed if the test process exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function startSeedMiner(options: SeedMinerOptions): SeedMiner {
  const { address, genesis = false, target } = options;
  checkAddress(address);
  options.others.forEach(checkAddress);
  // The tutorial's argv needs a non-empty list; the miner skips its own address.
  const others = options.others.length > 0 ? options.others : [address];

  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  if (target === undefined) {
    delete env.SEED_TARGET;
  } else {
    if (target <= 0n) throw new Error(`seed miner target must be positive, got ${target}`);
    env.SEED_TARGET = target.toString();
  }

  const args = ['-u', MINER_SCRIPT, address, others.join(','), ...(genesis ? ['genesis'] : [])];
  const child = spawn('python3', args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;

  const heads: SeedHead[] = [];
  let maxHeight = -1;
  let out = '';
  let partial = '';
  let closed = false;
  let exitInfo: string | undefined;
  const waiters = new Set<{ height: number; resolve: () => void; reject: (e: Error) => void }>();

  const append = (text: string): void => {
    out += text;
    if (out.length > 2 * OUTPUT_LIMIT) out = out.slice(out.length - OUTPUT_LIMIT);
  };
  const tail = (): string => out.slice(-4000);

  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    append(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = SEEDHEAD_RE.exec(line);
      if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) continue;
      const head: SeedHead = { height: Number(m[1]), hash: m[2], chain: m[3].split(',') };
      heads.push(head);
      if (head.height > maxHeight) maxHeight = head.height;
    }
    for (const w of waiters) if (maxHeight >= w.height) w.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', append);

  // 'close': the main process exited and every process holding its stdio (the
  // forked listener and miners) is gone as well.
  const closedPromise = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      closed = true;
      exitInfo = signal === null ? `exit code ${code}` : `signal ${signal}`;
      if (pgid !== undefined) liveGroups.delete(pgid);
      const err = new Error(`seed miner ${address} ended (${exitInfo}) before the height was reached\n${tail()}`);
      for (const w of waiters) w.reject(err);
      resolve();
    });
  });
  child.on('error', (err) => append(`\n[spawn error] ${err.message}\n`));

  if (pgid !== undefined) {
    liveGroups.add(pgid);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const g of liveGroups) killGroup(g, 'SIGKILL');
      });
    }
  }

  let stopping: Promise<void> | undefined;

  return {
    address,
    heads,
    output: () => out,
    waitForHeight(h: number, timeoutMs: number): Promise<void> {
      if (maxHeight >= h) return Promise.resolve();
      if (closed) {
        return Promise.reject(new Error(`seed miner ${address} already ended (${exitInfo})\n${tail()}`));
      }
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          height: h,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiter.reject(
            new Error(`seed miner ${address}: height ${h} not reached in ${timeoutMs} ms (at ${maxHeight})\n${tail()}`),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (pgid === undefined) return; // spawn failed: nothing runs
        killGroup(pgid, 'SIGTERM');
        const started = Date.now();
        let escalated = false;
        // Wait for the main process and every holder of its pipes, then for the
        // group itself to be empty (reaped), escalating to SIGKILL if needed.
        await Promise.race([closedPromise, sleep(STOP_ESCALATE_MS)]);
        while (!closed || groupAlive(pgid)) {
          const elapsed = Date.now() - started;
          if (!escalated && elapsed >= STOP_ESCALATE_MS) {
            escalated = true;
            killGroup(pgid, 'SIGKILL');
          }
          if (elapsed >= STOP_GIVE_UP_MS) {
            throw new Error(`seed miner ${address}: process group ${pgid} still alive after ${elapsed} ms`);
          }
          await sleep(25);
        }
        liveGroups.delete(pgid);
      })();
      return stopping;
    },
  };
}
