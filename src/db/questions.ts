import { type Insertable, sql } from 'kysely'
import type { Db } from './connect.ts'
import type { Question, QuestionTable } from './schema.ts'

/**
 * Inside a write transaction: a new question, numbered next in its cell (the UPDATE … RETURNING
 * on the cell's row serialises concurrent raises), with its eligible voters. Returns its number.
 */
export async function insertQuestion(db: Db, q: Omit<Insertable<QuestionTable>, 'number'>, voterKeyIds: number[]): Promise<number> {
  const cell = await db
    .updateTable('cell')
    .set({ last_question_number: sql`last_question_number + 1` })
    .where('id', '=', q.cell_id)
    .returning('last_question_number')
    .executeTakeFirstOrThrow()
  const row = await db.insertInto('question').values({ ...q, number: cell.last_question_number }).returning(['id', 'number']).executeTakeFirstOrThrow()
  await db.insertInto('eligible_voter').values(voterKeyIds.map((key_id) => ({ question_id: row.id, key_id }))).execute()
  return row.number
}

/** A question by its address: the cell and the question's number in it. */
export function findQuestion(db: Db, cellId: number, number: number): Promise<Question | undefined> {
  return db.selectFrom('question').selectAll().where('cell_id', '=', cellId).where('number', '=', number).executeTakeFirst()
}

export function openQuestions(db: Db, cellId: number): Promise<Question[]> {
  return db.selectFrom('question').selectAll().where('cell_id', '=', cellId).where('status', '=', 'open').orderBy('id').execute()
}

export function closedQuestions(db: Db, cellId: number): Promise<Question[]> {
  return db.selectFrom('question').selectAll().where('cell_id', '=', cellId).where('status', '=', 'closed').orderBy('id', 'desc').execute()
}

/** Open questions, in every cell, on which this key may vote. */
export async function countOpenFor(db: Db, fingerprint: string): Promise<number> {
  const row = await db
    .selectFrom('question')
    .innerJoin('eligible_voter', 'eligible_voter.question_id', 'question.id')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('public_key.fingerprint', '=', fingerprint)
    .where('question.status', '=', 'open')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The key's id if it may vote on the question. */
export async function eligibleKeyId(db: Db, questionId: number, fingerprint: string): Promise<number | null> {
  const row = await db
    .selectFrom('eligible_voter')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .select('eligible_voter.key_id')
    .where('eligible_voter.question_id', '=', questionId)
    .where('public_key.fingerprint', '=', fingerprint)
    .executeTakeFirst()
  return row?.key_id ?? null
}

/** One write path for ballots: a voter's later ballot replaces the earlier one. */
export async function putBallot(db: Db, b: { questionId: number; keyId: number; choice: 'yes' | 'no' | 'abstain'; signing: 'disposable' | 'browser' | 'gpg-signed'; signedText: string; castAt: string }) {
  await db
    .insertInto('ballot')
    .values({ question_id: b.questionId, key_id: b.keyId, choice: b.choice, signing: b.signing, signed_text: b.signedText, cast_at: b.castAt })
    .onConflict((oc) => oc.columns(['question_id', 'key_id']).doUpdateSet({ choice: b.choice, signing: b.signing, signed_text: b.signedText, cast_at: b.castAt }))
    .execute()
}

export async function tallyBallots(db: Db, questionId: number): Promise<{ yes: number; no: number; abstain: number }> {
  const rows = await db.selectFrom('ballot').select(['choice', (eb) => eb.fn.countAll().as('n')]).where('question_id', '=', questionId).groupBy('choice').execute()
  const t = { yes: 0, no: 0, abstain: 0 }
  for (const r of rows) t[r.choice] = Number(r.n)
  return t
}

export async function countBallots(db: Db, questionId: number): Promise<number> {
  const row = await db.selectFrom('ballot').select((eb) => eb.fn.countAll().as('n')).where('question_id', '=', questionId).executeTakeFirstOrThrow()
  return Number(row.n)
}

export function ballotsOf(db: Db, questionId: number) {
  return db
    .selectFrom('ballot')
    .innerJoin('public_key', 'public_key.id', 'ballot.key_id')
    .select(['ballot.choice', 'ballot.signing', 'ballot.signed_text', 'ballot.cast_at', 'public_key.fingerprint'])
    .where('ballot.question_id', '=', questionId)
    .orderBy('ballot.id')
    .execute()
}

export function eligibleVoters(db: Db, questionId: number) {
  return db
    .selectFrom('eligible_voter')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .select(['public_key.fingerprint', 'public_key.armored'])
    .where('eligible_voter.question_id', '=', questionId)
    .orderBy('public_key.fingerprint')
    .execute()
}

export async function recordDecision(db: Db, id: number, d: { outcome: 'adopted' | 'rejected' | 'no_quorum'; yes: number; no: number; abstain: number; closedAt: string }) {
  await db.updateTable('question').set({ status: 'closed', outcome: d.outcome, yes: d.yes, no: d.no, abstain: d.abstain, closed_at: d.closedAt }).where('id', '=', id).where('status', '=', 'open').execute()
}

/** Open questions whose deadline has passed. */
export function dueQuestions(db: Db, nowIso: string): Promise<Question[]> {
  return db.selectFrom('question').selectAll().where('status', '=', 'open').where('deadline', '<=', nowIso).execute()
}

export async function recordOperatorAction(db: Db, cellId: number, action: string, createdAt: string) {
  await db.insertInto('operator_action').values({ cell_id: cellId, action, created_at: createdAt }).execute()
}

export function operatorActions(db: Db, cellId: number) {
  return db.selectFrom('operator_action').select(['id', 'action', 'created_at']).where('cell_id', '=', cellId).orderBy('id', 'desc').execute()
}

export function fraternalCells(db: Db, cellId: number) {
  return db.selectFrom('fraternal_cell').select(['name', 'location', 'fingerprint', 'question_id']).where('cell_id', '=', cellId).orderBy('id').execute()
}


/** Open questions in every cell on which a key may vote, for its own list. */
export function openQuestionsFor(db: Db, fingerprint: string) {
  return db
    .selectFrom('question')
    .innerJoin('eligible_voter', 'eligible_voter.question_id', 'question.id')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .innerJoin('cell', 'cell.id', 'question.cell_id')
    .select(['question.number', 'question.kind', 'question.deadline', 'cell.slug'])
    .where('public_key.fingerprint', '=', fingerprint)
    .where('question.status', '=', 'open')
    .orderBy('question.deadline')
    .execute()
}

export function findFraternal(db: Db, cellId: number, fingerprint: string) {
  return db.selectFrom('fraternal_cell').select('name').where('cell_id', '=', cellId).where('fingerprint', '=', fingerprint).executeTakeFirst()
}

/**
 * Inside a write transaction: lock the question's row if it is still open (and, given a time,
 * before its deadline). A guarded no-op UPDATE takes the row lock on either dialect (SQLite's write
 * transactions are IMMEDIATE anyway; PostgreSQL's SELECT … FOR UPDATE is not SQLite syntax). A
 * ballot and a close of the same question then run one after the other, and the second sees
 * what the first committed: no ballot is stored after the tally, and no question closes twice.
 */
export async function lockOpenQuestion(db: Db, id: number, beforeIso?: string): Promise<boolean> {
  let q = db.updateTable('question').set((eb) => ({ status: eb.ref('status') })).where('id', '=', id).where('status', '=', 'open')
  if (beforeIso !== undefined) q = q.where('deadline', '>', beforeIso)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function recognise(db: Db, f: { cellId: number; name: string; location: string; fingerprint: string; armored: string; questionId: number; createdAt: string }) {
  await db
    .insertInto('fraternal_cell')
    .values({ cell_id: f.cellId, name: f.name, location: f.location, fingerprint: f.fingerprint, armored: f.armored, question_id: f.questionId, created_at: f.createdAt })
    .onConflict((oc) => oc.columns(['cell_id', 'fingerprint']).doNothing())
    .execute()
}

export async function withdrawRecognition(db: Db, cellId: number, fingerprint: string) {
  await db.deleteFrom('fraternal_cell').where('cell_id', '=', cellId).where('fingerprint', '=', fingerprint).execute()
}
