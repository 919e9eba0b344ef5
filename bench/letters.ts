// npx tsx bench/letters.ts — letters to a cell (issue 12, "Speed"; BENCHMARKS.md, "Letters").
//
//   BENCH_ROUNDS=3 BENCH_CALLS=30 BENCH_LETTERS=200 BENCH_DOWNLOADS=5 BENCH_LOADS=3 npx tsx bench/letters.ts   quick check
//
// crypto: in this process, the cell key parsed once as the server caches it: encryptLetter
// (src/pgp.ts, the JavaScript-off path) and checkLetterCiphertext (the JavaScript-on path: framing
// read by src/pgp-packets.ts, then openpgp) at the 1 KiB and 64 KiB buckets, BENCH_CALLS calls per
// round, BENCH_ROUNDS rounds, each round interleaved with its references: openpgp.encrypt of the
// same padded bytes to the same parsed key (what encrypting costs at least), and
// openpgp.readMessage of the same armored ciphertext (what any check that parses it costs at least).
// inbox: the real server over BENCH_LETTERS letters written through sendLetter (JavaScript off,
// texts from the fixture: the 1 KiB bucket); a voter logged in over HTTP downloads
// /c/lobby/letters/inbox.asc BENCH_DOWNLOADS times, each followed by the same bytes from
// bench/ceiling.ts (a static response, its own process).
// browser: Debian's Chromium against that server, JavaScript on, a fresh context per load: a 64 KiB
// letter from the page's submit (htmx:confirm) until its POST leaves (htmx:beforeSend), which holds
// fetching the key and loading openpgp.js; then, in the same page, the encryption alone as
// static/letter.js does it (pad, read the key, encrypt), against the same steps in Node.
// Environment: BENCH_ROUNDS=5 BENCH_CALLS=100 BENCH_LETTERS=1000 BENCH_DOWNLOADS=15 BENCH_LOADS=5
// BENCH_ENCRYPTS=5 BENCH_ONLY=crypto,inbox,browser
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { paddedLetter, padLetter } from '../src/domain/letters.ts'
import { checkLetterCiphertext, encryptLetter } from '../src/pgp.ts'
import { addRosterKey } from '../src/services/cells.ts'
import { sendLetter, setCellKey } from '../src/services/letters.ts'
import { launchBrowser } from '../tests/support/browser.ts'
import { heldKey } from '../tests/support/keys.ts'
import { browserLetter, cellKeyPair } from '../tests/support/letters.ts'
import { cpuSeconds, fetchPage, fmt, header, inTempDir, log, loggedIn, median, num, only, runsOf, samePage, startCeiling, startNode, table, timeCalls, type Proc } from './harness.ts'
import { fixtureLines, withDeps } from './seed.ts'

const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 5))
const CALLS = Math.max(1, num('BENCH_CALLS', 100))
const LETTERS = num('BENCH_LETTERS', 1000)
const DOWNLOADS = Math.max(1, num('BENCH_DOWNLOADS', 15))
const LOADS = Math.max(1, num('BENCH_LOADS', 5))
const ENCRYPTS = Math.max(1, num('BENCH_ENCRYPTS', 5))
const ONLY = only('BENCH_ONLY', 'crypto,inbox,browser')
const lines = fixtureLines()
/** A text of about `bytes` bytes of UTF-8 (fixture lines), which pads to the bucket just above. */
const textOf = (bytes: number) => lines.join('\n').repeat(Math.ceil(bytes / 20_000)).slice(0, bytes)
const BUCKETS = [{ name: '1 KiB', text: textOf(900) }, { name: '64 KiB', text: textOf(60_000) }]
type Held = Awaited<ReturnType<typeof heldKey>>
const rate = (r: { median: number }) => 1e6 / r.median // letters/s from the median µs per call

async function crypto() {
  const pair = await cellKeyPair()
  const key = await openpgp.readKey({ armoredKey: pair.publicKey })
  const now = new Date()
  const rows: string[] = []
  for (const b of BUCKETS) {
    const padded = paddedLetter(b.text)
    const armored = await browserLetter(b.text, [pair.publicKey])
    if ((await checkLetterCiphertext(armored, pair.publicKey, now)).bucket !== padded.length) throw new Error('the browser-made letter is not in its bucket')
    const subjects = {
      'server encrypts (encryptLetter, JS off)': () => encryptLetter(padded, pair.publicKey, now),
      'reference: openpgp.encrypt, same bytes and key': async () => openpgp.encrypt({ message: await openpgp.createMessage({ binary: padded, format: 'binary' }), encryptionKeys: key }),
      'server checks (checkLetterCiphertext, JS on)': () => checkLetterCiphertext(armored, pair.publicKey, now),
      'reference: openpgp.readMessage, same armored text': () => openpgp.readMessage({ armoredMessage: armored }),
    }
    const got = Object.fromEntries(Object.keys(subjects).map((k) => [k, [] as number[]]))
    for (const f of Object.values(subjects)) await timeCalls(0, CALLS, f) // an unmeasured round: the JIT warms up
    for (let r = 0; r < ROUNDS; r++) for (const [k, f] of Object.entries(subjects)) got[k]!.push(rate(await timeCalls(CALLS, Math.ceil(CALLS / 10), f)))
    const [enc, encRef, chk, chkRef] = Object.values(got)
    log(`  ${b.name}: padded ${fmt(padded.length)} bytes, armored ciphertext ${fmt(armored.length)} bytes`)
    rows.push(
      ...Object.entries(got).map(([k, xs]) => `${b.name} | ${k} | ${runsOf(xs)}`),
      `${b.name} | ratio encrypt ÷ reference; check ÷ reference (medians) | ${fmt(median(enc!) / median(encRef!), 2)}; ${fmt(median(chk!) / median(chkRef!), 2)}`,
    )
  }
  log(`\nletters per second (1e6 ÷ the median µs of ${CALLS} calls after ${Math.ceil(CALLS / 10)} unmeasured), ${ROUNDS} rounds after one unmeasured; in this process, one thread`)
  table('bucket | what | letters/s, median (rounds)', rows)
}

/** `f` called `n` times, one after another: the milliseconds of each. */
async function msEach(n: number, f: () => Promise<unknown>) {
  const out: number[] = []
  for (let k = 0; k < n; k++) {
    const t = performance.now()
    await f()
    out.push(performance.now() - t)
  }
  return out
}

/** The server over a board with a cell key and LETTERS letters, and a voter's key; `f` with both. */
async function withInbox(f: (node: Proc, dir: string, voter: Held) => Promise<void>) {
  await inTempDir('letters', async (dir) => {
    const dataDir = join(dir, 'data')
    const voter = await heldKey()
    const t0 = performance.now()
    await withDeps(dataDir, async (deps) => {
      await setCellKey(deps, { cell: 'lobby', armoredKey: (await cellKeyPair()).publicKey })
      await addRosterKey(deps, { cell: 'lobby', armoredKey: voter.publicKey, tier: 'voter' })
      for (let i = 0; i < LETTERS; i++) await sendLetter(deps, { cell: 'lobby', text: `Letter ${i}: ${lines[i % 200]}`, ciphertext: '', cost: {} })
    })
    log(`wrote ${LETTERS} letters through sendLetter (JavaScript off) in ${fmt((performance.now() - t0) / 1000, 1)} s`)
    const node = await startNode({ DATA_DIR: dataDir })
    try {
      await f(node, dir, voter)
    } finally {
      await node.stop()
    }
  })
}

async function inbox(node: Proc, dir: string, voterKey: Held) {
  const path = '/c/lobby/letters/inbox.asc'
  const headers = { cookie: (await loggedIn(node.url, voterKey)).cookie }
  const page = await fetchPage(node.url + path, headers)
  const count = page.text.match(/-----BEGIN PGP MESSAGE-----/g)?.length ?? 0
  if (count !== LETTERS) throw new Error(`the inbox holds ${count} letters, not ${LETTERS}`)
  const ceiling = await startCeiling(dir, 'inbox', page, path)
  const fail = () => { throw new Error('a download was not the inbox') }
  try {
    const [server, still, cpu] = [[] as number[], [] as number[], [] as number[]]
    for (let i = 0; i <= DOWNLOADS; i++) {
      const c0 = cpuSeconds(node.pid)
      const [s] = await msEach(1, async () => samePage(await fetchPage(node.url + path, headers), page) || fail())
      const c1 = cpuSeconds(node.pid)
      const [c] = await msEach(1, async () => samePage(await fetchPage(ceiling.url), page) || fail())
      if (i > 0) server.push(s!), still.push(c!), cpu.push((c1 - c0) * 1000) // the first of each warms up
    }
    log(`\ninbox download of ${fmt(LETTERS)} letters: ${fmt(page.bytes.length)} bytes (${fmt(page.bytes.length / LETTERS)} per letter), ${DOWNLOADS} downloads each after one unmeasured, one at a time, interleaved`)
    table('what | ms, median (downloads) | MB/s', [
      `the server, logged in as a voter | ${runsOf(server, 1)} | ${fmt(page.bytes.length / 1000 / median(server), 1)}`,
      `reference: the same bytes as a static response (bench/ceiling.ts) | ${runsOf(still, 1)} | ${fmt(page.bytes.length / 1000 / median(still), 1)}`,
      `ratio server ÷ reference (medians) | ${fmt(median(server) / median(still), 2)} |`,
      `server CPU per download, ms (/proc, 10 ms ticks: the mean) | ${fmt(cpu.reduce((a, b) => a + b, 0) / cpu.length, 1)} |`,
    ])
  } finally {
    await ceiling.stop()
  }
}

/** What static/letter.js does to encrypt a letter, minus fetching the key (the page runs the same steps, written out in browser()). */
async function encryptAsThePage(text: string, armoredKey: string) {
  const encryptionKeys = await openpgp.readKey({ armoredKey })
  const message = await openpgp.createMessage({ binary: padLetter(text)!, format: 'binary', date: new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000) })
  return openpgp.encrypt({ message, encryptionKeys, config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed } })
}

async function browser(node: Proc) {
  const text = BUCKETS[1]!.text
  const armoredKey = await (await fetch(`${node.url}/c/lobby/key.asc`)).text()
  const chromium = await launchBrowser()
  const [submitToPost, fetched, inPage, inNode, problems] = [[] as number[], [] as number[], [] as number[], [] as number[], [] as string[]]
  let bytes = 0
  try {
    for (let i = 0; i <= LOADS; i++) {
      const context = await chromium.newContext({ baseURL: node.url })
      const page = await context.newPage()
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      await page.addInitScript(() => {
        const w = window as unknown as { letterTimes: number[] }
        w.letterTimes = []
        addEventListener('htmx:confirm', () => (w.letterTimes[0] = performance.now()), true)
        addEventListener('htmx:beforeSend', () => (w.letterTimes[1] = performance.now()), true)
      })
      await page.goto('/c/lobby/letters/new')
      await page.waitForFunction(() => 'htmx' in window)
      await page.locator('#letter-text').fill(text)
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/letters', { timeout: 60_000 }),
        page.getByRole('button', { name: 'Encrypt and send' }).click(),
      ])
      const sent = new URLSearchParams(response.request().postData() ?? '')
      if (response.status() !== 200 || sent.get('text') !== '' || !sent.get('ciphertext')?.startsWith('-----BEGIN PGP MESSAGE-----')) throw new Error(`the page did not send a ciphertext that was taken: ${response.status()}`)
      // What the submit fetched (openpgp.js's modules, key.asc), from resource timing: until the last arrived, and bytes.
      const [t0, t1, fetchedMs, fetchedBytes] = await page.evaluate(() => {
        const [a, b] = (window as unknown as { letterTimes: number[] }).letterTimes as [number, number]
        const got = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((e) => e.startTime >= a && e.startTime <= b)
        return [a, b, Math.max(0, ...got.map((e) => e.responseEnd)) - a, got.reduce((n, e) => n + e.encodedBodySize, 0)]
      })
      // The encryption alone, in the same page (openpgp.js and the padding already loaded by letter.js);
      // written out here, as the page's CSP refuses to evaluate a string.
      const times = await page.evaluate(
        async ({ text, armoredKey, n }) => {
          const pgp = await import('/static/openpgp/openpgp.min.mjs' as string)
          const { padLetter } = await import('/static/letter-padding.js' as string)
          const out: number[] = []
          for (let k = 0; k < n; k++) {
            const t = performance.now()
            const encryptionKeys = await pgp.readKey({ armoredKey })
            const message = await pgp.createMessage({ binary: padLetter(text), format: 'binary', date: new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000) })
            await pgp.encrypt({ message, encryptionKeys, config: { preferredCompressionAlgorithm: pgp.enums.compression.uncompressed } })
            out.push(performance.now() - t)
          }
          return out
        },
        { text, armoredKey, n: ENCRYPTS },
      )
      const nodeTimes = await msEach(ENCRYPTS, () => encryptAsThePage(text, armoredKey))
      log(`  load ${i}${i === 0 ? ' (warm-up)' : ''}: submit → POST ${fmt(t1! - t0!)} ms (fetching ${fmt(fetchedMs!)} ms, ${fmt(fetchedBytes!)} bytes); encryption in the page ${fmt(median(times))} ms, in Node ${fmt(median(nodeTimes))} ms`)
      if (i > 0) submitToPost.push(t1! - t0!), fetched.push(fetchedMs!), (bytes = fetchedBytes!), inPage.push(median(times)), inNode.push(median(nodeTimes))
      await context.close()
    }
  } finally {
    await chromium.close()
  }
  log(`\nChromium, a 64 KiB letter (${fmt(Buffer.byteLength(text))} bytes of text), ${LOADS} fresh page loads after one unmeasured; encryption alone: median of ${ENCRYPTS} per load`)
  table('what | ms, median (loads)', [
    `submit (htmx:confirm) → POST leaves (htmx:beforeSend): key fetched, openpgp.js loaded, padded, encrypted | ${runsOf(submitToPost)}`,
    `of which: from submit until the last of what it fetched arrived (openpgp.js's modules, key.asc: ${fmt(bytes)} bytes, resource timing) | ${runsOf(fetched)}`,
    `encryption alone in the page (pad, read the key, encrypt; as static/letter.js) | ${runsOf(inPage, 1)}`,
    `reference: the same steps in Node (openpgp's Node build), same run | ${runsOf(inNode, 1)}`,
    `ratio page ÷ Node (medians) | ${fmt(median(inPage) / median(inNode), 2)}`,
  ])
  if (problems.length) log(`console errors: ${problems.join('; ')}`)
}

log(header('bench/letters.ts'))
if (ONLY.has('crypto')) await crypto()
if (ONLY.has('inbox') || ONLY.has('browser')) {
  await withInbox(async (node, dir, voter) => {
    if (ONLY.has('inbox')) await inbox(node, dir, voter)
    if (ONLY.has('browser')) await browser(node)
  })
}
log(header('done'))
