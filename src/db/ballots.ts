import type { Db } from './connect.ts'

// Ballots and who may cast them: the roster's voters when a question opened, and what each voted.

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

/** The ballot this key cast on the question, if any: for its voter's eyes only (the page is per session, never cached). */
export function ballotOf(db: Db, questionId: number, fingerprint: string) {
  return db
    .selectFrom('ballot')
    .innerJoin('public_key', 'public_key.id', 'ballot.key_id')
    .select(['ballot.choice', 'ballot.signing', 'ballot.cast_at', 'public_key.fingerprint'])
    .where('ballot.question_id', '=', questionId)
    .where('public_key.fingerprint', '=', fingerprint)
    .executeTakeFirst()
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
