/**
 * Runs `powchain mine ... --log json` as a real process and collects its JSON events, so
 * integration tests observe a node exactly as an operator's tooling would.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { NodeEvent } from '../../src/node/events.js';
import { POWCHAIN_BIN } from './cli.js';

export interface PowchainNodeOptions {
  address: string;
  others: string[];
  genesis?: boolean;
  target: bigint;
  stopAtHeight?: number;
  threads?: number;
  engine?: string;
  extraArgs?: string[];
}

export interface PowchainNode {
  readonly address: string;
  readonly events: NodeEvent[];
  /** Resolves with the first event (past or future) that matches, or rejects after timeoutMs. */
  waitFor<E extends NodeEvent>(match: (event: NodeEvent) => event is E, timeoutMs: number): Promise<E>;
  waitFor(match: (event: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent>;
  /** The exit code, once the process has ended. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (then SIGKILL after 5 s); resolves with the exit code. */
  stop(): Promise<number | null>;
  stderr(): string;
  readonly pid: number;
}

const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

export function startPowchainNode(options: PowchainNodeOptions): PowchainNode {
  const args = [
    POWCHAIN_BIN,
    'mine',
    options.address,
    options.others.join(','),
    ...(options.genesis ? ['genesis'] : []),
    '--log',
    'json',
    '--target',
    '0x' + options.target.toString(16),
    '--threads',
    String(options.threads ?? 1),
    ...(options.engine ? ['--engine', options.engine] : []),
    ...(options.stopAtHeight !== undefined ? ['--stop-at-height', String(options.stopAtHeight)] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => void child.kill('SIGKILL');
  live.add(kill);
  const events: NodeEvent[] = [];
  const waiters: Array<{ match: (event: NodeEvent) => boolean; resolve: (event: NodeEvent) => void }> = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event: NodeEvent;
    try {
      event = JSON.parse(line) as NodeEvent;
    } catch {
      return;
    }
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.match(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      live.delete(kill);
      resolve(code);
    }),
  );
  const waitFor = (match: (event: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent> => {
    const past = events.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(`${options.address}: no matching event within ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`),
        );
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (event: NodeEvent) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      waiters.push(waiter);
    });
  };
  return {
    address: options.address,
    events,
    waitFor: waitFor as PowchainNode['waitFor'],
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(escalate);
      return code;
    },
    stderr: () => stderr,
    pid: child.pid!,
  };
}

export const isExit = (event: NodeEvent): event is Extract<NodeEvent, { event: 'exit' }> => event.event === 'exit';
export const isHead = (event: NodeEvent): event is Extract<NodeEvent, { event: 'head' }> => event.event === 'head';
