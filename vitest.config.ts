import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One parent folder for every temporary folder of the run, removed at the end (MLSERVICE_KEEP_TEST_TMP=1 keeps it).
    globalSetup: ['test/helpers/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
