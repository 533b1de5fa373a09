import { defineConfig } from 'vitest/config';

// Two cores: two forked workers, so suites that talk to MariaDB/Redis do not starve each other.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite (npm run test:faults) restarts private services; .ci/run runs it separately.
    exclude: ['test/faults/**', '**/node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/helpers/setup.ts'],
    reporters: ['default'],
  },
});
