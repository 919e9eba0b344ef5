import type { Deps } from '../../src/services/deps.ts'

/**
 * Hold every search inside the storage (the real search runs once released) so that searches sent
 * together overlap for certain: how the node's gate (ephemeral/gate.ts) takes a crowd. `entered`
 * counts those that reached the storage, `most` the most held at once; `restore` releases them
 * and puts the storage's own search back.
 */
export function holdSearches(deps: Pick<Deps, 'storage'>) {
  const real = deps.storage.searchPosts
  let [inside, most, entered] = [0, 0, 0]
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  deps.storage.searchPosts = async (q) => {
    entered++
    most = Math.max(most, ++inside)
    try {
      await held
      return await real(q)
    } finally {
      inside--
    }
  }
  return {
    entered: () => entered,
    most: () => most,
    release: () => release(),
    restore() {
      release()
      deps.storage.searchPosts = real
    },
  }
}
