import * as openpgp from 'openpgp'
import type { Client } from './app.ts'

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

/** A key held by the person (as GnuPG or a browser would hold it), made with openpgp for speed. */
export async function heldKey() {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'held' }], format: 'armored' })
  const fingerprint = (await openpgp.readKey({ armoredKey: k.publicKey })).getFingerprint()
  return { ...k, fingerprint }
}

export async function clearsignWith(armoredPrivate: string, text: string): Promise<string> {
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: armoredPrivate })
  return openpgp.sign({ message: await openpgp.createCleartextMessage({ text }), signingKeys })
}

/** Log a client (or a Visitor over real HTTP) in with a held key by signing the identity page's challenge. */
export async function logInWith(c: Pick<Client, 'get' | 'post'>, key: { publicKey: string; privateKey: string }, via: 'gpg' | 'browser' = 'gpg') {
  const page = await c.get('/identity')
  const challenge = unescape(/<pre id="challenge" class="to-sign">([\s\S]*?)<\/pre>/.exec(page.text)![1]!)
  const { res, text } = await c.post("/identity/login", { via, public_key: key.publicKey, signed: await clearsignWith(key.privateKey, challenge) })
  if (res.status !== 303) throw new Error(`login failed: ${res.status}: ${/role="alert">([^<]*)/.exec(text)?.[1]}`)
}

export { unescape }
