import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DEFAULT_LANG, LANG_NAMES, LANGS, langOfEnvironment, setFallbackLang, t, type Spoken } from './i18n/index.ts'
import { MissingDatabase, openDeps } from './compose.ts'
import { loadConfig } from './config.ts'
import { DomainError } from './domain/errors.ts'
import { pseudonymOf, showPseudonym } from './domain/pseudonym.ts'
import { verifyTally } from './services/verify-tally.ts'
import { ForgettingUnfinished, purge, removePost, removeThread, type PurgeReport } from './services/forget.ts'
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
// The usage text: each command's syntax (never translated) and its description from the catalog,
// wrapped; the descriptions start at one column, counted from the syntax, in every language.
const LANG_LIST = LANGS.join(', ')
const COMMANDS: [syntax: string[], key: string, values?: Record<string, string>][] = [
  [['init'], 'usage_init'],
  [['cell create SLUG --name NAME [--principle TEXT]... [--lang CODE]'], 'usage_cell_create', { langs: LANG_LIST, default: DEFAULT_LANG }],
  [['cell lang CELL CODE'], 'usage_cell_lang', { langs: LANG_LIST }],
  [['cell list'], 'usage_cell_list'],
  [['cell tiers CELL TIER,TIER... [--vote TIER] [--inbox TIER]'], 'usage_cell_tiers'],
  [['cell flood-exempt CELL yes|no'], 'usage_cell_flood_exempt'],
  [['cell key set CELL FILE|-'], 'usage_cell_key_set'],
  [['cell key rotate CELL --new FILE --statement FILE'], 'usage_cell_key_rotate'],
  [['letters export CELL --out FILE'], 'usage_letters_export'],
  [['letters handled CELL REF...'], 'usage_letters_handled'],
  [['letters retention CELL DAYS'], 'usage_letters_retention'],
  [['board create CELL SLUG --name NAME [--description TEXT]', '             [--read TIER|anyone] [--post TIER|anyone] [--retention-days N]'], 'usage_board_create'],
  [['board list CELL'], 'usage_board_list'],
  [['board tiers CELL BOARD READ [POST]'], 'usage_board_tiers'],
  [['board flood CELL BOARD auto|on|off'], 'usage_board_flood'],
  [['board indexable CELL BOARD yes|no'], 'usage_board_indexable'],
  [['roster add CELL KEYFILE|- --tier TIER'], 'usage_roster_add'],
  [['roster list CELL'], 'usage_roster_list'],
  [['roster remove CELL FINGERPRINT'], 'usage_roster_remove'],
  [['post remove CELL BOARD THREAD NUMBER'], 'usage_post_remove'],
  [['thread remove CELL BOARD THREAD'], 'usage_thread_remove'],
  [['export CELL --out DIR'], 'usage_export', { command: 'gpg --detach-sign --armor DIR/MANIFEST' }],
  [['verify-archive DIR'], 'usage_verify_archive'],
  [['import DIR'], 'usage_import'],
  [['verify-tally FILE'], 'usage_verify_tally'],
  [['purge'], 'usage_purge'],
]
const SYNTAX_COLUMN = 55
const DESCRIPTION_WIDTH = 50
const NBSP = '\u00a0'

/** Words into lines of at most `width` characters (a longer word has a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.map((l) => l.replaceAll(NBSP, ' '))
}

/** The usage text, in the CLI's language: a command's syntax, then what it does. */
function usage(): string {
  const out = [t('cli.usage_head', { invocation: 'npm run cellboard -- <command>' }), '']
  for (const [syntax, key, values] of COMMANDS) {
    // A command line inside a description stays on one line.
    const kept = Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [k, v.replaceAll(' ', NBSP)]))
    const description = wrap(t(`cli.${key}`, kept), DESCRIPTION_WIDTH)
    const lines = syntax.map((s) => `  ${s}`)
    const last = lines.at(-1)!
    // The description starts beside the syntax when there is room, else on the line below.
    if (last.length < SYNTAX_COLUMN - 1) lines[lines.length - 1] = last.padEnd(SYNTAX_COLUMN) + description.shift()
    for (const d of description) lines.push(' '.repeat(SYNTAX_COLUMN) + d)
    out.push(...lines)
  }
  out.push('', t('cli.usage_foot'))
  return out.join('\n')
}

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
  if (values.help || !area) return void console.log(usage())

  if (area === 'verify-tally') {
    // Offline: needs no database, only the bundle.
    if (verb === undefined || rest.length > 0) throw new UsageError(t('cli.takes', { command: 'verify-tally', args: 'FILE' }))
    const r = await verifyTally(JSON.parse(readFileSync(verb === '-' ? 0 : verb, 'utf8')))
    // "ok" and "MISMATCH" are the same in every language, for a script that reads the line.
    console.log(`${r.ok ? 'ok' : 'MISMATCH'}: ${t('cli.tally_line', { outcome: outcomeWord(r.outcome), ...r.tally })}`)
    for (const p of r.problems) console.error(`  ${p}`)
    if (!r.ok) process.exitCode = 1
    return
  }
  if (area === 'verify-archive') {
    // Offline too: needs no database, only the folder.
    if (verb === undefined || rest.length > 0) throw new UsageError(t('cli.takes', { command: 'verify-archive', args: 'DIR' }))
    const r = await verifyArchive(verb)
    for (const p of r.problems) console.error(`  ${p}`)
    if (r.fingerprint) console.log(t('cli.archive_signed_by', { grouped: groupedFingerprint(r.fingerprint), fingerprint: r.fingerprint }))
    // "ok" and "FAILED", like verify-tally's words, are the same in every language.
    console.log(r.ok ? `ok: ${t('cli.archive_ok', { files: r.files })}` : `FAILED: ${t('cli.archive_failed', { count: r.problems.length })}`)
    if (!r.ok) process.exitCode = 1
    return
  }
  const config = loadConfig(process.env)
  // Removals here are announced (compose.ts), so running servers drop the pages they cached.
  const { deps, close } = await openDeps(config, { poolSize: 2, mustExist: area !== 'init' })
  try {
    const command = `${area} ${verb}`
    const need = (n: number, args: string, stdin = false) => {
      if (rest.length !== n) throw new UsageError(t(stdin ? 'cli.takes_stdin' : 'cli.takes', { command, args }))
    }
    // export and import take their argument right after the command; the rest have a verb.
    switch (verb === undefined || area === 'export' || area === 'import' ? area : command) {
      case 'init':
        console.log(config.databaseUrl ? t('cli.init_postgres') : t('cli.init_sqlite', { dir: config.dataDir }))
        break
      case 'cell create': {
        need(1, 'SLUG')
        if (!values.name) throw new UsageError(t('cli.needs', { command, option: '--name' }))
        const cell = await createCell(deps, { slug: rest[0]!, name: values.name, principles: values.principle ?? [], lang: values.lang })
        console.log(t('cli.cell_created', { cell: cell.slug, count: (values.principle ?? []).length }))
        break
      }
      case 'cell lang': {
        need(2, 'CELL CODE')
        await setCellLang(deps, { cell: rest[0]!, lang: rest[1]! })
        console.log(t('cli.cell_lang_set', { cell: rest[0]!, name: LANG_NAMES[rest[1] as Spoken], lang: rest[1]! }))
        break
      }
      case 'cell list':
        for (const c of await listAllCells(deps)) console.log(`${c.slug}\t${c.name}`)
        break
      case 'cell flood-exempt': {
        need(2, 'CELL yes|no')
        const answer = rest[1]!
        if (answer !== 'yes' && answer !== 'no') throw new UsageError(t('cli.takes', { command, args: 'CELL yes|no' }))
        await setRosterFloodExemption(deps, { cell: rest[0]!, exempt: answer === 'yes' })
        console.log(t(answer === 'yes' ? 'cli.flood_exempt_yes' : 'cli.flood_exempt_no', { cell: rest[0]! }))
        break
      }
      case 'cell key': {
        // "cell key set CELL FILE", "cell key rotate CELL --new FILE --statement FILE": the sub-verb is the first of the rest.
        const rotate = { command: 'cell key rotate', args: 'CELL --new FILE --statement FILE' }
        if (rest[0] === 'rotate') {
          if (rest.length !== 2 || !values.new || !values.statement) throw new UsageError(t('cli.takes', rotate))
          if (values.new === '-' && values.statement === '-') throw new UsageError(t('cli.one_stdin', { new: '--new', statement: '--statement' }))
          const read = (file: string) => readFileSync(file === '-' ? 0 : file, 'utf8')
          const [armoredKey, statement] = [read(values.new), read(values.statement)]
          const r = await rotateCellKey(deps, { cell: rest[1]!, armoredKey, statement })
          console.log(t('cli.key_rotated', { cell: rest[1]!, fingerprint: groupedFingerprint(r.fingerprint), number: r.number, path: `/c/${rest[1]}/key-transitions` }))
          break
        }
        if (rest[0] !== 'set' || rest.length !== 3) throw new UsageError(t('cli.cell_key_takes', { set: 'cell key set', set_args: 'CELL FILE', rotate: rotate.command, rotate_args: rotate.args }))
        const armored = readFileSync(rest[2] === '-' ? 0 : rest[2]!, 'utf8')
        const { fingerprint } = await setCellKey(deps, { cell: rest[1]!, armoredKey: armored })
        console.log(t('cli.key_set', { cell: rest[1]!, fingerprint: groupedFingerprint(fingerprint) }))
        break
      }
      case 'letters export': {
        need(1, 'CELL --out FILE')
        if (!values.out) throw new UsageError(t('cli.needs', { command, option: '--out FILE' }))
        const { count, text } = await exportLetters(deps, rest[0]!)
        writeFileSync(values.out, text, { mode: 0o600 })
        console.log(t('cli.letters_written', { count, file: values.out }))
        break
      }
      case 'letters handled': {
        if (rest.length < 2) throw new UsageError(t('cli.takes', { command, args: 'CELL REF...' }))
        const r = await markHandledByOperator(deps, rest[0]!, rest.slice(1))
        const purged = purgeLine(r.purge)
        console.log(r.unknown.length > 0 ? t('cli.letters_forgot_unknown', { count: r.handled.length, refs: r.unknown.join(', '), purge: purged }) : t('cli.letters_forgot', { count: r.handled.length, purge: purged }))
        break
      }
      case 'letters retention': {
        need(2, 'CELL DAYS')
        const days = positiveInt(rest[1]!, 'DAYS')
        await setLetterRetention(deps, { cell: rest[0]!, days })
        console.log(t('cli.letters_retention', { cell: rest[0]!, days }))
        break
      }
      case 'board create': {
        need(2, 'CELL SLUG')
        if (!values.name) throw new UsageError(t('cli.needs', { command, option: '--name' }))
        const days = values['retention-days']
        const retention = days === undefined ? null : /^[0-9]+$/.test(days) ? Number(days) : NaN
        // --visibility is the older spelling: members is the cell's lowest tier, public is anyone.
        const lowest = values.visibility === 'members' ? parseTiers((await findCellOrThrow(deps, rest[0]!)).tiers)[0] : undefined
        if (values.visibility !== undefined && values.visibility !== 'members' && values.visibility !== 'public') throw new UsageError(t('cli.visibility', { option: '--visibility' }))
        const b = await createBoard(deps, { cell: rest[0]!, slug: rest[1]!, name: values.name, description: values.description ?? '', read: values.read ?? lowest, post: values.post, retentionDays: retention })
        const access = { cell: rest[0]!, board: b.slug, read: b.read_tier ?? ANYONE, post: b.post_tier ?? ANYONE }
        console.log(b.retention_days ? t('cli.board_created_kept', { ...access, days: b.retention_days }) : t('cli.board_created', access))
        break
      }
      case 'board list':
        need(1, 'CELL')
        for (const b of await listCellBoards(deps, rest[0]!)) console.log(t('cli.board_row', { board: b.slug, read: b.read_tier ?? ANYONE, post: b.post_tier ?? ANYONE, days: b.retention_days ?? '-', name: b.name }))
        break
      case 'board tiers': {
        if (rest.length !== 3 && rest.length !== 4) throw new UsageError(t('cli.takes', { command, args: 'CELL BOARD READ [POST]' }))
        const tiers = await setBoardAccess(deps, { cell: rest[0]!, board: rest[1]!, read: rest[2]!, post: rest[3] })
        console.log(t('cli.board_tiers_set', { cell: rest[0]!, board: rest[1]!, read: tiers.read ?? ANYONE, post: tiers.post ?? ANYONE }))
        break
      }
      case 'cell tiers': {
        need(2, 'CELL TIER,TIER...')
        const tiers = await setCellTiers(deps, { cell: rest[0]!, tiers: rest[1]!, vote: values.vote, inbox: values.inbox })
        console.log(t('cli.cell_tiers_set', { cell: rest[0]!, tiers: tiers.tiers.join(' < '), vote: tiers.voteTier, inbox: tiers.inboxTier }))
        break
      }
      case 'board flood': {
        need(3, 'CELL BOARD auto|on|off')
        const setting = await setBoardFloodMode(deps, { cell: rest[0]!, board: rest[1]!, setting: rest[2]! })
        console.log(t('cli.board_flood_set', { cell: rest[0]!, board: rest[1]!, setting }))
        break
      }
      case 'board indexable': {
        need(3, 'CELL BOARD yes|no')
        const answer = rest[2]!
        if (answer !== 'yes' && answer !== 'no') throw new UsageError(t('cli.takes', { command, args: 'CELL BOARD yes|no' }))
        await setBoardIndexing(deps, { cell: rest[0]!, board: rest[1]!, indexable: answer === 'yes' })
        console.log(t(answer === 'yes' ? 'cli.board_indexed' : 'cli.board_not_indexed', { cell: rest[0]!, board: rest[1]! }))
        break
      }
      case 'roster add': {
        need(2, 'CELL KEYFILE', true)
        const tier = values.tier ?? values.role
        if (!tier) throw new UsageError(t('cli.roster_needs_tier', { command, option: '--tier TIER' }))
        const armored = readFileSync(rest[1] === '-' ? 0 : rest[1]!, 'utf8')
        const fpr = await addRosterKey(deps, { cell: rest[0]!, armoredKey: armored, tier })
        console.log(t('cli.roster_added', { fingerprint: fpr, tier, cell: rest[0]!, pseudonym: showPseudonym(pseudonymOf(fpr)) }))
        break
      }
      case 'roster list':
        need(1, 'CELL')
        for (const r of await listCellRoster(deps, rest[0]!)) console.log(`${r.fingerprint}\t${r.tier}\t${showPseudonym(pseudonymOf(r.fingerprint))}`)
        break
      case 'roster remove': {
        need(2, 'CELL FINGERPRINT')
        const r = await removeRosterKey(deps, { cell: rest[0]!, fingerprint: rest[1]! })
        const removed = { fingerprint: rest[1]!, cell: rest[0]! }
        console.log(r.rotationDue ? t('cli.roster_removed_rotate', { ...removed, command: `npm run cellboard -- cell key rotate ${rest[0]} --new FILE --statement FILE` }) : t('cli.roster_removed', removed))
        break
      }
      case 'post remove': {
        need(4, 'CELL BOARD THREAD NUMBER')
        const [thread, number] = [positiveInt(rest[2]!, 'THREAD'), positiveInt(rest[3]!, 'NUMBER')]
        const r = await removePost(deps, { cell: rest[0]!, board: rest[1]!, thread, number })
        console.log(t(r.threadDeleted ? 'cli.post_removed_thread_gone' : 'cli.post_removed', { number, thread, purge: purgeLine(r.purge) }))
        break
      }
      case 'thread remove': {
        need(3, 'CELL BOARD THREAD')
        const thread = positiveInt(rest[2]!, 'THREAD')
        const r = await removeThread(deps, { cell: rest[0]!, board: rest[1]!, thread })
        console.log(t('cli.thread_removed', { thread, purge: purgeLine(r.purge) }))
        break
      }
      case 'export': {
        if (verb === undefined || rest.length > 0 || !values.out) throw new UsageError(t('cli.takes', { command: 'export', args: 'CELL --out DIR' }))
        const bar = progressOf()
        try {
          const r = await exportCell(deps, { cell: verb, out: values.out }, bar.update)
          bar.stop()
          console.log(t('cli.export_wrote', { files: r.files, bytes: r.bytes, out: values.out, boards: r.boards, threads: r.threads, posts: r.posts, decisions: r.decisions, keys: r.keys }))
          console.log(t('cli.export_sign', { fingerprint: r.fingerprint, command: `gpg --local-user ${r.fingerprint} --detach-sign --armor ${values.out}/MANIFEST` }))
        } finally {
          bar.stop()
        }
        break
      }
      case 'import': {
        if (verb === undefined || rest.length > 0) throw new UsageError(t('cli.takes', { command: 'import', args: 'DIR' }))
        const r = await importArchive(deps, verb, (stage) => console.log(t('cli.import_stage', { stage })))
        console.log(t('cli.imported', { cell: r.cell, fingerprint: groupedFingerprint(r.fingerprint), boards: r.boards, threads: r.threads, posts: r.posts, decisions: r.decisions, keys: r.keys }))
        break
      }
      case 'purge': {
        // Asked for by name: always finish forgetting (on PostgreSQL too, where the timer does so
        // only after it deletes something), e.g. after a removal whose purge had to give up.
        console.log(purgeLine(await purge(deps, { removed: true })))
        break
      }
      default:
        throw new UsageError(t('cli.unknown_command', { command: positionals.join(' ') }))
    }
  } finally {
    // What the command changed is announced before it exits (compose.ts): if that failed, the
    // running servers go on showing what it replaced, so the operator hears of it and what to run.
    const { unannounced } = await close()
    if (unannounced) {
      console.error(`cellboard: ${t('cli.unannounced', { error: unannounced.message })}`) // i18n-exempt: the program's name
      process.exitCode = 1
    }
  }
}

/** "anyone": the word the commands take for no tier, and show for it (a select in the messages). */
const ANYONE = 'anyone'

/** A decision's outcome as the CLI shows it. */
const outcomeWord = (outcome: string) => t('cli.outcome', { outcome })

class UsageError extends Error {}

/** A bar on a terminal; otherwise a plain line now and then (every stage, and every tenth of the posts). */
function progressOf(): { update: ExportProgress; stop: () => void } {
  if (process.stdout.isTTY) {
    // cli-progress fills its own {bar}, {value}, {total} and {stage}: the message leaves them as they are.
    const format = t('cli.export_bar', { bar: '{bar}', value: '{value}', total: '{total}', stage: '{stage}' })
    const bar = new cliProgress.SingleBar({ format, hideCursor: true }, cliProgress.Presets.shades_classic)
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
      console.log(t('cli.export_progress', { posts, total, stage }))
    },
    stop: () => {},
  }
}

function positiveInt(v: string, what: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(v)) throw new UsageError(t('cli.positive_int', { what }))
  return Number(v)
}

const purgeLine = (r: PurgeReport) => {
  const values = { threads: r.threads, keys: r.keys, letters: r.letters, ms: r.ms, attempts: r.checkpointAttempts }
  return t(r.letters > 0 ? 'cli.purged_letters' : 'cli.purged', values)
}

/** A refusal of parseArgs (node's own English) in the CLI's words, when it is one we can name. */
function parseArgsMessage(e: Error & { code: string }): string {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1]
  if (option && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return t('cli.unknown_option', { option })
  if (option && e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return t('cli.option_value', { option })
  return e.message
}

// The CLI speaks its operator's language (CELLBOARD_LANG, else the locale's), English otherwise.
setFallbackLang(langOfEnvironment(process.env))
run(process.argv.slice(2)).catch((e: unknown) => {
  // Every refusal starts with the program's name, in every language.
  const say = (message: string) => console.error(`cellboard: ${message}`) // i18n-exempt: the program's name
  if (e instanceof UsageError) say(`${e.message}\n\n${usage()}`)
  else if (e instanceof MissingDatabase || e instanceof ForgettingUnfinished) say(e.message)
  // A field's message that only repeats the whole one is said once.
  else if (e instanceof DomainError) say([e.message, ...Object.values(e.fields).filter((f) => f !== e.message).map((f) => `  ${f}`)].join('\n'))
  else if (e instanceof Error && 'code' in e && e.code === 'ENOENT') say(t('cli.no_such_file', { path: String((e as NodeJS.ErrnoException).path) }))
  else if (e instanceof Error && e.name === 'TypeError' && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) say(`${parseArgsMessage(e as Error & { code: string })}\n\n${usage()}`)
  else console.error(e)
  process.exitCode = 1
})
