import { existsSync } from 'node:fs'
import pg from 'pg'
import { Redis } from 'ioredis'

// Runs once before any test file (vitest globalSetup). `npm test` must pass by itself wherever a
// PostgreSQL and a Redis answer: what .ci/run configures, this configures too, or it fails in its
// first second with one message that says exactly what to run.
const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

const onPath = (tool: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(`${d}/${tool}`))

function fail(message: string): never {
  throw new Error(`\n\ncellboard tests cannot start: ${message}\n`)
}

export async function preparePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
  } catch (e) {
    fail(
      `no PostgreSQL at ${PG_ADMIN_URL} (${(e as Error).message}).\n` +
        'Start one that lets postgres in without a password from 127.0.0.1 (on Debian: apt-get install -y postgresql, then ' +
        '`pg_ctlcluster 15 main start`), point TEST_DATABASE_URL at another, or run the SQLite half alone: DIALECTS=sqlite npm test',
    )
  }
  try {
    // The forgetting tests scan PostgreSQL's files: recycled WAL segments keep removed text (README,
    // "Several nodes"). A stock Debian cluster has wal_recycle on; turn it off, as .ci/run does.
    const show = async () => (await client.query<{ wal_recycle: string }>('show wal_recycle')).rows[0]!.wal_recycle
    if ((await show()) !== 'off') {
      try {
        await client.query('alter system set wal_recycle = off')
        await client.query('select pg_reload_conf()')
      } catch (e) {
        fail(
          `PostgreSQL has wal_recycle = on and this role may not change it (${(e as Error).message}). As a superuser run:\n` +
            `  psql "${PG_ADMIN_URL}" -c "alter system set wal_recycle = off" -c "select pg_reload_conf()"`,
        )
      }
      // The reload reaches this backend at its next command.
      for (let i = 0; i < 50 && (await show()) !== 'off'; i++) await new Promise((r) => setTimeout(r, 20))
      if ((await show()) !== 'off') fail('wal_recycle is still on after ALTER SYSTEM and a reload; set it off in postgresql.conf and restart PostgreSQL')
      console.log('cellboard tests: set wal_recycle = off on the test PostgreSQL (ALTER SYSTEM), as the forgetting tests need')
    }
  } finally {
    await client.end()
  }
}

async function checkRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (e) {
    fail(`no Redis at ${REDIS_URL} (${(e as Error).message}). Start one that keeps nothing on disk: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`)
  } finally {
    redis.disconnect()
  }
}

export default async function setup(): Promise<void> {
  const dialects = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim())
  if (!existsSync('/usr/bin/chromium')) fail('the browser tests drive Debian\'s Chromium at /usr/bin/chromium: apt-get install -y chromium')
  for (const [tool, pkg] of [['tor', 'tor'], ['lynx', 'lynx'], ['w3m', 'w3m'], ['tmux', 'tmux'], ['gpg', 'gnupg']]) if (!onPath(tool!)) fail(`the tests run ${tool}: apt-get install -y ${pkg}`)
  if (dialects.includes('postgres')) await Promise.all([preparePostgres(), checkRedis()])
}
