import { Hono } from 'hono'
import { currentLine } from '../db/cells.ts'
import { roleOf, voterKeyIds } from '../db/roster.ts'
import { DomainError, notFound } from '../domain/errors.ts'
import { isQuestionKind } from '../domain/questions.ts'
import type { Deps } from '../services/deps.ts'
import { castBallot, raiseQuestion, readDecisionLog, readMyQuestions, readQuestion, readQueue, tallyBundle } from '../services/questions.ts'
import { findCellOrThrow } from '../services/reading.ts'
import { lineHistory } from '../db/lines.ts'
import { ballotConfirm } from '../../views/partials/ballot-form.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { lineMain } from '../../views/pages/line.ts'
import { decisionsMain, myQuestionsMain, queueMain, questionMain, raiseMain } from '../../views/pages/questions.ts'
import type { AppEnv } from './env.ts'
import { idempotent } from './middleware/idempotency.ts'
import { parseId, sendPage, viewerOf, whoOf as who, type C } from './render.ts'

type Status = 200 | 400 | 403 | 404 | 409 | 413 | 422 | 429

export function questionRoutes(deps: Deps) {
  /** The question's number in its cell, from the address. */
  const questionNumber = (c: C) => {
    const n = parseId(c.req.param('question'))
    if (n === null) throw notFound('That question')
    return n
  }

  async function renderRaise(c: C, kind: string | undefined, form: FormState, status: Status) {
    const cell = await findCellOrThrow(deps, c.req.param('cell')!)
    const session = c.get('session')
    const [line, role, voters] = await Promise.all([currentLine(deps.db, cell.id), session ? roleOf(deps.db, cell.id, session.fingerprint) : null, voterKeyIds(deps.db, cell.id)])
    const main = raiseMain({ cell, kind: kind && isQuestionKind(kind) ? kind : null, viewer: viewerOf(c, deps), form, principles: line.principles, onRoster: role !== null, voters: voters.length })
    return sendPage(c, deps, status, 'Raise a line question', main)
  }

  async function renderQuestion(c: C, form: FormState, status: Status) {
    const d = await readQuestion(deps, c.req.param('cell')!, questionNumber(c), c.get('session'))
    return sendPage(c, deps, status, `Question ${d.item.q.number}`, questionMain({ cell: d.cell, item: d.item, viewer: viewerOf(c, deps), form, decision: d.decision }))
  }

  const failed = (e: unknown) => {
    if (!(e instanceof DomainError) || e.status === 404) throw e
    return e
  }

  return new Hono<AppEnv>()
    .get('/questions', async (c) => sendPage(c, deps, 200, 'Your open questions', myQuestionsMain({ items: await readMyQuestions(deps, c.get('session')) })))
    .get('/c/:cell/line', async (c) => {
      const cell = await findCellOrThrow(deps, c.req.param('cell'))
      return sendPage(c, deps, 200, `The line of ${cell.name}`, lineMain({ cell, versions: await lineHistory(deps.db, cell.id) }))
    })
    .get('/c/:cell/questions', async (c) => {
      const d = await readQueue(deps, c.req.param('cell'), c.get('session'))
      return sendPage(c, deps, 200, 'Open questions', queueMain({ cell: d.cell, items: d.items, viewer: viewerOf(c, deps) }))
    })
    .get('/c/:cell/questions/new', async (c) => {
      const q = c.req.query()
      return renderRaise(c, q.kind, { values: { board: q.board ?? '', thread: q.thread ?? '', number: q.number ?? '' }, errors: {} }, 200)
    })
    .post('/c/:cell/questions', idempotent(deps.submissions), async (c) => {
      const form = c.get('form')
      try {
        const n = await raiseQuestion(deps, who(c), { ...form, cell: c.req.param('cell') })
        return c.redirect(`/c/${c.req.param('cell')}/questions/${n}`, 303)
      } catch (e) {
        const err = failed(e)
        return renderRaise(c, form.kind, refusedForm(form, err), err.status as Status)
      }
    })
    .get('/c/:cell/questions/:question{[0-9]+}', (c) => renderQuestion(c, emptyForm(), 200))
    .post('/c/:cell/questions/:question{[0-9]+}/ballot', idempotent(deps.submissions), async (c) => {
      const form = c.get('form')
      const action = `/c/${c.req.param('cell')}/questions/${questionNumber(c)}/ballot`
      try {
        const r = await castBallot(deps, who(c), { cell: c.req.param('cell'), question: questionNumber(c), choice: form.choice, signed: form.signed, confirm: form.confirm })
        if (r.state === 'confirm') return sendPage(c, deps, 200, 'Sign this ballot?', ballotConfirm({ viewer: viewerOf(c, deps), action, text: r.text, choice: r.choice }))
        return c.redirect(`/c/${c.req.param('cell')}/questions/${questionNumber(c)}`, 303)
      } catch (e) {
        const err = failed(e)
        return renderQuestion(c, refusedForm({ choice: form.choice, signed: form.signed }, err), err.status as Status)
      }
    })
    .get('/c/:cell/questions/:question{[0-9]+}/bundle.json', async (c) => {
      const bundle = await tallyBundle(deps, c.req.param('cell'), questionNumber(c), c.get('session'))
      return c.body(JSON.stringify(bundle, null, 2), 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="${bundle.cell}-question-${bundle.question.number}.json"`,
      })
    })
    .get('/c/:cell/decisions', async (c) => {
      const d = await readDecisionLog(deps, c.req.param('cell'))
      return sendPage(c, deps, 200, 'Decisions', decisionsMain(d))
    })
}
