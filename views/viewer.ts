import type { Pseudonym } from '../src/domain/pseudonym.ts'

/** What a page knows about the person viewing it. */
export type Viewer = {
  identity: { pseudonym: Pseudonym; fingerprint: string; kind: 'disposable' | 'browser' | 'gpg' } | null
  csrf: string
  /** Open questions this viewer may vote on, in every cell. */
  openQuestions: number
}
