import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@brine/source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Cross-process suites start real daemons; keep them one file at a time on this 2-core box.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
