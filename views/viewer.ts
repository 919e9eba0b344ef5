import type { Pseudonym } from '../src/domain/pseudonym.ts'

/** What a page knows about the person viewing it. */
export type Viewer = {
  /** `ownPosts`: the address of the stylesheet that marks this session's own posts (one per session). */
  identity: { pseudonym: Pseudonym; fingerprint: string; kind: 'disposable' | 'browser' | 'gpg'; ownPosts: string } | null
  csrf: string
  /** Open questions this viewer may vote on, in every cell. */
  openQuestions: number
}
