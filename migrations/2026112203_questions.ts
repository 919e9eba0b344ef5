import { type Kysely, sql } from 'kysely'
import { withId } from './portable.ts'

// Line questions, who may vote on each, the signed ballots, fraternal cells, and what the operator
// did from the command line (published in each cell's decision log).
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('question'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('remove_post', 'amend_line', 'admit_key', 'remove_key', 'recognise_cell', 'withdraw_recognition')`))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('argument', 'text', (c) => c.notNull())
    .addColumn('line_version', 'integer', (c) => c.notNull())
    .addColumn('eligible', 'integer', (c) => c.notNull().check(sql`eligible > 0`))
    .addColumn('quorum', 'integer', (c) => c.notNull().check(sql`quorum > 0`))
    .addColumn('threshold', 'text', (c) => c.notNull().check(sql`threshold in ('majority', 'two_thirds')`))
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'closed')`))
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('adopted', 'rejected', 'no_quorum')`))
    .addColumn('yes', 'integer')
    .addColumn('no', 'integer')
    .addColumn('abstain', 'integer')
    .addColumn('closed_at', 'text')
    .execute()
  await db.schema.createIndex('question_cell_status').on('question').columns(['cell_id', 'status']).execute()

  await withId(db, db.schema.createTable('eligible_voter'))
    .addColumn('question_id', 'integer', (c) => c.notNull().references('question.id').onDelete('cascade'))
    .addColumn('key_id', 'integer', (c) => c.notNull().references('public_key.id'))
    .addUniqueConstraint('eligible_question_key', ['question_id', 'key_id'])
    .execute()
  await db.schema.createIndex('eligible_voter_key').on('eligible_voter').column('key_id').execute()

  await withId(db, db.schema.createTable('ballot'))
    .addColumn('question_id', 'integer', (c) => c.notNull().references('question.id').onDelete('cascade'))
    .addColumn('key_id', 'integer', (c) => c.notNull().references('public_key.id'))
    .addColumn('choice', 'text', (c) => c.notNull().check(sql`choice in ('yes', 'no', 'abstain')`))
    .addColumn('signing', 'text', (c) => c.notNull().check(sql`signing in ('disposable', 'browser', 'gpg-signed')`))
    .addColumn('signed_text', 'text', (c) => c.notNull())
    .addColumn('cast_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ballot_question_key', ['question_id', 'key_id'])
    .execute()

  await withId(db, db.schema.createTable('fraternal_cell'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('armored', 'text', (c) => c.notNull())
    .addColumn('question_id', 'integer', (c) => c.notNull().references('question.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('fraternal_cell_key', ['cell_id', 'fingerprint'])
    .execute()

  await withId(db, db.schema.createTable('operator_action'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema.alterTable('line').addColumn('question_id', 'integer', (c) => c.references('question.id')).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('line').dropColumn('question_id').execute()
  for (const t of ['operator_action', 'fraternal_cell', 'ballot', 'eligible_voter', 'question']) await db.schema.dropTable(t).execute()
}
