import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every answer a test receives from the service is checked against openapi/openapi.json, in every file.
    setupFiles: ['test/helpers/contract.ts'],
  },
});
