import MarkdownIt from 'markdown-it'
import { DomainError } from './errors.ts'
import { t } from '../i18n/index.ts'

// The Markdown subset posts are written in: paragraphs, emphasis, code, quotes, lists, links
// (http and https only) and >>N references to posts in the same thread. No raw HTML, no headings
// or tables, and no images: ![alt](url) becomes a plain link labelled with its alt text, so a
// page never loads anything. Rendered once, when a post is written; the result is stored.
const md = new MarkdownIt('commonmark', { html: false, linkify: true, breaks: true, typographer: false })
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false })
md.enable(['linkify', 'strikethrough'])
md.disable(['html_block', 'html_inline', 'heading', 'lheading'])
md.validateLink = (url) => /^https?:\/\//i.test(url.trim())

const LINK_REL = 'nofollow noopener noreferrer'
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.attrSet('rel', LINK_REL)
  return self.renderToken(tokens, idx, options)
}

// An image is shown as a link to it, labelled with its alt text (or its address): nothing loads.
// Its address passed validateLink already (http or https), or the image rule left it as text.
// Inside a link ([![alt](img)](url)) it is only its label: a link may not hold another.
md.renderer.rules.image = (tokens, idx, options, env) => {
  const t = tokens[idx]!
  const src = String(t.attrGet('src') ?? '')
  const label = md.utils.escapeHtml(md.renderer.renderInlineAsText(t.children ?? [], options, env).trim() || src)
  let depth = 0
  for (let i = 0; i < idx; i++) depth += tokens[i]!.type === 'link_open' ? 1 : tokens[i]!.type === 'link_close' ? -1 : 0
  return depth > 0 ? label : `<a href="${md.utils.escapeHtml(src)}" rel="${LINK_REL}">${label}</a>`
}

// A fenced block's info string would become a class attribute: drop it.
md.core.ruler.push('drop_fence_info', (state) => {
  for (const t of state.tokens) if (t.type === 'fence') t.info = ''
})

// ">>12" at the start of a line is a reference, not a nested blockquote.
const REF_AT_LINE_START = />>\d/y
const blockquote = md.block.ruler.__rules__.find((r) => r.name === 'blockquote')!.fn
md.block.ruler.at('blockquote', (state, startLine, endLine, silent) => {
  REF_AT_LINE_START.lastIndex = state.bMarks[startLine]! + state.tShift[startLine]!
  if (REF_AT_LINE_START.test(state.src)) return false
  return blockquote(state, startLine, endLine, silent)
}, { alt: ['paragraph', 'reference', 'blockquote', 'list'] })

const REF = />>([1-9][0-9]{0,6})(?![0-9])/y
md.inline.ruler.before('text', 'post_ref', (state, silent) => {
  REF.lastIndex = state.pos
  const m = REF.exec(state.src)
  if (!m) return false
  if (!silent) state.push('post_ref', '', 0).meta = { n: Number(m[1]) }
  state.pos += m[0].length
  return true
})
md.renderer.rules.post_ref = (tokens, idx, _options, env) => {
  const n = (tokens[idx]!.meta as { n: number }).n
  const { threadPath, exists } = env as RenderEnv
  // A reference to no post (never written, or since removed) is text, not a link to a 404.
  if (exists && !exists.has(n)) return `&gt;&gt;${n}`
  return `<a class="ref" href="${md.utils.escapeHtml(threadPath)}/p/${n}">&gt;&gt;${n}</a>`
}

type RenderEnv = { threadPath: string; exists?: ReadonlySet<number> }

/** The post numbers a body refers to (>>N outside code), each once, in order of first mention. */
export function postReferences(body: string): number[] {
  const found = new Set<number>()
  const walk = (tokens: ReturnType<typeof md.parse>) => {
    for (const t of tokens) {
      if (t.type === 'post_ref') found.add((t.meta as { n: number }).n)
      if (t.children) walk(t.children)
    }
  }
  walk(md.parse(body, { threadPath: '' }))
  return [...found]
}

// What one post may cost every reader of its thread: >>N references each became a 60-byte link, so
// a 20,000-character post of ">>1 " rendered to 255 KB and a page of them to 51 MB (measured).
export const MAX_REFERENCES = 50
export const MAX_RENDERED_BYTES = 96 * 1024
const REFERENCES = /(?<![0-9>])>>[1-9][0-9]{0,6}(?![0-9])/g

/**
 * Render a post body (already canonical) to HTML. threadPath is the thread's own path, for >>N;
 * `exists`, when given, holds the numbers of the thread's posts, and a >>N to any other is text.
 * A body that would cost its readers far more than it says is refused (`field` is where the
 * message goes): more than MAX_REFERENCES references, or more than MAX_RENDERED_BYTES of HTML.
 */
export function renderPostBody(body: string, threadPath: string, field = 'body', exists?: ReadonlySet<number>): string {
  const refs = body.match(REFERENCES)?.length ?? 0
  if (refs > MAX_REFERENCES) throw new DomainError(422, t('forms.text_refs'), { [field]: t('forms.text_refs_field', { max: MAX_REFERENCES, count: refs }) })
  const env: RenderEnv = { threadPath, ...(exists && { exists }) }
  const html = md.render(body, env)
  if (Buffer.byteLength(html) > MAX_RENDERED_BYTES) {
    throw new DomainError(422, t('forms.text_heavy'), { [field]: t('forms.text_heavy_field', { kib: MAX_RENDERED_BYTES / 1024 }) })
  }
  return html
}

/**
 * A post's words as a reader sees them, without the Markdown that marks them up (a board page's
 * excerpt): "**bold** and a [link](https://…)" reads "bold and a link". Plain text; views escape it.
 */
export function plainTextOf(body: string): string {
  const out: string[] = []
  for (const block of md.parse(body, { threadPath: '' })) {
    if (block.type === 'inline') {
      for (const t of block.children ?? []) {
        if (t.type === 'text' || t.type === 'code_inline' || t.type === 'image') out.push(t.content)
        else if (t.type === 'post_ref') out.push(`>>${(t.meta as { n: number }).n}`)
        else if (t.type === 'softbreak' || t.type === 'hardbreak') out.push(' ')
      }
    } else if (block.type === 'code_block' || block.type === 'fence') out.push(block.content, ' ')
    else if (block.type.endsWith('_close')) out.push(' ')
  }
  return out.join('')
}

// What renderPostBody writes, read back as text: tags that sit inside a line (links, emphasis,
// strikethrough, inline code) are dropped; every other tag (a paragraph's, a line break's, a list
// item's, a quote's, a code block's) ends a word. escapeHtml writes only these four entities, and
// no '>' inside an attribute, so a tag ends at the first '>'. At the end of a cut string, a tag or
// an entity left open is dropped.
const TAG_OR_CUT = /<\/?([a-z]*)[^>]*(?:>|$)|&[a-z]*$/g
const INLINE_TAGS = new Set(['a', 'em', 'strong', 's', 'code'])
const ENTITY = /&(amp|lt|gt|quot);/g
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' }

/**
 * A post's words as its reader sees them, from the HTML renderPostBody stored for it (a board
 * page's excerpt): what plainTextOf reads from its Markdown, without parsing it again (issue 15: 50
 * parses were a quarter of a board page built afresh). `html` may be the stored HTML's start.
 * Only for HTML renderPostBody made: it holds no raw HTML and no comment.
 */
export function textOfRendered(html: string): string {
  return html
    .replace(TAG_OR_CUT, (_m, name: string | undefined) => (name === undefined || INLINE_TAGS.has(name) ? '' : ' '))
    .replace(ENTITY, (_m, e: string) => ENTITIES[e]!)
}
