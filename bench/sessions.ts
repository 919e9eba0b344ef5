// Memory per live session, the figure behind MAX_SESSIONS (README, "Configure"): disposable
// sessions made through the real use case, in this process's memory store, and in Redis.
//   npx tsx --expose-gc bench/sessions.ts        (BENCH_N=2000 sessions each way)
import { Redis } from 'ioredis'
import { openEphemeral } from '../src/ephemeral/index.ts'
import { generateDisposableKey } from '../src/pgp.ts'
import { fmt, header, log, num, REDIS_URL } from './harness.ts'

const N = num('BENCH_N', 2000)
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function fill(redisUrl: string | null, keyPrefix: string): Promise<{ heap: number; redis: number | null }> {
  const eph = await openEphemeral({ redisUrl, allowPersistence: false, sessionIdleMs: 3600_000, keyPrefix })
  await generateDisposableKey(new Date()) // openpgp loaded and warm before the first reading
  await settle()
  const before = process.memoryUsage().heapUsed
  // Each key is made and handed to the store here, as the identity use case does; only what the
  // store keeps survives the collections below.
  for (let i = 0; i < N; i++) {
    const k = await generateDisposableKey(new Date())
    await eph.sessions.create({ kind: 'disposable', fingerprint: k.fingerprint, armoredPublic: k.armoredPublic, armoredPrivate: k.armoredPrivate })
  }
  await settle()
  const heap = (process.memoryUsage().heapUsed - before) / N
  let redis: number | null = null
  if (redisUrl) {
    const r = new Redis(redisUrl)
    const all = await r.keys(`${keyPrefix}*`)
    redis = (await Promise.all(all.map((k) => r.memory('USAGE', k) as Promise<number>))).reduce((a, b) => a + b, 0) / N
    if (all.length) await r.del(...all)
    await r.quit()
  }
  await eph.close()
  return { heap, redis }
}

log(header(`Memory per live session (${fmt(N)} disposable sessions each way)`))
if (!(globalThis as { gc?: unknown }).gc) log('(run with --expose-gc for steadier heap figures)')
const memory = await fill(null, 'unused')
log(`memory store: ${fmt(memory.heap)} B of heap per session`)
const redis = await fill(REDIS_URL, `cbbench:${process.pid}:`)
log(`Redis store:  ${fmt(redis.redis!)} B in Redis per session (MEMORY USAGE of its keys); ${fmt(redis.heap)} B of this process's heap`)
