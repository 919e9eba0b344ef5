import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORGET_TABLES } from '../../src/db/forget-postgres.ts'
import { registry } from '../../src/db/registry.ts'
import { LANGS, loadCatalog } from '../../src/i18n/index.ts'
import { privacyFacts, privacyTables } from '../../src/services/privacy.ts'
import { makeBoard, TEST_DIALECT } from '../support/app.ts'

describe('data-class registry', () => {
  let board: Awaited<ReturnType<typeof makeBoard>>
  beforeAll(async () => (board = await makeBoard()))
  afterAll(() => board.close())

  /** Every table and column of the migrated database, read from the database itself. */
  const schema = () => board.schema()

  it('the migrated schema has tables to check (the introspection works)', async () => {
    expect((await schema()).get('post')).toContain('body_html')
  })

  it('classifies every column of the migrated schema', async () => {
    const missing: string[] = []
    for (const [table, columns] of await schema()) for (const c of columns) if (!registry[table]?.columns[c]) missing.push(`${table}.${c}`)
    expect(missing).toEqual([])
  })

  it('lists no column the schema does not have (the registry stays honest)', async () => {
    const s = await schema()
    const stale: string[] = []
    // A table or column of one dialect only (SQLite's full-text index, PostgreSQL's stored search
    // words) is checked on that dialect.
    for (const [table, t] of Object.entries(registry)) if (!t.only || t.only === TEST_DIALECT) for (const [c, e] of Object.entries(t.columns)) if ((!e[1] || e[1] === TEST_DIALECT) && !s.get(table)?.includes(c)) stale.push(`${table}.${c}`)
    expect(stale).toEqual([])
  })

  it('says why of every table and column in the catalog (a new column needs its sentence on /privacy, in every language)', () => {
    const facts = privacyFacts(board.deps)
    const keys = [
      ...privacyTables().flatMap((t) => [t.about.key, ...t.columns.map((c) => c.why.key)]),
      ...facts.ephemeral.flatMap((e) => [e.what, e.why]),
      ...facts.neverKept,
      ...new Set(privacyTables().flatMap((t) => t.columns.map((c) => `privacy.class__${c.cls}`))),
    ]
    const columns = Object.values(registry).reduce((n, t) => n + Object.keys(t.columns).length, 0)
    expect(privacyTables().flatMap((t) => t.columns)).toHaveLength(columns)
    // tests/unit/catalogs.test.ts holds the other languages to the English keys; checked here too,
    // so this test alone names the sentence a column lacks.
    const missing = LANGS.flatMap((l) => {
      const catalog = loadCatalog(l)
      return keys.filter((k) => !(k in catalog)).map((k) => `${l}: ${k}`)
    })
    expect(missing).toEqual([])
  })

  it('on PostgreSQL, keeps no statistics on the text of any table a removal forgets from: ANALYZE would copy samples of it into pg_statistic, where forgetting does not reach', async () => {
    if (TEST_DIALECT !== 'postgres') return
    // Every text column of those tables, whenever it was added (a copy of a post's words, as
    // thread.opening, is held to it too; and a question's payload and argument, since an adopted
    // answer's copy of what it published goes with it), but their times and words from a fixed
    // list, saying nothing a person wrote: how a post was signed, a question's kind, threshold,
    // status and outcome.
    const { rows } = await sql<{ t: string; c: string; s: number | null }>`
      select c.relname as t, a.attname as c, a.attstattarget as s
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
        and c.relname in (${sql.join([...FORGET_TABLES])}) and a.atttypid in ('text'::regtype, 'bytea'::regtype, 'tsvector'::regtype, 'json'::regtype, 'jsonb'::regtype)`.execute(board.deps.db)
    const fixedWords = ['signing', 'question.kind', 'question.threshold', 'question.status', 'question.outcome']
    const checked = rows.filter((r) => !/_at$/.test(r.c) && r.c !== 'deadline' && !fixedWords.includes(r.c) && !fixedWords.includes(`${r.t}.${r.c}`))
    expect(checked.map((r) => `${r.t}.${r.c}`)).toEqual(expect.arrayContaining(['post.body_html', 'thread.title', 'thread.opening', 'letter.ciphertext', 'question.payload', 'question.argument']))
    expect(checked.filter((r) => r.s !== 0).map((r) => `${r.t}.${r.c}`)).toEqual([])
  })

  it('classes no column as ephemeral: ephemeral data never reaches SQL', () => {
    const ephemeral = Object.entries(registry).flatMap(([t, v]) => Object.entries(v.columns).filter(([, [cls]]) => cls === 'ephemeral').map(([c]) => `${t}.${c}`))
    expect(ephemeral).toEqual([])
  })

  it('has no column that could hold client metadata', async () => {
    const suspicious = [...(await schema())].flatMap(([t, cols]) => cols.filter((c) => /(^|_)(ip|ip_address|addr|address|user_agent|agent|referr?er|session|user_id|email|last_seen|visited?)(_|$)/i.test(c)).map((c) => `${t}.${c}`))
    expect(suspicious).toEqual([])
  })
})
