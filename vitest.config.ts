import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@brine/source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Cross-process tests wait on conditions; on a 2-core box loaded by other work they take
    // several times longer than alone, so the per-test ceiling is generous.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Cross-process suites start real daemons; keep them one file at a time on this 2-core box.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
