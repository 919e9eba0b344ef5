import { Hono } from 'hono'
import { issueCost } from '../services/costs.ts'
import type { Deps } from '../services/deps.ts'
import { downloadInbox, letterFormOf, markHandled, readCellKeyOf, readInbox, sendLetter } from '../services/letters.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { inboxMain, letterFormMain, letterSentMain } from '../../views/pages/letters.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { orFormAgain, sendPage, viewerOf, type C, type Status } from './render.ts'
import { t } from '../i18n/index.ts'

/** What a writer refused by a full inbox is told to wait (its voters read their letters offline, now and then). */
const LETTERS_FULL_RETRY_AFTER_S = 3600

// Letters to a cell (src/services/letters.ts). Mounted before the boards: "letters" and
// "key.asc" are no board's names.
export function letterRoutes(deps: Deps) {
  async function renderLetterForm(c: C, status: Status, form: FormState) {
    const data = await letterFormOf(deps, c.req.param('cell')!)
    // A refused letter comes back with a fresh cost (each showing of the form gets its own).
    const cost = data.fingerprint ? await issueCost(deps, 'letter') : null
    return sendPage(c, deps, status, t('letters.write_title', { cell: data.cell.name }), letterFormMain({ ...data, viewer: viewerOf(c, deps), cost, form }))
  }

  async function renderInbox(c: C, status: Status, form: FormState, handled: number | null = null) {
    const data = await readInbox(deps, c.req.param('cell')!, c.get('session'))
    return sendPage(c, deps, status, t('letters.inbox_title', { cell: data.cell.name }), inboxMain({ ...data, viewer: viewerOf(c, deps), form, handled }))
  }

  return new Hono<AppEnv>()
    .get('/c/:cell/key.asc', async (c) => {
      const key = await readCellKeyOf(deps, c.req.param('cell'))
      return c.body(key.armored, 200, { 'Content-Type': 'application/pgp-keys; charset=utf-8', 'Content-Disposition': `attachment; filename="${c.req.param('cell')}-cell-key.asc"` })
    })
    .get('/c/:cell/letters/new', (c) => renderLetterForm(c, 200, emptyForm()))
    // No redirect on success: the sent page carries the reference, which an address would keep in
    // the browser's history. The page is kept for the same form sent again (a double click stored
    // two letters, and the writer saw the second one's reference only): sealed with a key made from
    // the form, the letter among it (middleware/idempotency.ts), so the store cannot read it.
    .post('/c/:cell/letters', idempotent(deps.submissions, { pages: true }), async (c) => {
      const form = c.get('form')
      const input = { cell: c.req.param('cell'), text: form.text ?? '', ciphertext: form.ciphertext ?? '', cost: form }
      return orFormAgain(
        async () => {
          const { reference } = await sendLetter(deps, input)
          const data = await letterFormOf(deps, input.cell)
          return sendPage(c, deps, 200, t('letters.sent_page_title'), letterSentMain({ cell: data.cell, reference }))
        },
        // The text comes back to the writer's own browser only (JavaScript off); nothing of it was kept.
        (e, status) => {
          // A full inbox (services/letters.ts): for as long as the voters leave it so.
          if (status === 503) c.header('Retry-After', String(LETTERS_FULL_RETRY_AFTER_S))
          return renderLetterForm(c, status, refusedForm({ text: input.text }, e))
        },
      )
    })
    .get('/c/:cell/letters', (c) => {
      const handled = c.req.query('handled')
      return renderInbox(c, 200, emptyForm(), handled !== undefined && /^[0-9]{1,6}$/.test(handled) ? Number(handled) : null)
    })
    .get('/c/:cell/letters/inbox.asc', async (c) => {
      const text = await downloadInbox(deps, c.req.param('cell'), c.get('session'))
      return c.body(text, 200, { 'Content-Type': 'application/pgp-encrypted; charset=utf-8', 'Content-Disposition': `attachment; filename="${c.req.param('cell')}-letters.asc"` })
    })
    .post('/c/:cell/letters/handled', async (c) => {
      const typed = c.get('form').references ?? ''
      return orFormAgain(
        async () => {
          const r = await markHandled(deps, c.req.param('cell'), c.get('session'), typed)
          if (r.unknown.length === 0) return c.redirect(`/c/${c.req.param('cell')}/letters?handled=${r.handled.length}`, 303)
          // The others are forgotten; those that named no waiting letter are said beside the field, and kept in it.
          const list = r.unknown.join(', ')
          const said = { fields: { references: t('letters.references_unknown_field', { references: list, count: r.unknown.length }) }, message: t('letters.references_unknown', { count: r.unknown.length }) }
          return renderInbox(c, 422, refusedForm({ references: r.unknown.join('\n') }, said), r.handled.length)
        },
        (e, status) => renderInbox(c, status, refusedForm({ references: typed }, e)),
      )
    })
}
