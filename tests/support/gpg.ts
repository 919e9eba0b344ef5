import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Real GnuPG in a throw-away home directory. */
export class Gpg {
  readonly home = mkdtempSync(join(tmpdir(), 'cellboard-gpg-'))

  run(args: string[], input?: string) {
    const r = spawnSync('gpg', ['--homedir', this.home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { input, encoding: 'utf8' })
    return { status: r.status, out: r.stdout, err: r.stderr }
  }

  /** Make a key without a passphrase; returns its fingerprint (upper-case hex, as gpg prints it). */
  generate(name: string, algo = 'ed25519'): string {
    const r = this.run(['--quick-gen-key', name, algo, 'sign', 'never'])
    if (r.status !== 0) throw new Error(`gpg key generation failed: ${r.err}`)
    const list = this.run(['--with-colons', '--list-keys', name]).out
    return /^fpr:+([0-9A-F]+):/m.exec(list)![1]!
  }

  /**
   * A cell key as an operator makes one: an ed25519 primary key that signs, and a cv25519 subkey
   * that letters are encrypted to. Returns the primary key's fingerprint.
   */
  generateCellKey(name: string): string {
    const fpr = this.generate(name)
    const r = this.run(['--quick-add-key', fpr, 'cv25519', 'encr', 'never'])
    if (r.status !== 0) throw new Error(`gpg --quick-add-key failed: ${r.err}`)
    return fpr
  }

  /** gpg --decrypt of an armored message, as the bytes it writes (a letter's padding included). */
  decrypt(armored: string): { status: number | null; bytes: Buffer; err: string } {
    const r = spawnSync('gpg', ['--homedir', this.home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', '--decrypt'], { input: armored })
    return { status: r.status, bytes: r.stdout, err: r.stderr.toString() }
  }

  exportPublic(fpr: string): string {
    return this.run(['--armor', '--export', fpr]).out
  }

  clearsign(fpr: string, text: string): string {
    const r = this.run(['--local-user', fpr, '--clearsign'], text)
    if (r.status !== 0) throw new Error(`gpg --clearsign failed: ${r.err}`)
    return r.out
  }

  /** Clearsign as on a computer whose clock reads `at` (gpg --faked-system-time, frozen). */
  clearsignAt(fpr: string, text: string, at: Date): string {
    const r = this.run(['--faked-system-time', `${Math.floor(at.getTime() / 1000)}!`, '--local-user', fpr, '--clearsign'], text)
    if (r.status !== 0) throw new Error(`gpg --clearsign failed: ${r.err}`)
    return r.out
  }

  verify(file: string) {
    return this.run(['--verify', file])
  }

  close() {
    rmSync(this.home, { recursive: true, force: true })
  }
}
