// The CI gate (npm run test:mutation:gate): the proof-of-work comparison and the node:crypto
// re-check of every nonce an engine reports must kill every mutant (100%), with their own
// unit tests alone. A surviving mutant here is a way to accept a block without the work.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  ...base,
  mutate: ['src/primitives/pow.ts', 'src/hashing/pow-check.ts', 'src/hashing/verify.ts'],
  testFiles: ['test/target.test.ts', 'test/block-buffer.test.ts', 'test/pow-check.test.ts', 'test/verify.test.ts'],
  // Every mutant counts here, static ones too (the target comparison caches its target at module level).
  ignoreStatic: false,
  // CI starts from a fresh clone: nothing to reuse, and nothing kept.
  incremental: false,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation-gate/mutation.json' },
  thresholds: { high: 100, low: 100, break: 100 },
};

export default config;
