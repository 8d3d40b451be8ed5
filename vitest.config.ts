// Test runner settings: node environment, generous timeouts for the learning tests (they are sized to finish
// in a few minutes on a 2-core CI machine), files run in parallel across the two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
