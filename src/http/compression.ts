import { gzipSync } from 'node:zlib'

// Compression (issue 15). A Tor circuit carries a few hundred kilobytes a second, and a thread
// page of 200 replies is 20× smaller gzipped. What is the same for every reader (a page cached
// whole for readers without a session, the static files) is compressed once, when it is built or
// read, and a request only chooses which bytes to send: nothing is compressed per request.
//
// BREACH: a compressed body that holds a secret (a form token, a session's identity) beside text
// an attacker chose (a post, a search query) lets the attacker guess the secret byte by byte from
// the body's length. Only bodies without secrets are compressed here: the pages cached whole
// exist only when rendering made no form token and the reader has no session (http/render.ts),
// and static files hold nothing of anyone. Every other response goes out as it is.

/** Whether an Accept-Encoding header takes gzip (a `q=0` refuses it; `*` takes it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false
  let star = false
  for (const item of header.split(',')) {
    const [name, ...params] = item.split(';')
    const coding = name!.trim().toLowerCase()
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)).find(Boolean)
    const ok = !q || Number(q[1]) > 0
    if (coding === '*') star = ok
    else return ok
  }
  return star
}

/** Bytes gzipped once, as hard as zlib can (they are sent many times). */
export const gzipOnce = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(gzipSync(bytes, { level: 9 }))
