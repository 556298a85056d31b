import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start Azurite/PostgreSQL; two workers fit the 2-core CI machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
