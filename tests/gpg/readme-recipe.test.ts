import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard, type Client } from '../support/app.ts'
import { Gpg } from '../support/gpg.ts'

// The README's GnuPG recipe (Privacy, "Times and names inside keys and signatures"), run as written
// with real gpg: a newcomer's key made the normal way could not sign at the hour's start ("Unusable
// secret key"), since it was made later than that.
let board: Awaited<ReturnType<typeof makeBoard>>
const homes: Gpg[] = []
beforeAll(async () => {
  board = await makeBoard()
})
afterAll(async () => {
  await board.close()
  for (const g of homes) g.close()
})

/** The README's shell blocks after the heading paragraph on times in keys: [make a key, sign]. */
function recipe(): { makeKey: string; sign: string } {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const from = readme.indexOf('**Times and names inside keys and signatures.**')
  expect(from).toBeGreaterThan(0)
  const blocks = [...readme.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!)
  expect(blocks[0]).toContain('--quick-generate-key')
  expect(blocks[1]).toContain('--clearsign post.txt')
  return { makeKey: blocks[0]!, sign: blocks[1]! }
}

/** Run README lines in a shell, in the gpg home's folder; `gpg` only gains what a script needs to run unattended. */
function sh(g: Gpg, script: string) {
  const unattended = `gpg() { command gpg --batch --no-tty --pinentry-mode loopback --passphrase '' "$@"; }\n`
  const r = spawnSync('bash', ['-euc', unattended + script], { cwd: g.home, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, GNUPGHOME: g.home } })
  return { status: r.status, out: r.stdout + r.stderr }
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

async function challengeOf(c: Client) {
  const page = await c.get('/identity')
  return unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page.text)![1]!)
}

/** The signature's time and the newest (sub)key's, in epoch seconds, as gpg reads them. */
function times(g: Gpg, fpr: string) {
  const made = Math.max(...[...g.run(['--with-colons', '--list-keys', fpr]).out.matchAll(/^(?:pub|sub):(?:[^:]*:){4}(\d+):/gm)].map((m) => Number(m[1])))
  const v = g.run(['--status-fd', '1', '--verify', join(g.home, 'post.txt.asc')])
  expect(v.status, v.err).toBe(0)
  const signed = Number(/VALIDSIG \S+ \S+ (\d+)/.exec(v.out)![1])
  return { made, signed }
}

/** Sign a login challenge with the README's lines and log in with it, as a person without JavaScript. */
async function signAndLogIn(g: Gpg, fpr: string) {
  const c = board.client()
  writeFileSync(join(g.home, 'post.txt'), `${await challengeOf(c)}\n`)
  // GnuPG freezes a faked time only when it is not the current second (gettime.c gnupg_set_time:
  // a faked time equal to now means "no faking"): the recipe run in the very second the key was
  // made signs at whatever second the clock reaches meanwhile, made + 1 once in a while. A person
  // never signs within the second their key is made; the test waits that second out too.
  const newest = Math.max(...[...g.run(['--with-colons', '--list-keys', fpr]).out.matchAll(/^(?:pub|sub):(?:[^:]*:){4}(\d+):/gm)].map((m) => Number(m[1])))
  while (Math.floor(Date.now() / 1000) <= newest) await new Promise((resolve) => setTimeout(resolve, 20))
  const hour = Math.floor(Date.now() / 3_600_000) * 3600
  const r = sh(g, recipe().sign.replace('KEY=FINGERPRINT', `KEY=${fpr}`))
  expect(r.status, r.out).toBe(0)
  const { made, signed } = times(g, fpr)
  expect(signed).toBe(Math.max(made, hour))
  const login = await c.post('/identity/login', { via: 'gpg', public_key: g.exportPublic(fpr), signed: readFileSync(join(g.home, 'post.txt.asc'), 'utf8') })
  expect(login.res.status, login.text).toBe(303)
  expect((await c.get('/identity')).text).toContain(`<code class="fpr">${fpr.toLowerCase()}</code>`)
  return { made, hour }
}

describe('the README’s GnuPG recipe', () => {
  it('a key made now, the normal way, signs with it (at the second it was made, not before) and logs in', async () => {
    const g = new Gpg()
    homes.push(g)
    const fpr = g.generate('reader <reader@example.invalid>')
    const { made, hour } = await signAndLogIn(g, fpr)
    // Why the hour's start alone failed: the key was made after it (but in the hour's first second).
    if (made > hour) {
      const old = g.run(['--faked-system-time', `${hour}!`, '--local-user', fpr, '--clearsign'], 'x\n')
      expect(old.status).not.toBe(0)
      expect(old.err).toContain('Unusable secret key')
    }
  })

  it('a key made with the README’s midnight command signs at the current hour, rounded down', async () => {
    const g = new Gpg()
    homes.push(g)
    const r = sh(g, recipe().makeKey)
    expect(r.status, r.out).toBe(0)
    const fpr = /^fpr:+([0-9A-F]+):/m.exec(g.run(['--with-colons', '--list-keys', 'cellboard']).out)![1]!
    const { made, hour } = await signAndLogIn(g, fpr)
    expect(made % 86_400).toBe(0)
    expect(made).toBeLessThanOrEqual(hour)
  })
})
