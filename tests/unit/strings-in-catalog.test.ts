import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// Every sentence a person reads comes from the catalog (src/i18n). This test reads the source and
// fails on words written straight into what people are shown:
//   - text between tags in a template (`<p>Some words</p>`) and the attributes people read
//     (title, placeholder, aria-label, alt, label), in views/ and src/http/;
//   - a DomainError, notFound() or UsageError given a written sentence instead of t(…);
//   - a line the CLI prints that has words in it.
// Words inside <code>, <kbd>, <pre> and <samp> are commands and names, not sentences, and are left.
// A line that must keep its words (a product name, a protocol word) says `i18n-exempt: why` in a
// comment on the same line.
const root = new URL('../../', import.meta.url).pathname

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(root, path)).isDirectory()) return files(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The source with every ${…} (nested too) replaced by a space, so what is left of a template is its literal text. */
export function withoutInterpolations(src: string): string {
  let out = ''
  let i = 0
  while (i < src.length) {
    if (src[i] === '$' && src[i + 1] === '{') {
      let depth = 1
      i += 2
      while (i < src.length && depth > 0) {
        if (src[i] === '{') depth++
        else if (src[i] === '}') depth--
        // keep line numbers right
        if (src[i] === '\n') out += '\n'
        i++
      }
      out += ' '
    } else out += src[i++]
  }
  return out
}

const WORD = /[A-Za-z]{2,}/
const lineOf = (src: string, index: number) => src.slice(0, index).split('\n').length
const exempt = (src: string, index: number) => {
  const start = src.lastIndexOf('\n', index) + 1
  const end = src.indexOf('\n', index)
  return /i18n-exempt/.test(src.slice(start, end < 0 ? undefined : end))
}

/** The source with its comments blanked (lines that start with two slashes, and block comments), line numbers kept. */
const withoutComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^[ \t]*\/\/.*$/gm, '')

/** Words shown to people in templates: text between tags and readable attributes. */
export function wordsInTemplates(file: string, src: string): string[] {
  const found: string[] = []
  const bare = withoutInterpolations(withoutComments(src))
  // Text between two tags. The tag before says whether it is code.
  for (const m of bare.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^<>`]*)>([^<>`]*)(?=<)/g)) {
    // Only inside a template literal (an odd number of backticks before it): outside one, `<…>` is a
    // TypeScript type parameter (Pick<Deps, 'db'>, Context<AppEnv>), not markup.
    if (bare.slice(0, m.index).split('`').length % 2 === 1) continue
    const text = m[4]!.replace(/&[a-z]+;|&#[0-9]+;/g, ' ')
    const opening = m[1] === '' ? m[2]!.toLowerCase() : ''
    if (['code', 'kbd', 'pre', 'samp', 'script', 'style', 'title'].includes(opening) && opening !== 'title') continue
    if (WORD.test(text) && !exempt(src, m.index!)) found.push(`${file}:${lineOf(bare, m.index!)}: text "${text.trim().slice(0, 60)}"`)
  }
  for (const m of bare.matchAll(/\s(title|placeholder|aria-label|alt|label)="([^"]*)"/g)) {
    if (WORD.test(m[2]!) && !exempt(src, m.index!)) found.push(`${file}:${lineOf(bare, m.index!)}: ${m[1]}="${m[2]!.slice(0, 60)}"`)
  }
  return found
}

/** Errors and CLI lines given a written sentence. */
export function writtenMessages(file: string, src: string): string[] {
  const found: string[] = []
  src = withoutComments(src)
  const patterns = [/new DomainError\(\s*[0-9]{3}\s*,\s*(['"`])/g, /notFound\(\s*(['"`])/g, /new UsageError\(\s*(['"`])/g, /console\.(?:log|error)\(\s*(['"`])/g, /\bmessage\s*=\s*(['"`])/g]
  for (const re of patterns) {
    for (const m of src.matchAll(re)) {
      const rest = src.slice(m.index! + m[0].length, m.index! + m[0].length + 200)
      const literal = withoutInterpolations(rest.slice(0, rest.indexOf(m[1]!)))
      if (WORD.test(literal) && !exempt(src, m.index!)) found.push(`${file}:${lineOf(src, m.index!)}: ${m[0].trim()}${literal.slice(0, 60)}`)
    }
  }
  return found
}

describe('strings shown to people come from the catalog', () => {
  it('no words written into templates (views/, src/http/)', () => {
    const found = [...files('views'), ...files('src/http')].flatMap((f) => wordsInTemplates(f, readFileSync(join(root, f), 'utf8')))
    expect(found).toEqual([])
  })

  it('no sentence written into an error or a line the CLI prints (src/)', () => {
    const found = files('src').flatMap((f) => writtenMessages(relative(root, join(root, f)), readFileSync(join(root, f), 'utf8')))
    expect(found).toEqual([])
  })

  it('the test itself finds a written word, and leaves a catalog message, code and an exempt line alone', () => {
    expect(wordsInTemplates('x.ts', 'html`<p>Replies: ${n}</p>`')).toHaveLength(1)
    expect(wordsInTemplates('x.ts', 'html`<input placeholder="Search">`')).toHaveLength(1)
    expect(wordsInTemplates('x.ts', "html`<p>${t('thread.replies', { n })}</p> <code>gpg --clearsign</code>`")).toEqual([])
    expect(wordsInTemplates('x.ts', 'html`<b>cellboard</b>` // i18n-exempt: the product’s name')).toEqual([])
    expect(wordsInTemplates('x.ts', "const f = (c: Context<AppEnv>, deps: Pick<Deps, 'db'>) => c")).toEqual([])
    expect(writtenMessages('x.ts', "throw new DomainError(422, 'The title is empty.')")).toHaveLength(1)
    expect(writtenMessages('x.ts', "throw new DomainError(422, t('posts.title_empty'))")).toEqual([])
    expect(writtenMessages('x.ts', 'console.log(`created cell ${slug}`)')).toHaveLength(1)
  })
})
