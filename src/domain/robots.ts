import { t } from '../i18n/index.ts'

/**
 * robots.txt (issue 14): privacy first, nothing is indexed unless its operator asked. Crawlers are
 * kept out of everything (`Disallow: /`) but the boards that ask to be indexed, each let in by
 * exactly its own address: the board itself, its pages (`?page=N`) and everything under it. A
 * board read from a tier up is never named here: robots.txt is public, and would give its name away.
 */
export function robotsTxt(boardPaths: string[]): string {
  const allow = boardPaths.flatMap((p) => [`Allow: ${p}$`, `Allow: ${p}?`, `Allow: ${p}/`])
  return [`# ${t('app.robots_comment')}`, 'User-agent: *', ...allow, 'Disallow: /', ''].join('\n')
}
