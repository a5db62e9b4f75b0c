import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Runs in the folder of the service named by MLSERVICE_SERVICE_DIR (test/service.ts).
    setupFiles: ['test/setup.ts'],
    // Test files train models and open onnxruntime sessions: one file at a time keeps the two
    // cores free and keeps tests that touch the configured model dir from racing each other.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
