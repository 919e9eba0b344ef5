// Errors a person can cause. Each carries an HTTP status and a sentence a person understands;
// `fields` puts a message beside the form field it concerns. Anything else that is thrown is a bug.
export class DomainError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 503,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

/**
 * A page number past a board's or thread's last page (a bookmark kept while posts were forgotten):
 * a 404 whose page links to the last page there is, for a reader who may read it anyway.
 */
export class PastLastPage extends DomainError {
  constructor(
    message: string,
    readonly lastPage: number,
  ) {
    super(404, message)
  }
}

/**
 * A post's number its thread gave and no longer has (the cell, or the operator, removed it): a 410
 * whose page leads back to the thread. Nothing of the post is told but that it was removed.
 */
export class PostRemoved extends DomainError {
  constructor(message: string) {
    super(410, message)
  }
}

/** A 404 with its whole sentence (from the catalog: "That thread does not exist (or no longer does)."). */
export const notFound = (message: string) => new DomainError(404, message)

/**
 * Run every field check, so a form shows all its problems at once. Malformed input (400) wins
 * over input that is merely unacceptable (422).
 */
export function validateFields<T extends Record<string, () => unknown>>(checks: T, message: string): { [K in keyof T]: ReturnType<T[K]> } {
  const out: Record<string, unknown> = {}
  const fields: Record<string, string> = {}
  let status: DomainError['status'] = 422
  for (const [name, check] of Object.entries(checks)) {
    try {
      out[name] = check()
    } catch (e) {
      if (!(e instanceof DomainError)) throw e
      Object.assign(fields, e.fields)
      if (e.status === 400) status = 400
    }
  }
  if (Object.keys(fields).length > 0) throw new DomainError(status, message, fields)
  return out as { [K in keyof T]: ReturnType<T[K]> }
}

/**
 * Run every check, those that look things up too (awaited one after another, in order), so a form
 * shows all its problems at once. A refusal that is no field's (403, or one with no field named)
 * is not a form problem: the first such is thrown as it is. One problem alone keeps its own
 * message; several are told with `message`, each beside its field.
 */
export async function validateEveryField<T extends Record<string, () => unknown>>(checks: T, message: string): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: Record<string, unknown> = {}
  const refused: DomainError[] = []
  for (const [name, check] of Object.entries(checks)) {
    try {
      out[name] = await check()
    } catch (e) {
      if (!(e instanceof DomainError)) throw e
      refused.push(e)
    }
  }
  if (refused.length === 0) return out as { [K in keyof T]: Awaited<ReturnType<T[K]>> }
  const other = refused.find((e) => (e.status !== 400 && e.status !== 422) || Object.keys(e.fields).length === 0)
  if (other) throw other
  if (refused.length === 1) throw refused[0]
  throw new DomainError(refused.some((e) => e.status === 400) ? 400 : 422, message, Object.assign({}, ...refused.map((e) => e.fields)))
}
