import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeBoard } from '../support/app.ts'

// Real GnuPG (Debian's gnupg), in a throw-away home.
let board: Awaited<ReturnType<typeof makeBoard>>
let home: string
beforeAll(async () => {
  board = await makeBoard()
  home = mkdtempSync(join(tmpdir(), 'cellboard-gpg-'))
})
afterAll(async () => {
  await board.close()
  rmSync(home, { recursive: true, force: true })
})

function gpg(...args: string[]) {
  const r = spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

describe('post signatures verify with GnuPG', () => {
  it('gpg --verify accepts a downloaded post with the downloaded public key, and rejects a tampered copy', async () => {
    const c = board.client()
    const fpr = await c.takeIdentity()
    await c.get('/c/lobby/general')
    const thread = (await c.post('/c/lobby/general', { title: 'Signed', body: 'first line   \n- a dash line\n\nlast' })).res.headers.get('location')!
    await c.post(thread, { body: 'A reply, also signed.' })

    const signed = await (await c.request(`${thread}/p/2.asc`)).text()
    expect(signed).toContain('-----BEGIN PGP SIGNED MESSAGE-----')
    expect(signed).toContain('cellboard post v1\nsite: cellboard.local\ncell: lobby\nboard: general\nthread: ')
    const key = await (await c.request(`/k/${fpr}.asc`)).text()
    expect(key).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----')

    writeFileSync(join(home, 'key.asc'), key)
    expect(gpg('--import', join(home, 'key.asc')).status).toBe(0)
    for (const n of [1, 2]) {
      const text = await (await c.request(`${thread}/p/${n}.asc`)).text()
      writeFileSync(join(home, `post${n}.asc`), text)
      const v = gpg('--verify', join(home, `post${n}.asc`))
      expect(v.out).toContain('Good signature')
      expect(v.out.replace(/\s/g, '')).toContain(fpr.toUpperCase())
      expect(v.status).toBe(0)
    }
    writeFileSync(join(home, 'tampered.asc'), signed.replace('A reply, also signed.', 'A reply, also forged.'))
    const bad = gpg('--verify', join(home, 'tampered.asc'))
    expect(bad.status).not.toBe(0)
    expect(bad.out).toContain('BAD signature')
  })

  it('the disposable private key imports into gpg (ecc keys GnuPG 2.2 reads)', async () => {
    const c = board.client()
    const fpr = await c.takeIdentity()
    writeFileSync(join(home, 'secret.asc'), (await c.post('/identity/private-key.asc', {})).text)
    const r = gpg('--import', join(home, 'secret.asc'))
    expect(r.status).toBe(0)
    expect(gpg('--list-secret-keys', fpr).out).toContain(fpr.toUpperCase())
  })
})
