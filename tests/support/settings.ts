// What the tests' boards and servers run with unless a test says otherwise: no abuse costs; limits per key high
// enough that a test posting as one key is not slowed down, and no stricter first hour. Tests of
// the limits themselves pass the defaults back (LIMITS_AS_CONFIGURED).
export const TEST_SETTINGS: Record<string, string> = {
  // No proof of work or captcha unless a test of them asks (ABUSE_COSTS=on).
  ABUSE_COSTS: 'off',
  THREAD_LIMIT_PER_HOUR: '1000',
  REPLY_LIMIT_PER_10_MINUTES: '10000',
  BALLOT_LIMIT_PER_10_MINUTES: '1000',
  PREVIEW_LIMIT_PER_10_MINUTES: '1000',
  NEW_KEY_LIMIT_DIVISOR: '1',
  // A page built on a miss gzipped at level 9 at once, whatever the test process did in the last
  // second (a busy loop would give its first reader level 1: bytes a test compares would depend on
  // timing). The tests of that path set it (tests/server/quick-gzip.test.ts); the benchmarks run
  // nodes with the default (bench/harness.ts startNode).
  GZIP_QUICK_ABOVE: '1',
}

/** Overrides that give a test the limits as the configuration's defaults have them. */
export const LIMITS_AS_CONFIGURED: Record<string, string> = {
  THREAD_LIMIT_PER_HOUR: '6',
  REPLY_LIMIT_PER_10_MINUTES: '20',
  BALLOT_LIMIT_PER_10_MINUTES: '30',
  NEW_KEY_LIMIT_DIVISOR: '3',
}
