import { Hono } from 'hono'
import { notFound } from '../domain/errors.ts'
import { SLUG } from '../domain/text.ts'
import type { Deps } from '../services/deps.ts'
import { castBallot } from '../services/questions/ballots.ts'
import { isQuestionKind } from '../services/questions/kinds.ts'
import { raiseQuestion, readRaiseForm } from '../services/questions/raise.ts'
import { readDecisionLog, readMyQuestions, readQuestion, readQueue, tallyBundle } from '../services/questions/read.ts'
import { readLineHistory } from '../services/reading.ts'
import { ballotConfirm } from '../../views/partials/ballot-form.ts'
import { emptyForm, type FormState, refusedForm } from '../../views/partials/forms.ts'
import { lineMain } from '../../views/pages/line.ts'
import { cellFeeds } from '../../views/layout.ts'
import { decisionsMain, myQuestionsMain, queueMain, questionMain, raiseMain } from '../../views/pages/questions.ts'
import type { AppEnv } from './env.ts'
import { t } from '../i18n/index.ts'
import { idempotent } from './middleware/idempotency.ts'
import { orFormAgain, parseId, sendPage, viewerOf, whoOf, type C, type Status } from './render.ts'

export function questionRoutes(deps: Deps) {
  /** The question's number in its cell, from the address. */
  const questionNumber = (c: C) => {
    const n = parseId(c.req.param('question'))
    if (n === null) throw notFound(t('questions.question_not_found'))
    return n
  }

  async function renderRaise(c: C, kind: string | undefined, form: FormState, status: Status) {
    // A question to remove a post: the post its fields name, if they name one well-formed.
    const [board, thread, number] = [form.values.board, parseId(form.values.thread), parseId(form.values.number)]
    const about = kind === 'remove_post' && board !== undefined && SLUG.test(board) && thread !== null && number !== null ? { board, thread, number } : null
    const d = await readRaiseForm(deps, c.req.param('cell')!, whoOf(c), about)
    // A place that names no post is told so beside its field, on the form's first showing (an
    // address typed wrong, a post removed since) and beside any other refusal, unless the refusal
    // said it already: every problem at once, not one per submission.
    const hint = d.placeHint
    const told = hint && (form.errors[hint.field] !== undefined || form.message === hint.message)
    const shown = hint && !told ? { ...form, errors: { ...form.errors, [hint.field]: hint.message } } : form
    const main = raiseMain({ ...d, kind: kind && isQuestionKind(kind) ? kind : null, viewer: viewerOf(c, deps), form: shown })
    return sendPage(c, deps, status, t('questions.raise_title'), main)
  }

  async function renderQuestion(c: C, form: FormState, status: Status) {
    const d = await readQuestion(deps, c.req.param('cell')!, questionNumber(c), c.get('session'))
    return sendPage(c, deps, status, t('questions.question_title', { number: String(d.item.q.number) }), questionMain({ cell: d.cell, item: d.item, viewer: viewerOf(c, deps), form, decision: d.decision, mine: d.mine }))
  }

  return new Hono<AppEnv>()
    .get('/questions', async (c) => sendPage(c, deps, 200, t('questions.my_questions_title'), myQuestionsMain({ items: await readMyQuestions(deps, c.get('session')) })))
    .get('/c/:cell/line', async (c) => {
      const d = await readLineHistory(deps, c.req.param('cell'))
      return sendPage(c, deps, 200, t('questions.line_title', { cell: d.cell.name }), lineMain(d))
    })
    .get('/c/:cell/questions', async (c) => {
      const d = await readQueue(deps, c.req.param('cell'), c.get('session'))
      return sendPage(c, deps, 200, t('questions.queue_title'), queueMain({ cell: d.cell, items: d.items, viewer: viewerOf(c, deps) }))
    })
    .get('/c/:cell/questions/new', async (c) => {
      // A post's "question this post" link fills in where it is. Only well-formed values are
      // filled in; anything else leaves its field empty for the person to fill.
      const q = c.req.query()
      const id = (v: string | undefined) => String(parseId(v) ?? '')
      const values = { board: q.board !== undefined && SLUG.test(q.board) ? q.board : '', thread: id(q.thread), number: id(q.number) }
      return renderRaise(c, q.kind, { values, errors: {} }, 200)
    })
    .post('/c/:cell/questions', idempotent(deps.submissions), async (c) => {
      const form = c.get('form')
      return orFormAgain(
        async () => c.redirect(`/c/${c.req.param('cell')}/questions/${await raiseQuestion(deps, whoOf(c), { ...form, cell: c.req.param('cell') })}`, 303),
        (e, status) => renderRaise(c, form.kind, refusedForm(form, e), status),
      )
    })
    .get('/c/:cell/questions/:question{[0-9]+}', (c) => renderQuestion(c, emptyForm(), 200))
    .post('/c/:cell/questions/:question{[0-9]+}/ballot', idempotent(deps.submissions), async (c) => {
      const form = c.get('form')
      const path = `/c/${c.req.param('cell')}/questions/${questionNumber(c)}`
      return orFormAgain(
        async () => {
          const r = await castBallot(deps, whoOf(c), { cell: c.req.param('cell'), question: questionNumber(c), choice: form.choice, signed: form.signed, confirm: form.confirm })
          if (r.state === 'confirm') return sendPage(c, deps, 200, t('questions.confirm_title'), ballotConfirm({ viewer: viewerOf(c, deps), action: `${path}/ballot`, text: r.text, choice: r.choice, question: questionNumber(c), label: r.label }))
          return c.redirect(path, 303)
        },
        (e, status) => renderQuestion(c, refusedForm({ choice: form.choice, signed: form.signed }, e), status),
      )
    })
    .get('/c/:cell/questions/:question{[0-9]+}/bundle.json', async (c) => {
      const bundle = await tallyBundle(deps, c.req.param('cell'), questionNumber(c), c.get('session'))
      return c.body(JSON.stringify(bundle, null, 2), 200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="${bundle.cell}-question-${bundle.question.number}.json"`,
      })
    })
    .get('/c/:cell/decisions', async (c) => {
      const d = await readDecisionLog(deps, c.req.param('cell'), c.get('session'))
      return sendPage(c, deps, 200, t('questions.decisions_title'), decisionsMain(d), cellFeeds(d.cell))
    })
}
