import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { LANGS, type Spoken } from './i18n/index.ts'
import type { Limits } from './domain/limits.ts'
import { SEARCHES_AT_ONCE, SEARCHES_WAITING } from './domain/search.ts'

// Typed configuration, validated once at start. main.ts is the only caller that
// passes process.env; tests build a Config with loadConfig({...}).

/** GZIP_QUICK_ABOVE's default (the benchmarks run nodes with it; the tests' own settings turn it off). */
export const GZIP_QUICK_ABOVE_DEFAULT = 0.5

const schema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().default('./data'),
  // PostgreSQL instead of the embedded SQLite file (several nodes share it).
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  // PostgreSQL connections that build pages missed by the cache (db/storage.ts); default: the CPUs, at most 10.
  PG_READ_CONNECTIONS: z.coerce.number().int().min(1).max(100).optional(),
  // Redis for ephemeral state (sessions, challenges, rate limits, the form-token secret) shared by nodes.
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').optional(),
  REDIS_ALLOW_PERSISTENCE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // Every key this board keeps in Redis starts with it: boards (or test runs) sharing one Redis keep apart.
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - (at most 64)').default('cellboard:'),
  // Binds signed texts (posts, ballots, login challenges) to this site so they cannot be replayed elsewhere.
  SITE_ID: z.string().regex(/^[a-z0-9.-]{1,64}$/, 'lowercase letters, digits, dots and dashes').default('cellboard.local'),
  // The address readers reach this board at (an onion address): feeds link to it, as Atom wants
  // absolute links. Never taken from a request's Host header, which any client may set.
  PUBLIC_URL: z.string().regex(/^https?:\/\/[a-z0-9.-]{1,253}(:[0-9]{1,5})?\/?$/i, 'http:// or https:// and a host (and port), nothing after').optional(),
  DEFAULT_CELL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).default('lobby'),
  // The language of pages outside any cell (the front page, search, identity), unless a reader picks another.
  DEFAULT_LANG: z.enum(LANGS).default('en'),
  SESSION_IDLE_HOURS: z.coerce.number().positive().default(12),
  // Live sessions at most (README, "Limits"): a disposable one holds about 4 KB of keys.
  MAX_SESSIONS: z.coerce.number().int().positive().default(50_000),
  // Logins a day a key already known here makes without the check (README, "Abuse"); past them it pays as a new key.
  KEY_FREE_LOGINS_PER_DAY: z.coerce.number().int().nonnegative().default(5),
  TITLE_MAX: z.coerce.number().int().positive().default(200),
  BODY_MAX: z.coerce.number().int().positive().default(20_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  TIME_GRANULARITY_MINUTES: z.coerce.number().int().positive().default(60),
  POSTS_PER_PAGE: z.coerce.number().int().positive().default(200),
  // Pages kept rendered, at most this many megabytes (services/page-cache.ts).
  PAGE_CACHE_MB: z.coerce.number().int().positive().default(64),
  // How busy the event loop was over the last second (0–1) above which a page built on a miss goes
  // to its first reader gzipped at level 1, and at 9 once read again (http/compression.ts).
  GZIP_QUICK_ABOVE: z.coerce.number().min(0).max(1).default(GZIP_QUICK_ABOVE_DEFAULT),
  THREADS_PER_PAGE: z.coerce.number().int().positive().default(50),
  // Searches a node runs at once, and how many more wait their turn (domain/search.ts says why one).
  // At most 8: on PostgreSQL searches run on the ten connections the writes share (db/connect.ts).
  SEARCHES_AT_ONCE: z.coerce.number().int().min(1).max(8).default(SEARCHES_AT_ONCE),
  SEARCHES_WAITING: z.coerce.number().int().min(0).max(1000).default(SEARCHES_WAITING),
  // Letters a cell keeps waiting at most (README, "Letters"); past it a letter is refused until some
  // are marked handled. At most 2,000: the inbox is downloaded as one file, ~96 KiB a letter.
  LETTERS_WAITING_MAX: z.coerce.number().int().min(1).max(2000).default(1000),
  QUESTION_HOURS: z.coerce.number().positive().default(72),
  // Limits per key (README, "Limits"): a key's first hour gets NEW_KEY_LIMIT_DIVISOR times fewer.
  THREAD_LIMIT_PER_HOUR: z.coerce.number().int().positive().default(6),
  REPLY_LIMIT_PER_10_MINUTES: z.coerce.number().int().positive().default(20),
  RAISE_LIMIT_PER_HOUR: z.coerce.number().int().positive().default(5),
  BALLOT_LIMIT_PER_10_MINUTES: z.coerce.number().int().positive().default(30),
  // A preview stores nothing but costs what posting costs to check and render (and verify).
  PREVIEW_LIMIT_PER_10_MINUTES: z.coerce.number().int().positive().default(60),
  NEW_KEY_LIMIT_DIVISOR: z.coerce.number().int().positive().default(3),
  PURGE_INTERVAL_MINUTES: z.coerce.number().positive().default(60),
  COOKIE_SECURE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // Slow clients (see README, "Configure"): a Tor circuit takes seconds per round trip, not minutes.
  HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().positive().default(15),
  MAX_CONNECTIONS: z.coerce.number().int().positive().default(1000),
  // Tests only (README, "Configure"): a page sent from the cache says so in a header.
  MARK_CACHED_ANSWERS: z.enum(['on', 'off']).default('off').transform((v) => v === 'on'),
  // A cost for a new identity (README, "Configure"): off only for a private board or a test run.
  ABUSE_COSTS: z.enum(['on', 'off']).default('on').transform((v) => v === 'on'),
  // Proof of work: PBKDF2 iterations per try, and the most tries a challenge can need (BENCHMARKS.md).
  POW_COST: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  POW_MAX_COUNTER: z.coerce.number().int().min(2).max(100_000_000).default(2000),
  // Pictures drawn per second by one process; past it, the picture says so and the question still works.
  CAPTCHA_RENDERS_PER_SECOND: z.coerce.number().int().positive().default(20),
  // Checks one process lets the question alone pay for, a minute (a script answers it: README, "Abuse").
  QUESTION_ANSWERS_PER_MINUTE: z.coerce.number().int().positive().default(30),
  // Flood mode (README, "Flood mode"): past this many posts in a minute on one board, each post
  // there costs a check, until the board has stayed under it for FLOOD_HOLD_MINUTES.
  FLOOD_POSTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
  FLOOD_HOLD_MINUTES: z.coerce.number().positive().default(10),
}).refine((e) => e.HEADERS_TIMEOUT_SECONDS <= e.REQUEST_TIMEOUT_SECONDS, { message: 'HEADERS_TIMEOUT_SECONDS may not exceed REQUEST_TIMEOUT_SECONDS', path: ['HEADERS_TIMEOUT_SECONDS'] })

export type Config = {
  host: string
  port: number
  dataDir: string
  databaseUrl: string | null
  /** PostgreSQL: connections for the reads that build a page missed by the cache (as many as CPUs, at most 10, unless set). */
  pgReadConnections: number
  redisUrl: string | null
  redisAllowPersistence: boolean
  redisKeyPrefix: string
  siteId: string
  /** Where readers reach the board, without a trailing slash: feeds' links start with it. */
  publicUrl: string
  defaultCell: string
  defaultLang: Spoken
  sessionIdleMs: number
  /** Live sessions at most; past it new identities are refused, live ones never pushed out. */
  maxSessions: number
  /** Logins a day a key known here makes without the check; past them it pays as a new key does. */
  keyFreeLoginsPerDay: number
  titleMax: number
  bodyMax: number
  bodyLimitBytes: number
  timeGranularityMs: number
  postsPerPage: number
  /** Bytes of rendered pages kept at most. */
  pageCacheBytes: number
  /** Event-loop utilisation past which a page built on a miss is first gzipped at level 1 (0: always; 1: never). */
  gzipQuickAbove: number
  threadsPerPage: number
  /** Letters one cell keeps waiting at most; past it a letter is refused (503), nothing kept. */
  lettersWaitingMax: number
  /** Searches this node runs at once, and how many more may wait their turn; the rest are told it is busy. */
  searches: { atOnce: number; waiting: number }
  cookieSecure: boolean
  purgeIntervalMs: number
  questionMs: number
  raiseLimitPerHour: number
  /** How often a key may do each thing: threads, replies, questions (off the roster; four times that on it), ballots. */
  limits: Limits
  /** How long a client may take to send a request's headers, and the whole request. */
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** How long an idle kept-alive connection stays open. */
  keepAliveTimeoutMs: number
  /** Connections held at once; past it, new ones are closed at once. */
  maxConnections: number
  /**
   * Tests only: a page sent from the cache, before the app, carries `x-cached-answer: 1`, so a
   * test can tell which way it went. It tells anyone whether the page was read before: never on.
   */
  markCachedAnswers: boolean
  /** Whether taking an identity (and a held key's first login) costs a proof of work or a captcha. */
  abuseCosts: boolean
  /** PBKDF2 iterations per try of the proof of work, and the most tries one challenge needs. */
  powCost: number
  powMaxCounter: number
  captchaRendersPerSecond: number
  /** Checks this process lets the question alone pay for, a minute; past it the picture or the proof of work. */
  questionAnswersPerMinute: number
  /** Flood mode: posts a minute on one board past which it is in flood, and how long it stays so after the last such minute. */
  flood: { postsPerMinute: number; holdMs: number }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL ?? null,
    pgReadConnections: e.PG_READ_CONNECTIONS ?? Math.min(availableParallelism(), 10),
    redisUrl: e.REDIS_URL ?? null,
    redisAllowPersistence: e.REDIS_ALLOW_PERSISTENCE,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    siteId: e.SITE_ID,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '').toLowerCase(),
    defaultCell: e.DEFAULT_CELL,
    defaultLang: e.DEFAULT_LANG,
    sessionIdleMs: e.SESSION_IDLE_HOURS * 3600_000,
    maxSessions: e.MAX_SESSIONS,
    keyFreeLoginsPerDay: e.KEY_FREE_LOGINS_PER_DAY,
    titleMax: e.TITLE_MAX,
    bodyMax: e.BODY_MAX,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    timeGranularityMs: e.TIME_GRANULARITY_MINUTES * 60_000,
    postsPerPage: e.POSTS_PER_PAGE,
    pageCacheBytes: e.PAGE_CACHE_MB * 1024 * 1024,
    gzipQuickAbove: e.GZIP_QUICK_ABOVE,
    threadsPerPage: e.THREADS_PER_PAGE,
    lettersWaitingMax: e.LETTERS_WAITING_MAX,
    searches: { atOnce: e.SEARCHES_AT_ONCE, waiting: e.SEARCHES_WAITING },
    cookieSecure: e.COOKIE_SECURE,
    purgeIntervalMs: e.PURGE_INTERVAL_MINUTES * 60_000,
    questionMs: e.QUESTION_HOURS * 3600_000,
    raiseLimitPerHour: e.RAISE_LIMIT_PER_HOUR,
    limits: {
      thread: { points: e.THREAD_LIMIT_PER_HOUR, windowMs: 3600_000 },
      reply: { points: e.REPLY_LIMIT_PER_10_MINUTES, windowMs: 600_000 },
      question: { points: e.RAISE_LIMIT_PER_HOUR, windowMs: 3600_000 },
      ballot: { points: e.BALLOT_LIMIT_PER_10_MINUTES, windowMs: 600_000 },
      preview: { points: e.PREVIEW_LIMIT_PER_10_MINUTES, windowMs: 600_000 },
      newKeyDivisor: e.NEW_KEY_LIMIT_DIVISOR,
    },
    headersTimeoutMs: e.HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    maxConnections: e.MAX_CONNECTIONS,
    markCachedAnswers: e.MARK_CACHED_ANSWERS,
    abuseCosts: e.ABUSE_COSTS,
    powCost: e.POW_COST,
    powMaxCounter: e.POW_MAX_COUNTER,
    captchaRendersPerSecond: e.CAPTCHA_RENDERS_PER_SECOND,
    questionAnswersPerMinute: e.QUESTION_ANSWERS_PER_MINUTE,
    flood: { postsPerMinute: e.FLOOD_POSTS_PER_MINUTE, holdMs: e.FLOOD_HOLD_MINUTES * 60_000 },
  }
}
