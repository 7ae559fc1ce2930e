/**
 * A `powchain mine ... --log json` child process, watched through its JSON events
 * (docs/events.md): what devnet and the integration tests use to run real nodes. Every
 * process started here is killed if this process exits first.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NodeEvent } from '../node/events.js';

export const POWCHAIN_BIN = fileURLToPath(new URL('../../bin/powchain.js', import.meta.url));

export interface NodeProcess {
  readonly pid: number;
  /** Every event so far, in order. */
  readonly events: NodeEvent[];
  /** Resolves with the first event (past or future) that matches, or rejects after timeoutMs. */
  waitFor<E extends NodeEvent>(match: (event: NodeEvent) => event is E, timeoutMs: number): Promise<E>;
  waitFor(match: (event: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent>;
  /** Called with every event as it arrives. */
  onEvent(listener: (event: NodeEvent) => void): void;
  /** The exit code once the process has ended (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  readonly exitCode: number | null | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  kill(): void;
  /** The last 20,000 characters of its stderr. */
  stderr(): string;
}

const live = new Set<() => void>();
let exitHookInstalled = false;

/** Starts `powchain mine <args...> --log json`. */
export function spawnNode(mineArgs: readonly string[], label = mineArgs[0] ?? 'node'): NodeProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const kill of live) kill();
    });
  }
  const child = spawn(process.execPath, [POWCHAIN_BIN, 'mine', ...mineArgs, '--log', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => void child.kill('SIGKILL');
  live.add(kill);
  const events: NodeEvent[] = [];
  const listeners: Array<(event: NodeEvent) => void> = [];
  interface Waiter {
    match: (event: NodeEvent) => boolean;
    resolve: (event: NodeEvent) => void;
    reject: (error: Error) => void;
  }
  const waiters: Waiter[] = [];
  let stderr = '';
  let exitCode: number | null | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event: NodeEvent;
    try {
      event = JSON.parse(line) as NodeEvent;
    } catch {
      return;
    }
    events.push(event);
    for (const listener of listeners) listener(event);
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
      exitCode = code;
      resolve(code);
      // Nothing more will come: whoever still waits is told now, not at its timeout.
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${label} exited (code ${code}) first`));
    }),
  );
  const waitFor = (match: (event: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent> => {
    const past = events.find(match);
    if (past) return Promise.resolve(past);
    if (exitCode !== undefined) return Promise.reject(new Error(`${label} exited (code ${exitCode}) first`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${label}: no matching event within ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.push(waiter);
    });
  };
  return {
    pid: child.pid!,
    events,
    waitFor: waitFor as NodeProcess['waitFor'],
    onEvent: (listener) => void listeners.push(listener),
    exited,
    get exitCode() {
      return exitCode;
    },
    stop: async (graceMs = 5_000) => {
      if (exitCode === undefined) child.kill('SIGTERM');
      const escalate = setTimeout(kill, graceMs);
      const code = await exited;
      clearTimeout(escalate);
      return code;
    },
    kill,
    stderr: () => stderr,
  };
}

export const isExit = (event: NodeEvent): event is Extract<NodeEvent, { event: 'exit' }> => event.event === 'exit';
export const isHead = (event: NodeEvent): event is Extract<NodeEvent, { event: 'head' }> => event.event === 'head';
