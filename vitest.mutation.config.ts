/**
 * The test set Stryker runs against each mutant (stryker.config.mjs): the in-process test
 * files only. Tests that drive bin/powchain.js, the tutorial's Python miners, real sockets,
 * worker threads or child processes cannot see a mutant (it lives in Stryker's process), the
 * browser tests test web/, and the simulated networks of robust-network.test.ts run on the
 * wall clock: those stay in `npm test` alone. Run this set by itself with
 * `npx vitest run -c vitest.mutation.config.ts`.
 */
import { defineConfig } from 'vitest/config';
import QuickestFirst from './test/mutation/sequencer.js';

export default defineConfig({
  test: {
    include: [
      // Primitives: bytes, limits, target, wire, blocks, codecs, keys, addresses, transactions.
      'test/bytes.test.ts',
      'test/codec.test.ts',
      'test/limits.test.ts',
      'test/target.test.ts',
      'test/target-cache.test.ts',
      'test/wire.test.ts',
      'test/block.test.ts',
      'test/block-buffer.test.ts',
      'test/block-hash-once.test.ts',
      'test/params.test.ts',
      'test/payload.test.ts',
      'test/tx.test.ts',
      'test/keys.test.ts',
      'test/keys-verify-error.test.ts',
      'test/coin-address.test.ts',
      // The hashing result checks (pow-check, verify).
      'test/pow-check.test.ts',
      'test/verify.test.ts',
      'test/engines.test.ts',
      // Consensus: ASERT, the block tree and its rules, orphans, the locator, the ledger.
      'test/asert.test.ts',
      'test/block-tree.test.ts',
      'test/block-tree-rules.test.ts',
      'test/block-tree-limits.test.ts',
      'test/powchain-rules.test.ts',
      'test/rules.test.ts',
      'test/waiting-room.test.ts',
      'test/tree-view.test.ts',
      'test/orphan-pool.test.ts',
      'test/locator.test.ts',
      'test/ledger.test.ts',
      'test/ledger-coins.test.ts',
      'test/ledger-max-heap.test.ts',
      'test/ledger-property.test.ts',
      'test/ledger-signature-cache.test.ts',
      'test/ledger-snapshot.test.ts',
      'test/mempool.test.ts',
      'test/mempool-follow.test.ts',
      'test/mempool-queue.test.ts',
      'test/mempool-template.test.ts',
      // The network's codec, addresses and peer table.
      'test/messages.test.ts',
      'test/peers.test.ts',
      'test/address.test.ts',
      'test/protocol.test.ts',
      'test/fuzz-cli.test.ts',
      'test/fuzz-network.test.ts',
      'test/hardening.test.ts',
      // The store (temp dirs, in process; the crash tests in child processes stay out).
      'test/block-log.test.ts',
      'test/log-format.test.ts',
      'test/store-faults.test.ts',
      'test/data-check.test.ts',
      'test/snapshot-file.test.ts',
      'test/restore.test.ts',
      // In-process nodes over the test MemoryNetwork, with a fake or node:crypto miner.
      'test/miner-node.test.ts',
      'test/powchain-network.test.ts',
      // The chain state (ledger, mempool, index): beside a tree, and in nodes that pay and are paid.
      'test/chain-state.test.ts',
      'test/transactions-network.test.ts',
    ],
    setupFiles: ['test/mutation/setup.ts'],
    sequence: { sequencer: QuickestFirst },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
