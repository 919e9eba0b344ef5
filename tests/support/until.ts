/**
 * Ask `what` every `every` ms until it holds or `ms` have passed, then once more: whether it held.
 * For what another process or node does in its own time (a notice heard, a page dropped).
 */
export async function until(what: () => boolean | Promise<boolean>, ms = 15_000, every = 50): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, every))) if (await what()) return true
  return what()
}
