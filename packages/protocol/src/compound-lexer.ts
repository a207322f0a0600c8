/** The kinds of token in a compound target. */
export type CompoundTokenKind = 'word' | 'and' | 'or' | 'not' | '(' | ')';

/** One token of a compound target, with its 0-based offset in the expression. */
export interface CompoundToken {
  kind: CompoundTokenKind;
  text: string;
  pos: number;
}

const OPERATORS: ReadonlySet<string> = new Set(['and', 'or', 'not']);

/**
 * Splits a compound target into tokens. Words are separated by whitespace, as in Salt; `and`,
 * `or` and `not` are operators only as whole lowercase words. Unlike Salt, parentheses may touch
 * the words they enclose: `(` and `)` at the start of a word are always parentheses, and a `)`
 * at the end of a word is one unless the word opened it itself, so `(E@web(1|2))` is a group
 * around the regex `web(1|2)`.
 */
export function lexCompound(text: string): CompoundToken[] {
  const tokens: CompoundToken[] = [];
  for (const match of text.matchAll(/\S+/g)) lexWord(match[0], match.index, tokens);
  return tokens;
}

function lexWord(word: string, pos: number, out: CompoundToken[]): void {
  let start = 0;
  while (word[start] === '(' || word[start] === ')') {
    const paren = word[start] as '(' | ')';
    out.push({ kind: paren, text: paren, pos: pos + start });
    start++;
  }
  if (start === word.length) return;
  const end = word.length - closingParens(word, start);
  if (end > start) {
    const text = word.slice(start, end);
    out.push({ kind: OPERATORS.has(text) ? (text as CompoundTokenKind) : 'word', text, pos: pos + start });
  }
  for (let i = end; i < word.length; i++) out.push({ kind: ')', text: ')', pos: pos + i });
}

/** How many of the `)` ending `word` close a group rather than a `(` of the word itself. */
function closingParens(word: string, start: number): number {
  let opened = 0;
  let closed = 0;
  let trailing = 0;
  for (let i = start; i < word.length; i++) {
    const c = word[i];
    if (c === '\\') {
      // An escaped character is part of a regex, never a parenthesis.
      i++;
      trailing = 0;
    } else if (c === ')') {
      closed++;
      trailing++;
    } else {
      if (c === '(') opened++;
      trailing = 0;
    }
  }
  const unclosed = opened - (closed - trailing);
  return trailing - Math.min(trailing, Math.max(unclosed, 0));
}
