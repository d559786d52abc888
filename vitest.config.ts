import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time on this 2-core machine (vitest's default leaves one core idle): most of a file's time
    // is spent waiting on its database, and each file has a database of its own.
    maxWorkers: 2,
    // Every answer a test receives from the service is checked against openapi/openapi.json, in every file.
    setupFiles: ['test/helpers/contract.ts'],
  },
});
