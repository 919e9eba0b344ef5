import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// The README's torrc is what an operator copies: tor itself checks it here (Debian's tor, which
// .ci/run installs), with its folders moved to a temporary one and no SOCKS port opened.
const dir = mkdtempSync(join(tmpdir(), 'cellboard-tor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the README’s torrc', () => {
  it('is a configuration tor accepts, with the proof-of-work and stream defences on', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const block = /```torrc\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block, 'a ```torrc block in README.md').toBeDefined()
    for (const option of ['HiddenServicePoWDefensesEnabled 1', 'HiddenServiceEnableIntroDoSDefense 1', 'HiddenServiceMaxStreams 20', 'SafeLogging 1']) expect(block).toContain(option)
    const torrc = block!.replace('/var/lib/tor/cellboard/', join(dir, 'hs')).replace('Log notice syslog', `Log notice file ${join(dir, 'tor.log')}`)
    const file = join(dir, 'torrc')
    writeFileSync(file, `${torrc}\nDataDirectory ${join(dir, 'data')}\nSocksPort 0\n`)
    const r = spawnSync('tor', ['--verify-config', '-f', file, '--defaults-torrc', '/dev/null'], { encoding: 'utf8', timeout: 30_000 })
    expect(r.error, 'tor must be installed (apt-get install -y tor)').toBeUndefined()
    expect(r.stdout + r.stderr).toContain('Configuration was valid')
    expect(r.status).toBe(0)
  })
})
