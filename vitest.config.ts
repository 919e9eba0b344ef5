import { defineConfig } from 'vitest/config'

// The database-facing tests run once per dialect (as Kysely's own suite does): DIALECTS lists
// them, default both. The PostgreSQL run needs the real servers (127.0.0.1:5432 and Redis on
// :6379; .ci/run starts them) and fails, never skips, when they cannot be reached.
const dialects = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim())

// What runs on both: everything that talks to the database through the app or the services.
const DATABASE_TESTS = ['tests/http/**/*.test.ts', 'tests/gpg/**/*.test.ts', 'tests/db/registry.test.ts', 'tests/forget/retention.test.ts', 'tests/forget/markers.test.ts', 'tests/forget/client-metadata.test.ts', 'tests/forget/removal.test.ts', 'tests/db/migrate-forget.test.ts', 'tests/db/migrate-numbers.test.ts', 'tests/cli/**/*.test.ts', 'tests/browser/**/*.test.ts']

export default defineConfig({
  test: {
    // Prepares the test PostgreSQL (wal_recycle off) and fails at once, saying what to run, when a
    // server the tests need is missing.
    globalSetup: ['tests/support/global-setup.ts'],
    // Tests that spawn the CLI or a server (≈1 s of node + tsx start-up each) took up to 18 s
    // in a full run on these 2 cores, both dialects at once: room to spare, still bounded.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // Two cores on these machines: more workers only make the browser tests flaky.
    maxWorkers: 2,
    projects: [
      ...(dialects.includes('sqlite')
        ? [{ extends: true as const, test: { name: 'sqlite', include: ['tests/**/*.test.ts', 'src/**/*.test.ts'], exclude: ['tests/postgres/**'], env: { CELLBOARD_TEST_DIALECT: 'sqlite' } } }]
        : []),
      ...(dialects.includes('postgres')
        ? [{ extends: true as const, test: { name: 'postgres', include: [...DATABASE_TESTS, 'tests/postgres/**/*.test.ts'], env: { CELLBOARD_TEST_DIALECT: 'postgres' } } }]
        : []),
    ],
  },
})
