import { defineConfig } from 'vitest/config'

// Which tests run on which database is decided by folder, so the rule shows in the tree:
//   tests/unit/, tests/server/, src/**/*.test.ts   no database (pure code, the server's sockets): once
//   tests/sqlite/                                    about SQLite itself (pragmas, kill -9): SQLite only
//   tests/postgres/                                  several nodes, Redis: PostgreSQL only
//   every other folder under tests/                  once per dialect, as Kysely's own suite runs
// DIALECTS picks the dialects (default both). The PostgreSQL run needs the real servers
// (127.0.0.1:5432 and Redis on :6379) and fails, never skips, when they cannot be reached.
const dialects = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim())
const ONCE = ['tests/unit/**', 'tests/server/**']

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
        ? [{ extends: true as const, test: { name: 'postgres', include: ['tests/**/*.test.ts'], exclude: [...ONCE, 'tests/sqlite/**'], env: { CELLBOARD_TEST_DIALECT: 'postgres' } } }]
        : []),
    ],
  },
})
