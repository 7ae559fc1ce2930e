/** Waiting in tests without fixed sleeps: for a condition, or for the in-process network to go quiet. */
import type { MemoryNetwork } from './memory-network.js';

/** Resolves once `condition` holds; rejects naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Waits until the network is quiet: every promise callback has run (they all run before any
 * timer does) and no datagram has been in flight for a few timer rounds. A fixed sleep would
 * be flaky on a loaded machine.
 */
export async function settle(network: MemoryNetwork): Promise<void> {
  for (let quietRounds = 0; quietRounds < 3;) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    quietRounds = network.inFlight === 0 ? quietRounds + 1 : 0;
  }
}
