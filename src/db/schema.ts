import type { Generated, Insertable, Selectable } from 'kysely'
import type { FloodSetting } from '../domain/flood.ts'

// Table types as the migrations create them. Times are ISO-8601 strings, already coarse.
export interface CellTable {
  id: Generated<number>
  slug: string
  name: string
  created_at: string
  last_question_number: Generated<number>
  /** 1: keys on the roster post without a cost while a board of the cell is in flood; 0: they pay too. */
  flood_exempt_roster: Generated<number>
  /** The cell key (letters are encrypted to it); its private key is never here. Null: the cell takes no letters. */
  key_fingerprint: string | null
  key_armored: string | null
  letter_retention_days: Generated<number>
  /** The cell's tiers, lowest first, comma-separated (src/domain/tiers.ts). */
  tiers: Generated<string>
  /** The least tier whose keys vote on line questions. */
  vote_tier: Generated<string>
  /** The cell's language (src/i18n LANGS): its pages are in it unless a reader chooses another. */
  lang: Generated<string>
  /** The least tier whose keys see and download the letters waiting. */
  inbox_tier: Generated<string>
  /** Coarse time since when the cell key ought to be rotated (a roster key was removed); null: it need not be. */
  key_rotation_due: string | null
}
export interface LineTable { id: Generated<number>; cell_id: number; version: number; created_at: string; question_id: number | null }
export interface PrincipleTable { id: Generated<number>; line_id: number; number: number; text: string }
export interface BoardTable {
  id: Generated<number>
  cell_id: number
  slug: string
  name: string
  description: Generated<string>
  /** The least tier that reads the board; null: anyone (a public board). */
  read_tier: string | null
  /** The least tier that posts on it; null: any identity. Never below read_tier. */
  post_tier: string | null
  retention_days: number | null
  created_at: string
  last_thread_number: Generated<number>
  /** How many threads the board has, kept by triggers (migration 2026120901): its pager's page count. */
  thread_count: Generated<number>
  flood: Generated<FloodSetting>
  /** 1: the board asks search engines to index it (robots.txt allows it while anyone reads it); 0: it does not. */
  indexable: Generated<number>
}
export interface PublicKeyTable { id: Generated<number>; fingerprint: string; armored: string; created_at: string }
export interface RosterEntryTable { id: Generated<number>; cell_id: number; key_id: number; tier: string; created_at: string }
export interface ThreadTable {
  id: Generated<number>
  board_id: number
  /** The thread's address on its board (unique per board, never reused); the id is internal. */
  number: number
  title: string
  created_at: string
  post_count: Generated<number>
  last_number: Generated<number>
  last_post_id: Generated<number>
  last_post_at: string
  /** The start of post 1's HTML (one character more than a board page shows), kept by triggers; null once post 1 is removed. */
  opening: string | null
}
export interface PostTable {
  id: Generated<number>
  thread_id: number
  number: number
  key_id: number
  signing: 'disposable' | 'browser' | 'gpg-signed' | 'session-attested'
  body_source: string
  body_html: string
  signed_text: string | null
  created_at: string
}

/** A post's >>N to an earlier post of its thread (each pair once): the quoted post lists it as a reply. */
export interface PostReferenceTable { post_id: number; quoted_post_id: number }

export interface RevokedKeyTable { id: Generated<number>; fingerprint: string; created_at: string }

export interface QuestionTable {
  id: Generated<number>
  cell_id: number
  /** The question's address in its cell (unique per cell); the id is internal. */
  number: number
  /** One of the kinds in src/services/questions/kinds.ts; its payload is parsed with that kind's schema. */
  kind: string
  payload: string
  argument: string
  line_version: number
  eligible: number
  quorum: number
  threshold: 'majority' | 'two_thirds'
  opened_at: string
  deadline: string
  status: 'open' | 'closed'
  outcome: 'adopted' | 'rejected' | 'no_quorum' | null
  yes: number | null
  no: number | null
  abstain: number | null
  closed_at: string | null
}
export interface EligibleVoterTable { id: Generated<number>; question_id: number; key_id: number }
export interface BallotTable {
  id: Generated<number>
  question_id: number
  key_id: number
  choice: 'yes' | 'no' | 'abstain'
  signing: 'disposable' | 'browser' | 'gpg-signed'
  signed_text: string
  cast_at: string
}
export interface FraternalCellTable { id: Generated<number>; cell_id: number; name: string; location: string; fingerprint: string; armored: string; question_id: number; created_at: string }
/** A letter: ciphertext to the cell key only (src/services/letters.ts), until handled or past retention. */
export interface LetterTable { id: Generated<number>; cell_id: number; reference: string; ciphertext: string; received_at: string }
/** An earlier cell key, and the statement it clearsigned naming the key that replaced it. */
export interface CellKeyTransitionTable {
  id: Generated<number>
  cell_id: number
  /** Its address in the cell (1, 2, …); the id is internal. */
  number: number
  old_fingerprint: string
  new_fingerprint: string
  old_armored: string
  /** The statement as verified, clearsigned (our own armor of it, as a post's signed text). */
  statement: string
  created_at: string
}
export interface OperatorActionTable { id: Generated<number>; cell_id: number; action: string; created_at: string }

export interface Database {
  cell: CellTable
  line: LineTable
  principle: PrincipleTable
  board: BoardTable
  public_key: PublicKeyTable
  roster_entry: RosterEntryTable
  thread: ThreadTable
  post: PostTable
  post_reference: PostReferenceTable
  revoked_key: RevokedKeyTable
  question: QuestionTable
  eligible_voter: EligibleVoterTable
  ballot: BallotTable
  fraternal_cell: FraternalCellTable
  operator_action: OperatorActionTable
  letter: LetterTable
  cell_key_transition: CellKeyTransitionTable
}

export type Question = Selectable<QuestionTable>

export type Cell = Selectable<CellTable>
export type CellKeyTransition = Selectable<CellKeyTransitionTable>
export type Board = Selectable<BoardTable>
/** A thread as read by its address (db/threads.ts findThread): its opening's copy is the board list's alone. */
export type Thread = Omit<Selectable<ThreadTable>, 'opening'>
export type Post = Selectable<PostTable>
export type NewPost = Insertable<PostTable>
