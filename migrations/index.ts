import type { Migration } from 'kysely'
import * as board from './2026112201_board.ts'
import * as revocations from './2026112202_revocations.ts'
import * as questions from './2026112203_questions.ts'
import * as noStatistics from './2026112204_no_statistics_on_content.ts'
import * as revocationsKeepFingerprint from './2026113001_revocations_keep_fingerprint.ts'
import * as numbersByPlace from './2026120201_numbers_by_place.ts'
import * as membersRemovalsUnnumbered from './2026120202_members_removals_unnumbered.ts'
import * as questionKindsInCode from './2026120301_question_kinds_in_code.ts'
import * as flood from './2026120401_flood.ts'
import * as letters from './2026120401_letters.ts'
import * as keyTransitions from './2026120502_key_transitions.ts'
import * as tiers from './2026120503_tiers.ts'
import * as search from './2026120601_search.ts'
import * as searchVector from './2026120602_search_vector.ts'
import * as postBoard from './2026120603_post_board.ts'
import * as boardIndexable from './2026120702_board_indexable.ts'
import * as postReference from './2026120703_post_reference.ts'
import * as cellLang from './2026120801_cell_lang.ts'
import * as boardThreadCount from './2026120901_board_thread_count.ts'
import * as appendReplies from './2026121001_append_replies.ts'
import * as postPageIndex from './2026121101_post_page_index.ts'
import * as searchByBoard from './2026121201_search_by_board.ts'
import * as threadOpening from './2026121301_thread_opening.ts'
import * as noStatisticsOnLetters from './2026121302_no_statistics_on_letters.ts'

// Listed in code, not read from the folder: Kysely's FileMigrationProvider cannot import .ts
// under vitest. Append-only: never edit a migration that has shipped; add the next one here.
export const migrations: Record<string, Migration> = {
  '2026112201_board': board,
  '2026112202_revocations': revocations,
  '2026112203_questions': questions,
  '2026112204_no_statistics_on_content': noStatistics,
  '2026113001_revocations_keep_fingerprint': revocationsKeepFingerprint,
  '2026120201_numbers_by_place': numbersByPlace,
  '2026120202_members_removals_unnumbered': membersRemovalsUnnumbered,
  '2026120301_question_kinds_in_code': questionKindsInCode,
  '2026120401_flood': flood,
  '2026120401_letters': letters,
  '2026120502_key_transitions': keyTransitions,
  '2026120503_tiers': tiers,
  '2026120601_search': search,
  '2026120602_search_vector': searchVector,
  '2026120603_post_board': postBoard,
  '2026120702_board_indexable': boardIndexable,
  '2026120703_post_reference': postReference,
  '2026120801_cell_lang': cellLang,
  '2026120901_board_thread_count': boardThreadCount,
  '2026121001_append_replies': appendReplies,
  '2026121101_post_page_index': postPageIndex,
  '2026121201_search_by_board': searchByBoard,
  '2026121301_thread_opening': threadOpening,
  '2026121302_no_statistics_on_letters': noStatisticsOnLetters,
}
