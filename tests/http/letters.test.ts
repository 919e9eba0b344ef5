import { createHash, randomBytes } from 'node:crypto'
import * as openpgp from 'openpgp'
import { afterEach, describe, expect, it } from 'vitest'
import { LETTER_BUCKETS } from '../../src/domain/letters.ts'
import { purge } from '../../src/services/forget.ts'
import { setCellKey } from '../../src/services/letters.ts'
import { makeBoard } from '../support/app.ts'
import { unescape } from '../support/keys.ts'
import { browserLetter, cellKeyPair, mainOf, makeRole, openLetter, referenceOn, sendLetters, withCellKey } from '../support/letters.ts'

// Letters to a cell (issue 12), over HTTP on both dialects: the cell key, the letter form with
// JavaScript off (the server encrypts) and as the browser sends it (ciphertext only), every
// refusal of what is not a letter to this cell, the inbox and who may see that it exists.
let board: Awaited<ReturnType<typeof makeBoard>>
afterEach(() => board?.close())

const fieldErrorOf = (page: string) => /<p class="field-error" id="text-error">([^<]*)<\/p>/.exec(page)?.[1] ?? null

describe('the cell key', () => {
  it('a cell without a key: no key.asc (404), the form says it takes no letters, and a POST is refused with nothing kept', async () => {
    board = await makeBoard()
    const c = board.client()
    expect((await c.get('/c/lobby/key.asc')).res.status).toBe(404)
    const form = await c.get('/c/lobby/letters/new')
    expect(form.res.status).toBe(200)
    expect(form.text).toContain('This cell does not take letters')
    expect(form.text).not.toContain('name="text"')
    expect((await c.get('/c/lobby')).text).not.toContain('/letters/new')
    const sent = await c.post('/c/lobby/letters', { text: 'Hello' })
    expect(sent.res.status).toBe(409)
    expect(await board.count('letter')).toBe(0)
  })

  it('refuses a private key, an expired key, a revoked key, a weak key and a key without an encryption subkey, each saying why', async () => {
    board = await makeBoard()
    const refused = async (armoredKey: string) => {
      try {
        await setCellKey(board.deps, { cell: 'lobby', armoredKey })
      } catch (e) {
        return (e as Error).message
      }
      return 'accepted'
    }
    const pair = await cellKeyPair()
    expect(await refused(pair.privateKey)).toMatch(/private key/)
    const past = new Date(Date.now() - 10 * 86_400_000)
    const expired = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'x' }], date: past, keyExpirationTime: 86_400, format: 'armored' })
    expect(await refused(expired.publicKey)).toMatch(/expired/)
    const revoked = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'x' }], format: 'object' })
    const { publicKey: revokedPublic } = await openpgp.revokeKey({ key: revoked.privateKey, format: 'armored' })
    expect(await refused(revokedPublic)).toMatch(/revoked/)
    const weak = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'x' }], format: 'armored' })
    expect(await refused(weak.publicKey)).toMatch(/RSA keys of at least 3072 bits/)
    const signOnly = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'x' }], subkeys: [], format: 'armored' })
    expect(await refused(signOnly.publicKey)).toMatch(/no encryption subkey/)
    expect(await board.column('select key_fingerprint from cell where slug = ?', 'lobby')).toEqual([null])
    // And a good one is taken: the cell page shows its whole fingerprint in groups, key.asc serves it.
    expect(await refused(pair.publicKey)).toBe('accepted')
    const c = board.client()
    const cell = await c.get('/c/lobby')
    expect(cell.text).toContain(pair.fingerprint.toUpperCase().match(/.{4}/g)!.join(' '))
    expect(cell.text).toContain('href="/c/lobby/letters/new"')
    const key = await c.get('/c/lobby/key.asc')
    expect(key.res.status).toBe(200)
    expect((await openpgp.readKey({ armoredKey: key.text })).getFingerprint()).toBe(pair.fingerprint)
    expect(key.text).not.toContain('PRIVATE')
  })
})

describe('writing a letter', () => {
  it('POST /c/:cell/letters with JavaScript off: the server pads and encrypts, the page gives a reference, and only ciphertext is stored', async () => {
    board = await makeBoard()
    const pair = await withCellKey(board)
    const c = board.client()
    const form = await c.get('/c/lobby/letters/new')
    expect(form.text).toContain('data-encrypt-letter')
    const text = `Dear cell,\r\nwe read you ${randomBytes(6).toString('hex')}. ü€\r\n`
    const sent = await c.post('/c/lobby/letters', { text, ciphertext: '' })
    expect(sent.res.status).toBe(200)
    expect(sent.res.headers.get('location')).toBeNull()
    const reference = referenceOn(sent.text)!
    expect(reference).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/)
    const [row] = await board.column('select ciphertext from letter where reference = ?', reference)
    expect(String(row)).toMatch(/^-----BEGIN PGP MESSAGE-----\n/)
    expect(String(row)).not.toContain('Dear cell')
    const opened = await openLetter(String(row), pair.privateKey)
    expect(opened.padded.length).toBe(1024)
    expect(opened.text).toBe(text.replace(/\r\n/g, '\n'))
  })

  it('a letter encrypted in the browser (ciphertext only) is kept as it came, in each bucket, up to 64 KiB', async () => {
    board = await makeBoard()
    const pair = await withCellKey(board)
    const c = board.client()
    for (const size of [10, 3000, 10_000, 65_536]) {
      await c.get('/c/lobby/letters/new')
      const text = 'x'.repeat(size - 1) + '!'
      const sent = await c.post('/c/lobby/letters', { text: '', ciphertext: await browserLetter(text, [pair.publicKey]) })
      expect(sent.res.status, fieldErrorOf(sent.text) ?? '').toBe(200)
      const [row] = await board.column('select ciphertext from letter where reference = ?', referenceOn(sent.text))
      const opened = await openLetter(String(row), pair.privateKey)
      expect(opened.text).toBe(text)
      expect(LETTER_BUCKETS).toContain(opened.padded.length)
    }
    expect(await board.count('letter')).toBe(4)
  })

  describe('refused with 422, the reason beside the field, and nothing stored', () => {
    // The same garbage on every run, not randomBytes: 0.7 % of random 1,200-byte blocks are framed
    // as something else, mostly a password-encrypted packet running to the end (128 of 20,000,
    // counted with src/pgp-packets.ts), which is refused for that reason instead, and the case failed.
    const garbage = (n: number) => Buffer.concat(Array.from({ length: Math.ceil(n / 64) }, (_, i) => createHash('sha512').update(`forged letter ${i}`).digest())).subarray(0, n)
    const cases: [string, (cell: { publicKey: string }) => Promise<Record<string, string>>, RegExp][] = [
      ['plaintext in the ciphertext field', async () => ({ ciphertext: 'Dear cell, this is not encrypted.' }), /not a letter encrypted/],
      ['forged ciphertext: random bytes in PGP armor', async () => ({ ciphertext: openpgp.armor(openpgp.enums.armor.message, garbage(1200)) }), /not a letter encrypted/],
      ['a message to another key', async () => ({ ciphertext: await browserLetter('Hello', [(await cellKeyPair()).publicKey]) }), /another key/],
      ['a message to two keys, the cell key among them', async (cell) => ({ ciphertext: await browserLetter('Hello', [cell.publicKey, (await cellKeyPair()).publicKey]) }), /encrypted to 2 keys/],
      ['a message to the cell key that a password opens too', async (cell) => ({ ciphertext: await browserLetter('Hello', [cell.publicKey], { passwords: ['pw'] }) }), /password/],
      ['a message of the wrong size (not padded)', async (cell) => ({ ciphertext: await browserLetter('Hello', [cell.publicKey], { pad: false }) }), /not padded/],
      ['a signed message, not an encrypted one', async () => {
        const k = await cellKeyPair()
        const signed = await openpgp.sign({ message: await openpgp.createMessage({ text: 'x'.repeat(1024) }), signingKeys: await openpgp.readPrivateKey({ armoredKey: k.privateKey }) })
        return { ciphertext: signed }
      }, /not a letter encrypted/],
      ['plaintext beside the ciphertext', async (cell) => ({ text: 'Dear cell', ciphertext: await browserLetter('Hello', [cell.publicKey]) }), /both encrypted and as plain text/],
      ['an empty letter', async () => ({ text: '  \r\n ' }), /empty/],
    ]
    for (const [what, make, reason] of cases) {
      it(what, async () => {
        board = await makeBoard()
        const pair = await withCellKey(board)
        const c = board.client()
        await c.get('/c/lobby/letters/new')
        const sent = await c.post('/c/lobby/letters', await make(pair))
        expect(sent.res.status).toBe(422)
        expect(fieldErrorOf(sent.text)).toMatch(reason)
        expect(sent.text).toContain('name="text"') // the form again
        expect(await board.count('letter')).toBe(0)
      })
    }
  })

  it('a letter over 64 KiB is refused (413) with nothing stored; one of 64 KiB with JavaScript off is taken (the letter route allows more than 64 KiB of body)', async () => {
    board = await makeBoard()
    const pair = await withCellKey(board)
    const c = board.client()
    await c.get('/c/lobby/letters/new')
    const over = await c.post('/c/lobby/letters', { text: 'é'.repeat(32_769) })
    expect(over.res.status).toBe(413)
    // Beside the field, by how much (é is two bytes as UTF-8).
    expect(fieldErrorOf(over.text)).toBe('At most 65,536 bytes as UTF-8 (a letter outside the Latin alphabet takes two or three a character); this one is 65,538.')
    expect(await board.count('letter')).toBe(0)
    await c.get('/c/lobby/letters/new')
    const text = 'é'.repeat(32_768) // 64 KiB as UTF-8, ≈192 KiB as a form sends it
    const sent = await c.post('/c/lobby/letters', { text })
    expect(sent.res.status).toBe(200)
    const [row] = await board.column('select ciphertext from letter')
    expect((await openLetter(String(row), pair.privateKey)).text).toBe(text)
    // Any other form keeps the 64 KiB limit.
    await c.takeIdentity()
    await c.get('/c/lobby/general')
    expect((await c.post('/c/lobby/general', { title: 't', body: 'x'.repeat(70_000) })).res.status).toBe(413)
  })

  it('costs what an identity costs when ABUSE_COSTS is on: unpaid, refused with nothing stored and the text kept in the form', async () => {
    board = await makeBoard({ ABUSE_COSTS: 'on', POW_COST: '10', POW_MAX_COUNTER: '20' })
    await withCellKey(board)
    const c = board.client()
    const form = await c.get('/c/lobby/letters/new')
    expect(form.text).toContain('name="cost_pow"')
    const sent = await c.post('/c/lobby/letters', { text: 'Unpaid letter' })
    expect(sent.res.status).toBe(422)
    expect(sent.text).toContain('Unpaid letter')
    expect(await board.count('letter')).toBe(0)
  })
})

describe('the inbox', () => {
  it('a voter sees how many letters wait, downloads them as one armored file, and marks them handled; they are deleted', async () => {
    board = await makeBoard()
    const pair = await withCellKey(board)
    const refs = await sendLetters(board, ['First letter', 'Second letter'])
    const voter = board.client()
    await makeRole(board, voter, 'voter')
    expect((await voter.get('/c/lobby')).text).toContain('2 letters waiting')
    const inbox = await voter.get('/c/lobby/letters')
    expect(inbox.res.status).toBe(200)
    expect(inbox.text).toContain('2 letters wait.')
    const file = await voter.get('/c/lobby/letters/inbox.asc')
    expect(file.res.status).toBe(200)
    const blocks = file.text.split(/(?=-----BEGIN PGP MESSAGE-----)/)
    expect(blocks).toHaveLength(2)
    expect(blocks[0]).toContain(`Comment: cellboard letter ${refs[0]}`)
    expect((await openLetter(blocks[1]!, pair.privateKey)).text).toBe('Second letter')

    const handled = await voter.post('/c/lobby/letters/handled', { references: `${refs[0]!.toLowerCase()}\n` })
    expect(handled.res.status).toBe(303)
    expect((await voter.get(handled.res.headers.get('location')!)).text).toContain('1 letter wait')
    expect(await board.column('select reference from letter')).toEqual([refs[1]])
    const bad = await voter.post('/c/lobby/letters/handled', { references: 'not a reference' })
    expect(bad.res.status).toBe(422)
    expect(await board.count('letter')).toBe(1)

    // A reference that names no waiting letter (typed wrong, or handled already) is named beside the
    // field and kept in it; the others are forgotten. It was silently dropped ("0 letters forgotten",
    // the box emptied), and a list with one typo came out one short with nothing to say which (a JS-off walkthrough).
    const typo = 'AAAA-BBBB-CCCC-DDDD'
    const mixed = await voter.post('/c/lobby/letters/handled', { references: `${refs[1]}\n${typo}\n${refs[0]}` })
    expect(mixed.res.status).toBe(422)
    expect(await board.count('letter')).toBe(0)
    const text = unescape(mixed.text)
    expect(text).toContain('1 letter forgotten.')
    expect(text).toMatch(new RegExp(`<p class="field-error" id="references-error">[^<]*${typo}, ${refs[0]}[^<]*</p>`))
    expect(text).toMatch(new RegExp(`<textarea[^>]*name="references"[^>]*>${typo}\n${refs[0]}</textarea>`))
  })

  it('anyone else (no identity, an identity, a member) learns nothing: every inbox address answers as an address naming no board, and the cell page shows no count', async () => {
    board = await makeBoard()
    await withCellKey(board)
    const writer = board.client()
    await writer.get('/c/lobby/letters/new')
    await writer.post('/c/lobby/letters', { text: 'A letter' })
    const anonymous = board.client()
    const someone = board.client()
    await someone.takeIdentity()
    const member = board.client()
    await makeRole(board, member, 'member')
    for (const c of [anonymous, someone, member]) {
      for (const [path, nothing] of [['/c/lobby/letters', '/c/lobby/no-such-board'], ['/c/lobby/letters/inbox.asc', '/c/lobby/no-such-board/inbox.asc']] as const) {
        const [a, b] = [await c.get(path), await c.get(nothing)]
        expect(a.res.status).toBe(404)
        expect(a.res.status).toBe(b.res.status)
        expect(mainOf(a.text)).toBe(mainOf(b.text))
      }
      await c.get('/c/lobby')
      const handled = await c.post('/c/lobby/letters/handled', { references: '0000-0000-0000-0000' })
      expect(handled.res.status).toBe(404)
      const cell = await c.get('/c/lobby')
      expect(cell.text).not.toMatch(/letters? waiting|href="\/c\/lobby\/letters"/)
    }
    expect(await board.count('letter')).toBe(1)
  })

  it('letters not marked handled are forgotten by the purge after the cell’s retention (30 days by default)', async () => {
    let now = Date.now()
    board = await makeBoard({}, () => now)
    await withCellKey(board)
    const writer = board.client()
    await writer.get('/c/lobby/letters/new')
    await writer.post('/c/lobby/letters', { text: 'An old letter' })
    now += 29 * 86_400_000
    expect((await purge(board.deps)).letters).toBe(0)
    now += 2 * 86_400_000
    const r = await purge(board.deps)
    expect(r.letters).toBe(1)
    expect(await board.count('letter')).toBe(0)
  })

  it('a cell takes LETTERS_WAITING_MAX letters at most until its voters handle some: past it a letter is refused (503) with nothing kept and the text back in the form, so a script cannot fill the disk or make the inbox too large to download', async () => {
    // The attack (tests today take no cost; a script answers the JS-off question anyway): letter
    // after letter to one cell. Without a bound each was kept for the retention, ~96 KiB apiece,
    // and past about 6,000 the inbox file was longer than a string can be: its download and the
    // operator's export failed (500), so the voters could read and mark none.
    board = await makeBoard({ LETTERS_WAITING_MAX: '3' })
    await withCellKey(board)
    const writer = board.client()
    await writer.get('/c/lobby/letters/new')
    const refs: string[] = []
    for (let i = 1; i <= 3; i++) {
      const sent = await writer.post('/c/lobby/letters', { text: `Letter ${i}` })
      expect(sent.res.status).toBe(200)
      refs.push(referenceOn(sent.text)!)
    }
    const over = await writer.post('/c/lobby/letters', { text: 'One letter too many' })
    expect(over.res.status).toBe(503)
    expect(over.res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
    expect(fieldErrorOf(over.text)).toMatch(/inbox is full/)
    expect(over.text).toContain('One letter too many')
    expect(referenceOn(over.text)).toBeNull()
    expect(await board.count('letter')).toBe(3)
    // Its voters see it is full, download the three, and handle one: a letter is taken again.
    const voter = board.client()
    await makeRole(board, voter, 'voter')
    const inbox = await voter.get('/c/lobby/letters')
    expect(inbox.text).toContain('3 letters wait.')
    expect(inbox.text).toMatch(/class="notice[^"]*"[^>]*>[^<]*full/)
    expect((await voter.get('/c/lobby/letters/inbox.asc')).text.split('-----BEGIN PGP MESSAGE-----')).toHaveLength(4)
    expect((await voter.post('/c/lobby/letters/handled', { references: refs[0]! })).res.status).toBe(303)
    expect((await voter.get('/c/lobby/letters')).text).not.toMatch(/class="notice[^"]*"[^>]*>[^<]*full/)
    await writer.get('/c/lobby/letters/new')
    expect((await writer.post('/c/lobby/letters', { text: 'Now there is room' })).res.status).toBe(200)
    expect(await board.count('letter')).toBe(3)
  })

  it('a board cannot be named "letters"', async () => {
    board = await makeBoard()
    const { createBoard } = await import('../../src/services/cells.ts')
    await expect(createBoard(board.deps, { cell: 'lobby', slug: 'letters', name: 'L', description: '', retentionDays: null })).rejects.toMatchObject({ fields: { slug: expect.stringMatching(/names a page of the cell/) } })
  })
})
