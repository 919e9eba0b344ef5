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

export const notFound = (what: string) => new DomainError(404, `${what} does not exist (or no longer does).`)

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
