// The texts a browser key signs, exactly as the server builds them (src/domain/posts.ts,
// src/domain/text.ts, src/domain/questions.ts). tests/unit/canonical-text.test.ts runs both on
// the same inputs and fails when they differ.

/** LF line ends, no white space at line ends, no blank lines at the start or the end. */
export function canonicalBody(raw) {
  return raw
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/^\n+/, '')
    .replace(/\n+$/, '')
}

/** A post: where it goes (site, cell, board, thread or "new"), the title of a new thread, the body. */
export function canonicalPostText({ site, cell, board, thread, title, body }) {
  const lines = ['cellboard post v1', `site: ${site}`, `cell: ${cell}`, `board: ${board}`, `thread: ${thread}`]
  if (thread === 'new') lines.push(`title: ${title.trim()}`)
  return `${lines.join('\n')}\n\n${canonicalBody(body)}`
}

/** A ballot: the question it answers and the choice. */
export function ballotText({ site, cell, question, line, choice }) {
  return `cellboard ballot v1\nsite: ${site}\ncell: ${cell}\nquestion: ${question}\nline: ${line}\nchoice: ${choice}`
}
