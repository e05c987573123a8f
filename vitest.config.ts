import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/utils/setup.ts'],
    // Builds web/dist when web/ changed since the last build (the browser tests load it).
    globalSetup: ['test/utils/buildWeb.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own servers on port 0 and its own SQLite files; files run in parallel.
    pool: 'forks',
  },
});
