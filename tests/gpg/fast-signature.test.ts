import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearsign, generateDisposableKey, signsNatively, verifyClearsigned, type KeyPair } from '../../src/pgp.ts'

// A disposable key's signature is made packet by packet with openpgp.js's classes and Node's
// Ed25519 (src/pgp.ts, clearsignNative): it must be the signature openpgp.sign makes, field by
// field (only the time-independent random parts differ), and verify with openpgp.js and GnuPG.
let home: string
let key: KeyPair
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'cellboard-gpg-'))
  key = await generateDisposableKey(new Date('2026-12-01T10:00:00Z'))
  writeFileSync(join(home, 'key.asc'), key.armoredPublic)
  expect(gpg('--import', join(home, 'key.asc')).status).toBe(0)
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

/** What src/pgp.ts's clearsign did before: openpgp.sign, the text's line ends as gpg writes them. */
async function clearsignByOpenpgp(text: string, armoredPrivate: string, at: Date): Promise<string> {
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  const date = new Date(Math.max(at.getTime(), signingKeys.getCreationTime().getTime()))
  return (await openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys, date, format: 'armored' })).replace(/\r\n/g, '\n')
}

function gpg(...args: string[]) {
  const r = spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr }
}

// Trailing spaces, a dash-escaped line, CRLF, non-ASCII and a last line with no line end.
const TEXTS = ['cellboard post v1\nbody:\nfirst line   \n- a dash line\n\nlast', 'Привет, 世界\r\n-- \r\nFrom here\n', 'x']

async function fields(armored: string) {
  const message = await openpgp.readCleartextMessage({ cleartextMessage: armored })
  const { signature } = message as unknown as { signature: openpgp.Signature }
  const sig = signature.packets[0] as unknown as Record<string, unknown> & { rawNotations: { name: string; value: Uint8Array; critical: boolean; humanReadable: boolean }[]; issuerKeyID: openpgp.KeyID }
  return {
    text: message.getText(),
    packets: signature.packets.length,
    version: sig.version,
    signatureType: sig.signatureType,
    publicKeyAlgorithm: sig.publicKeyAlgorithm,
    hashAlgorithm: sig.hashAlgorithm,
    created: (sig.created as Date).toISOString(),
    issuerKeyID: sig.issuerKeyID.toHex(),
    issuerFingerprint: Buffer.from(sig.issuerFingerprint as Uint8Array).toString('hex'),
    notations: sig.rawNotations.map((n) => ({ name: n.name, bytes: n.value.length, critical: n.critical, humanReadable: n.humanReadable })),
    unhashed: (sig.unhashedSubpackets as unknown[]).length,
    header: armored.split('\n').slice(0, 3),
  }
}

describe('a disposable key signs natively, as openpgp.sign would', () => {
  it('field by field the same signature as openpgp.js makes, for the same text, key and time', async () => {
    const at = new Date('2026-12-03T10:00:00Z')
    expect(await signsNatively(key.armoredPrivate)).toBe(true)
    for (const text of TEXTS) {
      const [ours, theirs] = [await clearsign(text, key.armoredPrivate, at), await clearsignByOpenpgp(text, key.armoredPrivate, at)]
      expect(ours).not.toBe(theirs) // the salt differs each time: two signatures are never alike
      expect(await fields(ours)).toEqual(await fields(theirs))
      // The lines around the signature are the same too (the armor's checksum and base64 aside).
      const shape = (s: string) => s.replace(/\n-----BEGIN PGP SIGNATURE-----[\s\S]*$/, '')
      expect(shape(ours)).toBe(shape(theirs))
      expect((await fields(ours)).notations).toEqual([{ name: 'salt@notations.openpgpjs.org', bytes: 32, critical: false, humanReadable: false }])
    }
  })

  it('verifies with openpgp.js and with gpg --verify; a changed text does not', async () => {
    for (const [i, text] of TEXTS.entries()) {
      const signed = await clearsign(text, key.armoredPrivate, new Date('2026-12-03T10:00:00Z'))
      expect((await verifyClearsigned(signed, key.armoredPublic, new Date('2026-12-03T11:00:00Z'))).text).toBe(text.replace(/[ \t]+(?=\r?\n|$)/g, '').replace(/\r\n/g, '\n'))
      writeFileSync(join(home, `m${i}.asc`), signed)
      const v = gpg('--verify', join(home, `m${i}.asc`))
      expect(v.out).toContain('Good signature')
      expect(v.status).toBe(0)
      const body = signed.split('\n-----BEGIN PGP SIGNATURE-----')[0]!
      const changed = signed.replace(body, body.replace(/\n([^\n]*)$/, (_, last: string) => `\n${last}!`))
      expect(changed).not.toBe(signed)
      writeFileSync(join(home, `bad${i}.asc`), changed)
      const bad = gpg('--verify', join(home, `bad${i}.asc`))
      expect(bad.out).toContain('BAD signature')
      await expect(verifyClearsigned(changed, key.armoredPublic, new Date('2026-12-03T11:00:00Z'))).rejects.toThrow()
    }
  })
})
