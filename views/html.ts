import { html as honoHtml, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

// Views are pure functions of typed props. Every interpolated value is escaped; the only way
// to emit markup that did not come from a template is trustedPostHtml below.
export type Html = HtmlEscapedString

export const html = (strings: TemplateStringsArray, ...values: unknown[]): Html => honoHtml(strings, ...values) as Html

/**
 * The one helper that emits stored HTML unescaped: a post body, rendered from Markdown with raw
 * HTML off and links scheme-checked (src/domain/markdown.ts) when it was written.
 */
export const trustedPostHtml = (stored: string): Html => raw(stored)
