import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ballotText } from '../../src/domain/questions.ts'
import { browserSuite, downloadText, gpgVerify, watchProblems } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'
import { Gpg } from '../support/gpg.ts'

// Moderation as the product means it, in real browsers against the real server: a member raises
// "remove this post" with JavaScript off; three voters, each holding their key a different way
// (disposable, GnuPG pasted, browser key), vote; the decision removes the post from the files and
// is published with every signed ballot, and the tally rechecks offline with the CLI and gpg.
describe('moderation in the browser: question, three kinds of ballot, published decision', () => {
  const suite = browserSuite()
  let tmp: string
  const gpgs: Gpg[] = []

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cellboard-moderation-'))
  })

  afterAll(async () => {
    for (const g of gpgs) g.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  /** A fresh browser context with JS on or off; JS-on pages record requests and problems. */
  async function visitor(js: boolean) {
    const page = await suite.page(js)
    const requests: string[] = []
    const htmx: string[] = []
    page.on('request', (r) => {
      requests.push(r.url())
      if (r.headers()['hx-request'] !== undefined) htmx.push(`${r.method()} ${r.url()}`)
    })
    return { page, requests, problems: watchProblems(page, suite.server.url), htmx }
  }

  /** The operator CLI, against the running server's data (the same SQLite file or database). */
  const cli = (args: string[]) => runCli(args, suite.env)

  let files = 0
  async function rosterAdd(armoredPublicKey: string, fingerprint: string, role: 'member' | 'voter' = 'voter') {
    expect(armoredPublicKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    const file = join(tmp, `roster-${++files}.asc`)
    writeFileSync(file, armoredPublicKey)
    const r = await cli(['roster', 'add', 'lobby', file, '--role', role])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`${fingerprint.toLowerCase()} is now ${role} of lobby`)
  }
  const rosterAddVoter = (armoredPublicKey: string, fingerprint: string) => rosterAdd(armoredPublicKey, fingerprint, 'voter')

  const main = (page: Page) => page.locator('main')
  const h1 = (page: Page) => page.locator('main h1').textContent()
  /** The fingerprint the identity page shows, lower-case hex. */
  const myFingerprint = async (page: Page) => (await main(page).locator('code.fpr').first().textContent())!.replace(/\s+/g, '').toLowerCase()

  /** JS off: take a disposable identity from /identity. */
  async function takeDisposable(page: Page) {
    await page.goto('/identity')
    expect(await h1(page)).toBe('Take an identity')
    await page.getByRole('button', { name: 'Take a disposable identity' }).click()
    await page.waitForURL((u) => u.pathname === '/identity')
    expect(await h1(page)).toBe('Your identity')
    expect(await main(page).textContent()).toContain('Kind: disposable')
    return myFingerprint(page)
  }

  it('a member questions a post with JS off; three voters decide; the post is gone from the files and the tally rechecks offline', async () => {
    const marker = `MODMARKER${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`.toUpperCase()
    const argument = `It attacks a person, not what was said (${marker.slice(-6).toLowerCase()}).`

    // 1. The poster (JS off) starts a thread whose body holds the marker.
    const poster = await visitor(false)
    const posterFpr = await takeDisposable(poster.page)
    await poster.page.goto('/c/lobby/general')
    await poster.page.fill('#title', `Something to question ${Date.now()}`)
    await poster.page.fill('#body', `This post says ${marker} and more.`)
    const [started] = await Promise.all([
      poster.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/general'),
      poster.page.getByRole('button', { name: 'Start thread' }).click(),
    ])
    expect(started.status()).toBe(303)
    await poster.page.waitForURL(/\/c\/lobby\/general\/t\/\d+$/)
    const threadPath = new URL(poster.page.url()).pathname
    const threadId = Number(threadPath.split('/').pop())
    expect(await poster.page.locator('#posts article#p1').textContent()).toContain(marker)

    // 2. Voter A: a disposable identity (JS off); its public key, downloaded, goes on the roster.
    const a = await visitor(false)
    const aFpr = await takeDisposable(a.page)
    const aKey = await downloadText(a.page, () => a.page.getByRole('link', { name: 'Download the public key' }).click())
    expect(aKey.download.suggestedFilename()).toBe('cellboard-public-key.asc')
    await rosterAddVoter(aKey.text, aFpr)

    // 3. Voter B: a real GnuPG key (JS off), logging in by pasting the clearsigned challenge.
    const gpg = new Gpg()
    gpgs.push(gpg)
    const bFprUpper = gpg.generate(`Voter B ${marker.slice(-6)} <b@cell.invalid>`)
    const bFpr = bFprUpper.toLowerCase()
    const bPublic = gpg.exportPublic(bFprUpper)
    const b = await visitor(false)
    await b.page.goto('/identity')
    const challenge = (await b.page.locator('pre#challenge').textContent())!
    expect(challenge).toMatch(/\S/)
    await b.page.getByLabel('Your public key').fill(bPublic)
    await b.page.getByLabel('The challenge, clearsigned').fill(gpg.clearsign(bFprUpper, challenge))
    const [loggedIn] = await Promise.all([
      b.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login'),
      b.page.getByRole('button', { name: 'Log in with this key' }).click(),
    ])
    expect(loggedIn.status()).toBe(303)
    await b.page.waitForURL((u) => u.pathname === '/identity')
    expect(await h1(b.page)).toBe('Your identity')
    expect(await main(b.page).textContent()).toContain('Kind: your own GnuPG key')
    expect(await myFingerprint(b.page)).toBe(bFpr)
    await rosterAddVoter(bPublic, bFpr)

    // 4. Voter C: a browser key (JS on), made and used to log in on /identity.
    const c = await visitor(true)
    await c.page.goto('/identity')
    await c.page.getByRole('button', { name: 'Create a browser key' }).click()
    const bkLogin = c.page.getByRole('button', { name: 'Log in with the browser key' })
    await bkLogin.waitFor({ state: 'visible', timeout: 30_000 })
    const [bkLoggedIn] = await Promise.all([
      c.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/identity/login', { timeout: 30_000 }),
      bkLogin.click(),
    ])
    expect(bkLoggedIn.status()).toBe(303)
    await c.page.locator('main h1', { hasText: 'Your identity' }).waitFor()
    expect(await main(c.page).textContent()).toContain('Kind: browser key')
    const cFpr = await myFingerprint(c.page)
    expect(cFpr).toMatch(/^[0-9a-f]{40}$/)
    const cKey = await downloadText(c.page, () => c.page.getByRole('link', { name: 'Download the public key' }).click())
    await rosterAddVoter(cKey.text, cFpr)
    expect(new Set([aFpr, bFpr, cFpr]).size).toBe(3)

    // 5. A member of the cell (a disposable identity on the roster as member, JS off) raises the
    // question from the post's own link.
    const member = await visitor(false)
    const memberFpr = await takeDisposable(member.page)
    const memberKey = await downloadText(member.page, () => member.page.getByRole('link', { name: 'Download the public key' }).click())
    await rosterAdd(memberKey.text, memberFpr, 'member')
    await member.page.goto(threadPath)
    await member.page.locator('article#p1').getByRole('link', { name: 'question this post' }).click()
    await member.page.waitForURL((u) => u.pathname === '/c/lobby/questions/new')
    expect(await h1(member.page)).toBe('Raise a line question')
    // The board, thread and post come filled in from the link: no numbers to type.
    expect(await member.page.getByLabel('Board (its short name)').inputValue()).toBe('general')
    expect(await member.page.getByLabel('Thread number').inputValue()).toBe(String(threadId))
    expect(await member.page.getByLabel('Post number (#N)').inputValue()).toBe('1')
    await member.page.getByLabel('Principle').selectOption('1')
    await member.page.getByLabel('Your argument, briefly').fill(argument)
    const [raised] = await Promise.all([
      member.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/c/lobby/questions'),
      member.page.getByRole('button', { name: 'Raise the question' }).click(),
    ])
    expect(raised.status()).toBe(303)
    await member.page.waitForURL(/\/c\/lobby\/questions\/\d+$/)
    const questionPath = new URL(member.page.url()).pathname
    const q = Number(questionPath.split('/').pop())
    expect(await member.page.locator(`article#q${q} h1`).first().textContent()).toBe(`Question ${q}: Remove a post`)
    expect(await member.page.locator('.ballot-count').textContent()).toContain('0 of 3 ballots cast so far')
    // A member is not a voter: no ballot form for them.
    expect(await member.page.locator('form.ballot').count()).toBe(0)
    const ballot = (choice: 'yes' | 'no' | 'abstain') => ballotText({ site: 'cellboard.local', cell: 'lobby', question: q, line: 1, choice })

    // The post's text is in the database files before the decision (proves the scan can find it).
    expect(Object.keys(await suite.findMarkers([marker, posterFpr], { present: true })).sort()).toEqual([marker, posterFpr].sort())

    // 6. Voter A (JS off) finds it in the queue: the post, the principle, the argument, the count.
    await a.page.goto('/c/lobby/questions')
    expect(await h1(a.page)).toBe('Open questions')
    const item = a.page.locator(`article#q${q}`)
    expect(await item.locator('.post.in-question').textContent()).toContain(marker)
    expect((await item.locator('blockquote.principle').textContent())!.trim()).toBe('1. Say what you mean; argue with what is said, not with who said it.')
    expect(await item.locator('p.argument').textContent()).toBe(`Argument: ${argument}`)
    expect((await item.locator('.ballot-count').textContent())!.replace(/\s+/g, ' ')).toContain('0 of 3 ballots cast so far')
    expect(await a.page.locator('header.top .open-questions').textContent()).toBe('1 open question')
    await item.getByLabel('yes', { exact: true }).check()
    await item.getByRole('button', { name: 'Review the ballot' }).click()
    await a.page.locator('main h1', { hasText: 'Sign this ballot?' }).waitFor()
    expect(await a.page.locator('pre.to-sign').textContent()).toBe(ballot('yes'))
    const [castA] = await Promise.all([
      a.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${questionPath}/ballot`),
      a.page.getByRole('button', { name: 'Sign and cast' }).click(),
    ])
    expect(castA.status()).toBe(303)
    await a.page.waitForURL((u) => u.pathname === questionPath)
    expect(await a.page.locator('.ballot-count').textContent()).toContain('1 of 3 ballots cast so far')

    // 7. Voter C (JS on) picks "no"; the browser signs the ballot before it is sent.
    await c.page.goto(questionPath)
    await c.page.waitForFunction(() => 'htmx' in window)
    expect(await c.page.locator('.ballot-count').textContent()).toContain('1 of 3 ballots cast so far')
    const cForm = c.page.locator('form.ballot[data-sign-ballot]')
    // First "yes", whose send is lost on the way (a Tor circuit dropped): the form says it was not
    // sent. Then the voter ticks "no" and sends again: the ballot sent says "no". (The signature
    // made for "yes" stayed in the form's folded paste box and was sent instead, and counted.)
    let dropped = false
    await c.page.route(`**${questionPath}/ballot`, (r) => (dropped ? r.continue() : ((dropped = true), r.abort('connectionreset'))))
    const problemsBefore = c.problems.length
    await cForm.getByLabel('yes', { exact: true }).check()
    const [lost] = await Promise.all([
      c.page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `${questionPath}/ballot`, { timeout: 30_000 }),
      cForm.getByRole('button', { name: 'Cast the ballot' }).click(),
    ])
    expect(new URLSearchParams(lost.postData() ?? '').get('signed')).toContain(ballot('yes'))
    await cForm.locator('.held-error', { hasText: 'Not sent: the connection failed on the way.' }).waitFor({ timeout: 30_000 })
    await cForm.getByLabel('no', { exact: true }).check()
    const [castC] = await Promise.all([
      c.page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `${questionPath}/ballot`, { timeout: 30_000 }),
      cForm.getByRole('button', { name: 'Cast the ballot' }).click(),
    ])
    const sent = new URLSearchParams(castC.postData() ?? '')
    expect(sent.get('signed')).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(sent.get('signed')).toContain(ballot('no'))
    expect(sent.get('signed')).not.toContain(ballot('yes'))
    await c.page.locator('.ballot-count', { hasText: '2 of 3 ballots cast so far' }).waitFor({ timeout: 30_000 })
    await c.page.unroute(`**${questionPath}/ballot`)
    // What the lost send put in the console, and nothing else.
    const lostProblems = c.problems.splice(problemsBefore)
    expect(lostProblems.every((p) => /ERR_CONNECTION_RESET|htmx:sendError|htmx:afterRequest|Failed to load resource/.test(p)), JSON.stringify(lostProblems)).toBe(true)
    expect(await c.page.locator('main').textContent()).not.toContain('Decision:')
    // Choices are not shown while the question is open.
    expect(await c.page.locator('.ballot-signed').count()).toBe(0)
    expect(await c.page.locator('.form-error, [role=alert]').count()).toBe(0)

    // 8. Voter B (JS off) clearsigns the shown "yes" text with gpg and pastes it.
    await b.page.goto(questionPath)
    expect(await b.page.locator('.ballot-count').textContent()).toContain('2 of 3 ballots cast so far')
    const shown = await b.page.locator('form.ballot pre.to-sign').allTextContents()
    expect(shown).toEqual([ballot('yes'), ballot('no'), ballot('abstain')])
    const yesText = shown.find((t) => t.endsWith('\nchoice: yes'))!
    await b.page.getByLabel('Signed ballot').fill(gpg.clearsign(bFprUpper, yesText))
    const [castB] = await Promise.all([
      b.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${questionPath}/ballot`),
      b.page.getByRole('button', { name: 'Cast the ballot' }).click(),
    ])
    expect(castB.status()).toBe(303)
    await b.page.waitForURL((u) => u.pathname === questionPath)

    // 9. All three voted, 2 yes 1 no: the decision is published and carried out.
    const page = b.page
    expect(await page.locator('main h2', { hasText: 'Decision:' }).textContent()).toBe('Decision: Adopted')
    const text = (await main(page).textContent())!.replace(/\s+/g, ' ')
    expect(text).toContain('Yes 2, no 1, abstain 0, of 3 eligible voters (quorum 2)')
    expect(text).toContain('The post was removed; its content is not shown.')
    expect(text).not.toContain(marker)
    const ballots = page.locator('section.ballot-signed')
    expect(await ballots.count()).toBe(3)
    const published = new Map<string, { choice: string; signing: string; signed: string }>()
    for (const s of await ballots.all()) {
      const head = (await s.locator('p').first().textContent())!.replace(/\s+/g, ' ').trim()
      const m = /^(yes|no|abstain), (disposable|browser|gpg-signed), key ([0-9a-f]{40,64})$/.exec(head)
      expect(m, head).not.toBeNull()
      published.set(m![3]!, { choice: m![1]!, signing: m![2]!, signed: (await s.locator('pre').textContent())! })
    }
    expect(Object.fromEntries([...published].map(([f, v]) => [f, `${v.choice} ${v.signing}`]))).toEqual({
      [aFpr]: 'yes disposable',
      [cFpr]: 'no browser',
      [bFpr]: 'yes gpg-signed',
    })
    for (const [f, v] of published) {
      expect(v.signed).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
      expect(v.signed, f).toContain(ballot(v.choice as 'yes'))
    }
    // The decision log lists it.
    await page.goto('/c/lobby/decisions')
    expect((await main(page).textContent())!.replace(/\s+/g, ' ')).toContain(`Decision ${q}: Remove a post — adopted`)
    // The thread (it had only that post) is gone, and the post's text is gone from the files.
    expect((await poster.page.goto(threadPath))!.status()).toBe(404)
    expect((await poster.page.goto(`${threadPath}/p/1.asc`))!.status()).toBe(404)
    // So is the poster's key, which signed nothing else.
    expect((await poster.page.goto(`/k/${posterFpr}.asc`))!.status()).toBe(404)
    expect(await suite.findMarkers([marker, posterFpr])).toEqual({})

    // 10. The tally bundle, downloaded by clicking, rechecks offline with the CLI and with gpg.
    await page.goto(questionPath)
    const bundle = await downloadText(page, () => page.getByRole('link', { name: 'Download the tally bundle' }).click())
    expect(bundle.download.suggestedFilename()).toBe(`lobby-question-${q}.json`)
    const file = join(tmp, 'bundle.json')
    writeFileSync(file, bundle.text)
    const verified = await cli(['verify-tally', file])
    expect(verified.stdout).toBe('ok: adopted (yes 2, no 1, abstain 0)\n')
    expect(verified.status, verified.stderr).toBe(0)
    const parsed = JSON.parse(bundle.text) as { eligible: { fingerprint: string; publicKey: string }[]; ballots: { fingerprint: string; signing: string; signedText: string }[] }
    expect(parsed.eligible.map((e) => e.fingerprint).sort()).toEqual([aFpr, bFpr, cFpr].sort())
    expect(parsed.ballots).toHaveLength(3)
    expect(JSON.stringify(parsed)).not.toContain(marker)
    for (const bl of parsed.ballots) {
      expect(bl.signing).toBe(published.get(bl.fingerprint)!.signing)
      const key = parsed.eligible.find((e) => e.fingerprint === bl.fingerprint)!.publicKey
      const r = gpgVerify(key, bl.signedText)
      expect(r.stderr, `${bl.signing} ballot by ${bl.fingerprint}`).toContain('Good signature')
      expect(r.status, r.stderr).toBe(0)
    }
    // And the check is real: a ballot whose choice was changed does not verify.
    const gpgBallot = parsed.ballots.find((bl) => bl.signing === 'gpg-signed')!
    const forged = gpgVerify(bPublic, gpgBallot.signedText.replace('choice: yes', 'choice: no'))
    expect(forged.status).not.toBe(0)
    expect(forged.stderr).toContain('BAD signature')

    // JS off pages never ran htmx; the JS-on page stayed on this origin and had no errors.
    expect([...poster.htmx, ...a.htmx, ...b.htmx]).toEqual([])
    expect(c.problems).toEqual([])
    const origin = new URL(suite.server.url).origin
    expect(c.requests.length).toBeGreaterThan(3)
    expect(c.requests.filter((u) => new URL(u).origin !== origin)).toEqual([])
    // Nothing the server printed mentions the post's text.
    expect(suite.server.output()).not.toContain(marker)
  }, 180_000)
})
