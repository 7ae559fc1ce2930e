import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: the pool and network tests start their own workers and processes,
    // so test files run one or two at a time rather than fighting over the CPU.
    maxWorkers: 2,
    pool: 'forks',
  },
});
