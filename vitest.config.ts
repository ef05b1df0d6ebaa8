import { defineConfig } from 'vitest/config'

// Unit and integration tests run under Node; browser tests live in tests/e2e and drive Debian's
// Chromium through playwright-core against `hicra serve`.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Browser tests share two cores with Chromium and `hicra serve` per file: under that load a wait
    // occasionally runs out (seen in CI on tests that pass alone). A test that fails every try still fails.
    retry: 2
  }
})
