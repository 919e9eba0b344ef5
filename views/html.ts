import { html as honoHtml, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

// Views are pure functions of typed props. Every interpolated value is escaped; the only way
// to emit markup that did not come from a template is trustedPostHtml below. One view on the
// hottest path (a post, views/partials/post.ts) builds its markup as one string instead, each value
// through escapeText, the same escaping.
export type Html = HtmlEscapedString

export const html = (strings: TemplateStringsArray, ...values: unknown[]): Html => honoHtml(strings, ...values) as Html

/**
 * The one helper that emits stored HTML unescaped: a post body, rendered from Markdown with raw
 * HTML off and links scheme-checked (src/domain/markdown.ts) when it was written.
 */
export const trustedPostHtml = (stored: string): Html => raw(stored)

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&#39;', '"': '&quot;' }
/**
 * A text escaped as `html` escapes an interpolated value, for the few views that build their markup
 * as one string (views/partials/post.ts says why): every value they put in goes through this.
 */
export const escapeText = (s: string): string => s.replace(/[&<>'"]/g, (c) => ENTITY[c]!)

/** Markup built as one string by such a view, every value in it escaped by escapeText. */
export const built = (markup: string): Html => raw(markup)
