import { defineConfig } from 'vitest/config';

// The fault suite starts private MariaDB/Redis instances and several skadi processes per test:
// one file at a time, generous timeouts. FAULTS_REDIS_DOWN_SECONDS shortens the Redis outage for local runs.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.faults.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    setupFiles: ['test/helpers/setup.ts'],
    // Makes the shared MariaDB data template's directory, and prints the table at the end.
    globalSetup: ['test/faults/global-setup.ts'],
  },
});
