import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { langOfEnvironment, setFallbackLang } from './i18n/index.ts'
import { MissingDatabase, openDeps } from './compose.ts'
import { loadConfig } from './config.ts'
import { DomainError } from './domain/errors.ts'
import { pseudonymOf, showPseudonym } from './domain/pseudonym.ts'
import { verifyTally } from './services/verify-tally.ts'
import { purge, removePost, removeThread, type PurgeReport } from './services/forget.ts'
import { exportLetters, markHandledByOperator, setCellKey, setLetterRetention } from './services/letters.ts'
import { groupedFingerprint } from './domain/letters.ts'
import { addRosterKey, createBoard, createCell, listAllCells, listCellBoards, listCellRoster, removeRosterKey, setBoardAccess, setBoardIndexing, setCellLang, setCellTiers } from './services/cells.ts'
import { rotateCellKey } from './services/key-transitions.ts'
import { findCellOrThrow } from './services/reading.ts'
import { parseTiers } from './domain/tiers.ts'
import { setBoardFloodMode, setRosterFloodExemption } from './services/flood.ts'
import { exportCell, type ExportProgress } from './services/archive/export.ts'
import { importArchive } from './services/archive/import.ts'
import { verifyArchive } from './services/archive/verify.ts'
import cliProgress from 'cli-progress'

// Operator commands: npm run cellboard -- <command> …  Errors go to stderr with exit code 1.
const USAGE = `usage: npm run cellboard -- <command>

  init                                                 create an empty board in DATA_DIR (the server's
                                                       first start does this too); every other command
                                                       refuses a folder that holds no board
  cell create SLUG --name NAME [--principle TEXT]... [--lang CODE]
                                                       create a cell with its line, in a language
                                                       (en, es, ar; default en)
  cell lang CELL CODE                                  change the cell's language (en, es, ar)
  cell list                                            list cells
  cell tiers CELL TIER,TIER... [--vote TIER] [--inbox TIER]
                                                       the cell's need-to-know tiers, lowest first
                                                       (member,voter at first), and the least tiers
                                                       that vote and read letters (voter, voter)
  cell flood-exempt CELL yes|no                        whether keys on the cell's roster post without
                                                       a check while one of its boards is in flood
                                                       (yes at first)
  cell key set CELL FILE|-                             set the cell's public key, to which letters are
                                                       encrypted (never its private key)
  cell key rotate CELL --new FILE --statement FILE     replace the cell key by the public key in --new;
                                                       --statement is a text the current key clearsigned
                                                       naming the new key's whole fingerprint; the old
                                                       key and the statement are published (README,
                                                       "Letters"); - reads one of the two from stdin
  letters export CELL --out FILE                       write the cell's waiting letters to FILE, one
                                                       armored OpenPGP message each (README, "Letters")
  letters handled CELL REF...                          forget letters by their references: hard-delete,
                                                       then purge
  letters retention CELL DAYS                          days a letter not marked handled is kept (30)
  board create CELL SLUG --name NAME [--description TEXT]
               [--read TIER|anyone] [--post TIER|anyone] [--retention-days N]
                                                       who reads and who posts (anyone, at first;
                                                       --visibility members: the lowest tier)
  board list CELL                                      list a cell's boards
  board tiers CELL BOARD READ [POST]                   the least tiers that read and post (a tier,
                                                       or anyone); POST is READ when left out
  board flood CELL BOARD auto|on|off                   flood mode: every post there asks for a check
                                                       while the board gets more than
                                                       FLOOD_POSTS_PER_MINUTE posts a minute (auto,
                                                       at first), always (on), or never (off)
  board indexable CELL BOARD yes|no                    whether the board asks search engines to index it
                                                       (no, at first): robots.txt lets crawlers in, and
                                                       its pages drop their noindex; only for a board
                                                       anyone reads
  roster add CELL KEYFILE|- --tier TIER                put a public key on a cell's roster at one
                                                       of its tiers (--role is the same)
  roster list CELL                                     list a cell's roster
  roster remove CELL FINGERPRINT                       take a key off a cell's roster; the cell page then
                                                       asks for the cell key to be rotated
  post remove CELL BOARD THREAD NUMBER                 hard-delete one post, then purge (THREAD is the
                                                       thread's number on the board, as in its address)
  thread remove CELL BOARD THREAD                      hard-delete a thread and its posts, then purge
  export CELL --out DIR                                write what the cell published to anyone as a static
                                                       archive (HTML, JSON, MANIFEST) in a new or empty
                                                       folder; sign it: gpg --detach-sign --armor DIR/MANIFEST
                                                       (README, "The archive")
  verify-archive DIR                                   check an archive offline: MANIFEST.asc by its cell
                                                       key, every file's SHA-256, none added or missing;
                                                       prints the cell key's fingerprint to compare
  import DIR                                           restore a verified archive into an empty board
  verify-tally FILE                                    recheck a decision's bundle offline: every ballot's
                                                       signature, and the tally and outcome
  purge                                                forget what is past retention and unsigned
                                                       keys; returns once the files hold none of it

The database is DATA_DIR/cellboard.db (DATA_DIR defaults to ./data).`

async function run(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      principle: { type: 'string', multiple: true },
      description: { type: 'string' },
      visibility: { type: 'string' },
      'retention-days': { type: 'string' },
      role: { type: 'string' },
      tier: { type: 'string' },
      read: { type: 'string' },
      post: { type: 'string' },
      vote: { type: 'string' },
      inbox: { type: 'string' },
      out: { type: 'string' },
      new: { type: 'string' },
      statement: { type: 'string' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [area, verb, ...rest] = positionals
  if (values.help || !area) return void console.log(USAGE)

  if (area === 'verify-tally') {
    // Offline: needs no database, only the bundle.
    if (verb === undefined || rest.length > 0) throw new UsageError('verify-tally takes FILE')
    const r = await verifyTally(JSON.parse(readFileSync(verb === '-' ? 0 : verb, 'utf8')))
    console.log(`${r.ok ? 'ok' : 'MISMATCH'}: ${r.outcome} (yes ${r.tally.yes}, no ${r.tally.no}, abstain ${r.tally.abstain})`)
    for (const p of r.problems) console.error(`  ${p}`)
    if (!r.ok) process.exitCode = 1
    return
  }
  if (area === 'verify-archive') {
    // Offline too: needs no database, only the folder.
    if (verb === undefined || rest.length > 0) throw new UsageError('verify-archive takes DIR')
    const r = await verifyArchive(verb)
    for (const p of r.problems) console.error(`  ${p}`)
    if (r.fingerprint) console.log(`signed by the cell key ${groupedFingerprint(r.fingerprint)} (${r.fingerprint}): compare it with the cell's by another way`)
    console.log(r.ok ? `ok: ${r.files} files, as MANIFEST lists them` : `FAILED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`)
    if (!r.ok) process.exitCode = 1
    return
  }
  const config = loadConfig(process.env)
  // Removals here are announced (compose.ts), so running servers drop the pages they cached.
  const { deps, close } = await openDeps(config, { poolSize: 2, mustExist: area !== 'init' })
  try {
    const need = (n: number, what: string) => {
      if (rest.length !== n) throw new UsageError(`${area} ${verb} takes ${what}`)
    }
    // export and import take their argument right after the command; the rest have a verb.
    switch (verb === undefined || area === 'export' || area === 'import' ? area : `${area} ${verb}`) {
      case 'init':
        console.log(config.databaseUrl ? 'the PostgreSQL database is migrated' : `a board is ready in ${config.dataDir}`)
        break
      case 'cell create': {
        need(1, 'SLUG')
        if (!values.name) throw new UsageError('cell create needs --name')
        const cell = await createCell(deps, { slug: rest[0]!, name: values.name, principles: values.principle ?? [], lang: values.lang })
        console.log(`created cell ${cell.slug} (${(values.principle ?? []).length} principles)`)
        break
      }
      case 'cell lang': {
        need(2, 'CELL CODE')
        await setCellLang(deps, { cell: rest[0]!, lang: rest[1]! })
        console.log(`the cell ${rest[0]} is now in ${rest[1]}`)
        break
      }
      case 'cell list':
        for (const c of await listAllCells(deps)) console.log(`${c.slug}\t${c.name}`)
        break
      case 'cell flood-exempt': {
        need(2, 'CELL yes|no')
        const answer = rest[1]!
        if (answer !== 'yes' && answer !== 'no') throw new UsageError('cell flood-exempt takes CELL yes|no')
        await setRosterFloodExemption(deps, { cell: rest[0]!, exempt: answer === 'yes' })
        console.log(answer === 'yes' ? `keys on the roster of ${rest[0]} post without a check while a board is in flood` : `keys on the roster of ${rest[0]} pay the same check as everyone while a board is in flood`)
        break
      }
      case 'cell key': {
        // "cell key set CELL FILE", "cell key rotate CELL --new FILE --statement FILE": the sub-verb is the first of the rest.
        if (rest[0] === 'rotate') {
          if (rest.length !== 2 || !values.new || !values.statement) throw new UsageError('cell key rotate takes CELL --new FILE --statement FILE')
          if (values.new === '-' && values.statement === '-') throw new UsageError('only one of --new and --statement can be - (standard input)')
          const read = (file: string) => readFileSync(file === '-' ? 0 : file, 'utf8')
          const [armoredKey, statement] = [read(values.new), read(values.statement)]
          const r = await rotateCellKey(deps, { cell: rest[1]!, armoredKey, statement })
          console.log(`the key of ${rest[1]} is now ${groupedFingerprint(r.fingerprint)}; new letters are encrypted to it. The old key and its statement are published as key transition ${r.number} (/c/${rest[1]}/key-transitions)`)
          break
        }
        if (rest[0] !== 'set' || rest.length !== 3) throw new UsageError('cell key set takes CELL FILE (or - for standard input); cell key rotate takes CELL --new FILE --statement FILE')
        const armored = readFileSync(rest[2] === '-' ? 0 : rest[2]!, 'utf8')
        const { fingerprint } = await setCellKey(deps, { cell: rest[1]!, armoredKey: armored })
        console.log(`the key of ${rest[1]} is now ${groupedFingerprint(fingerprint)}; letters are encrypted to it`)
        break
      }
      case 'letters export': {
        need(1, 'CELL --out FILE')
        if (!values.out) throw new UsageError('letters export needs --out FILE')
        const { count, text } = await exportLetters(deps, rest[0]!)
        writeFileSync(values.out, text, { mode: 0o600 })
        console.log(`${count} letter${count === 1 ? '' : 's'} written to ${values.out}`)
        break
      }
      case 'letters handled': {
        if (rest.length < 2) throw new UsageError('letters handled takes CELL REF...')
        const r = await markHandledByOperator(deps, rest[0]!, rest.slice(1))
        console.log(`forgot ${r.handled.length} letter${r.handled.length === 1 ? '' : 's'}${r.unknown.length > 0 ? ` (no letter waits under ${r.unknown.join(', ')})` : ''}; ${purgeLine(r.purge)}`)
        break
      }
      case 'letters retention': {
        need(2, 'CELL DAYS')
        await setLetterRetention(deps, { cell: rest[0]!, days: positiveInt(rest[1]!, 'DAYS') })
        console.log(`letters of ${rest[0]} not marked handled are forgotten after ${rest[1]} days`)
        break
      }
      case 'board create': {
        need(2, 'CELL SLUG')
        if (!values.name) throw new UsageError('board create needs --name')
        const days = values['retention-days']
        const retention = days === undefined ? null : /^[0-9]+$/.test(days) ? Number(days) : NaN
        // --visibility is the older spelling: members is the cell's lowest tier, public is anyone.
        const lowest = values.visibility === 'members' ? parseTiers((await findCellOrThrow(deps, rest[0]!)).tiers)[0] : undefined
        if (values.visibility !== undefined && values.visibility !== 'members' && values.visibility !== 'public') throw new UsageError('--visibility is public or members')
        const b = await createBoard(deps, { cell: rest[0]!, slug: rest[1]!, name: values.name, description: values.description ?? '', read: values.read ?? lowest, post: values.post, retentionDays: retention })
        console.log(`created board ${rest[0]}/${b.slug} (read: ${b.read_tier ?? 'anyone'}, post: ${b.post_tier ?? 'anyone'}${b.retention_days ? `, kept ${b.retention_days} days` : ''})`)
        break
      }
      case 'board list':
        need(1, 'CELL')
        for (const b of await listCellBoards(deps, rest[0]!)) console.log(`${b.slug}\tread: ${b.read_tier ?? 'anyone'}\tpost: ${b.post_tier ?? 'anyone'}\t${b.retention_days ?? '-'}\t${b.name}`)
        break
      case 'board tiers': {
        if (rest.length !== 3 && rest.length !== 4) throw new UsageError('board tiers takes CELL BOARD READ [POST]')
        const t = await setBoardAccess(deps, { cell: rest[0]!, board: rest[1]!, read: rest[2]!, post: rest[3] })
        console.log(`${rest[0]}/${rest[1]} is read by ${t.read ?? 'anyone'} and up, posted to by ${t.post ?? 'anyone'} and up`)
        break
      }
      case 'cell tiers': {
        need(2, 'CELL TIER,TIER...')
        const t = await setCellTiers(deps, { cell: rest[0]!, tiers: rest[1]!, vote: values.vote, inbox: values.inbox })
        console.log(`tiers of ${rest[0]}: ${t.tiers.join(' < ')}; ${t.voteTier} and up vote, ${t.inboxTier} and up read letters`)
        break
      }
      case 'board flood': {
        need(3, 'CELL BOARD auto|on|off')
        const setting = await setBoardFloodMode(deps, { cell: rest[0]!, board: rest[1]!, setting: rest[2]! })
        console.log(`flood mode of ${rest[0]}/${rest[1]} is ${setting}`)
        break
      }
      case 'board indexable': {
        need(3, 'CELL BOARD yes|no')
        const answer = rest[2]!
        if (answer !== 'yes' && answer !== 'no') throw new UsageError('board indexable takes CELL BOARD yes|no')
        await setBoardIndexing(deps, { cell: rest[0]!, board: rest[1]!, indexable: answer === 'yes' })
        console.log(answer === 'yes' ? `${rest[0]}/${rest[1]} asks search engines to index it` : `${rest[0]}/${rest[1]} asks search engines not to index it`)
        break
      }
      case 'roster add': {
        need(2, 'CELL KEYFILE (or - for standard input)')
        const tier = values.tier ?? values.role
        if (!tier) throw new UsageError('roster add needs --tier TIER (one of the cell\'s tiers: member or voter at first)')
        const armored = readFileSync(rest[1] === '-' ? 0 : rest[1]!, 'utf8')
        const fpr = await addRosterKey(deps, { cell: rest[0]!, armoredKey: armored, tier })
        console.log(`${fpr} is now ${tier} of ${rest[0]} (${showPseudonym(pseudonymOf(fpr))})`)
        break
      }
      case 'roster list':
        need(1, 'CELL')
        for (const r of await listCellRoster(deps, rest[0]!)) console.log(`${r.fingerprint}\t${r.tier}\t${showPseudonym(pseudonymOf(r.fingerprint))}`)
        break
      case 'roster remove': {
        need(2, 'CELL FINGERPRINT')
        const r = await removeRosterKey(deps, { cell: rest[0]!, fingerprint: rest[1]! })
        console.log(`removed ${rest[1]} from the roster of ${rest[0]}${r.rotationDue ? `; until the cell key is rotated, the cell page asks for it (whoever held the removed key may have the cell's private key): npm run cellboard -- cell key rotate ${rest[0]} --new FILE --statement FILE` : ''}`)
        break
      }
      case 'post remove': {
        need(4, 'CELL BOARD THREAD NUMBER')
        const [thread, number] = [positiveInt(rest[2]!, 'THREAD'), positiveInt(rest[3]!, 'NUMBER')]
        const r = await removePost(deps, { cell: rest[0]!, board: rest[1]!, thread, number })
        console.log(`removed post ${number} of thread ${thread}${r.threadDeleted ? ' (the thread had no other posts and is gone too)' : ''}; ${purgeLine(r.purge)}`)
        break
      }
      case 'thread remove': {
        need(3, 'CELL BOARD THREAD')
        const r = await removeThread(deps, { cell: rest[0]!, board: rest[1]!, thread: positiveInt(rest[2]!, 'THREAD') })
        console.log(`removed thread ${rest[2]} and its posts; ${purgeLine(r.purge)}`)
        break
      }
      case 'export': {
        if (verb === undefined || rest.length > 0 || !values.out) throw new UsageError('export takes CELL --out DIR')
        const bar = progressOf()
        try {
          const r = await exportCell(deps, { cell: verb, out: values.out }, bar.update)
          bar.stop()
          console.log(`wrote ${r.files} files (${r.bytes} bytes) to ${values.out}: ${r.boards} public boards, ${r.threads} threads, ${r.posts} posts, ${r.decisions} decisions, ${r.keys} keys`)
          console.log(`sign it with the cell key (${r.fingerprint}), offline: gpg --local-user ${r.fingerprint} --detach-sign --armor ${values.out}/MANIFEST`)
        } finally {
          bar.stop()
        }
        break
      }
      case 'import': {
        if (verb === undefined || rest.length > 0) throw new UsageError('import takes DIR')
        const r = await importArchive(deps, verb, (stage) => console.log(`import: ${stage}`))
        console.log(`imported ${r.cell}, signed by ${groupedFingerprint(r.fingerprint)}: ${r.boards} boards, ${r.threads} threads, ${r.posts} posts, ${r.decisions} decisions, ${r.keys} keys`)
        break
      }
      case 'purge': {
        // Asked for by name: always finish forgetting (on PostgreSQL too, where the timer does so
        // only after it deletes something), e.g. after a removal whose purge had to give up.
        console.log(purgeLine(await purge(deps, { removed: true })))
        break
      }
      default:
        throw new UsageError(`unknown command: ${positionals.join(' ')}`)
    }
  } finally {
    await close()
  }
}

class UsageError extends Error {}

/** A bar on a terminal; otherwise a plain line now and then (every stage, and every tenth of the posts). */
function progressOf(): { update: ExportProgress; stop: () => void } {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar({ format: 'export [{bar}] {value}/{total} posts | {stage}', hideCursor: true }, cliProgress.Presets.shades_classic)
    let started = false
    return {
      update: ({ posts, total, stage }) => {
        if (!started) bar.start(total, 0, { stage })
        started = true
        bar.update(posts, { stage })
      },
      stop: () => {
        if (started) bar.stop()
        started = false
      },
    }
  }
  let lastStage = ''
  let lastTenth = -1
  return {
    update: ({ posts, total, stage }) => {
      const tenth = total === 0 ? 10 : Math.floor((posts * 10) / total)
      const kind = stage.split(':')[0]!
      if (kind === lastStage && tenth === lastTenth) return
      lastStage = kind
      lastTenth = tenth
      console.log(`export: ${posts}/${total} posts, ${stage}`)
    },
    stop: () => {},
  }
}

function positiveInt(v: string, what: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(v)) throw new UsageError(`${what} is a positive whole number`)
  return Number(v)
}

const purgeLine = (r: PurgeReport) => `purged: ${r.threads} threads past retention, ${r.keys} keys that sign nothing${r.letters > 0 ? `, ${r.letters} letters past retention` : ''}; checkpointed in ${r.ms} ms (${r.checkpointAttempts} attempts)`

// The CLI speaks its operator's language (CELLBOARD_LANG, else the locale's), English otherwise.
setFallbackLang(langOfEnvironment(process.env))
run(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) console.error(`cellboard: ${e.message}\n\n${USAGE}`)
  else if (e instanceof MissingDatabase) console.error(`cellboard: ${e.message}`)
  else if (e instanceof DomainError) console.error(`cellboard: ${e.message}${Object.values(e.fields).map((f) => `\n  ${f}`).join('')}`)
  else if (e instanceof Error && 'code' in e && e.code === 'ENOENT') console.error(`cellboard: no such file: ${(e as NodeJS.ErrnoException).path}`)
  else if (e instanceof Error && e.name === 'TypeError' && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) console.error(`cellboard: ${e.message}\n\n${USAGE}`)
  else console.error(e)
  process.exitCode = 1
})
