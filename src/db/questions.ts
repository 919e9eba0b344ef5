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

/** How many open questions wait for this key's ballot (those it has voted on wait no more). */
export async function countOpenFor(db: Db, fingerprint: string): Promise<number> {
  const row = await db
    .selectFrom('question')
    .innerJoin('eligible_voter', 'eligible_voter.question_id', 'question.id')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .leftJoin('ballot', (j) => j.onRef('ballot.question_id', '=', 'question.id').onRef('ballot.key_id', '=', 'eligible_voter.key_id'))
    .select((eb) => eb.fn.countAll().as('n'))
    .where('public_key.fingerprint', '=', fingerprint)
    .where('question.status', '=', 'open')
    .where('ballot.id', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function recordDecision(db: Db, id: number, d: { outcome: 'adopted' | 'rejected' | 'no_quorum'; yes: number; no: number; abstain: number; closedAt: string }) {
  await db.updateTable('question').set({ status: 'closed', outcome: d.outcome, yes: d.yes, no: d.no, abstain: d.abstain, closed_at: d.closedAt }).where('id', '=', id).where('status', '=', 'open').execute()
}

/** Inside the transaction that carries a decision out: what it made, added to what it was about. */
export async function putQuestionPayload(db: Db, id: number, payload: string): Promise<void> {
  await db.updateTable('question').set({ payload }).where('id', '=', id).execute()
}

/** Open questions whose deadline has passed. */
export function dueQuestions(db: Db, nowIso: string): Promise<Question[]> {
  return db.selectFrom('question').selectAll().where('status', '=', 'open').where('deadline', '<=', nowIso).execute()
}



/** Open questions in every cell on which a key may vote, for its own list. */
/** Open questions, in every cell, on which this key may vote, each with its ballot's id if it has cast one. */
export function openQuestionsFor(db: Db, fingerprint: string) {
  return db
    .selectFrom('question')
    .innerJoin('eligible_voter', 'eligible_voter.question_id', 'question.id')
    .innerJoin('public_key', 'public_key.id', 'eligible_voter.key_id')
    .innerJoin('cell', 'cell.id', 'question.cell_id')
    .leftJoin('ballot', (j) => j.onRef('ballot.question_id', '=', 'question.id').onRef('ballot.key_id', '=', 'eligible_voter.key_id'))
    .select(['question.number', 'question.kind', 'question.deadline', 'cell.slug', 'ballot.id as ballot_id'])
    .where('public_key.fingerprint', '=', fingerprint)
    .where('question.status', '=', 'open')
    .orderBy('question.deadline')
    .execute()
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
