/**
 * The test set Stryker runs against each mutant (stryker.config.mjs): the in-process test
 * files only. Tests that drive bin/powchain.js, the tutorial's Python miners, real sockets or
 * worker threads cannot see a mutant (it lives in Stryker's process), and the simulated
 * networks of robust-network.test.ts run on the wall clock: those stay in `npm test` alone.
 * Run this set by itself with `npx vitest run -c vitest.mutation.config.ts`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      // Primitives, hashing result checks, consensus, codec, peer table, store: unit tests.
      'test/bytes.test.ts',
      'test/limits.test.ts',
      'test/target.test.ts',
      'test/wire.test.ts',
      'test/block.test.ts',
      'test/pow-check.test.ts',
      'test/verify.test.ts',
      'test/engines.test.ts',
      'test/block-tree.test.ts',
      'test/block-tree-rules.test.ts',
      'test/tree-view.test.ts',
      'test/orphan-pool.test.ts',
      'test/locator.test.ts',
      'test/messages.test.ts',
      'test/peers.test.ts',
      'test/protocol.test.ts',
      'test/block-log.test.ts',
      // In-process nodes over a MemoryNetwork, with a fake miner: fast, no wall-clock waits.
      'test/miner-node.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
