/** One element of a parsed glob; characters are UTF-16 code units, as in a RegExp without `u`. */
type GlobToken =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; code: number }
  | { kind: 'class'; negate: boolean; ranges: readonly (readonly [number, number])[] };

/** Options for {@link compileGlob}. */
export interface GlobOptions {
  /** Compare lowercased pattern and value, as Salt does for grains. @default false */
  ignoreCase?: boolean;
}

const regExpCache = new Map<string, RegExp>();
const predicateCache = new Map<string, (value: string) => boolean>();

/**
 * Compiles a shell-style glob (`*`, `?`, `[abc]`, `[!abc]`, `[a-z]`) into a predicate, with
 * Python's fnmatch semantics as Salt uses them. Matching does not backtrack more than once per
 * `*`, so a pattern like `*-*-*-*x` stays linear-ish on long values where a RegExp would not.
 */
export function compileGlob(glob: string, options: GlobOptions = {}): (value: string) => boolean {
  const fold = options.ignoreCase === true;
  const tokens = parseGlob(fold ? glob.toLowerCase() : glob);
  const literal = literalPrefix(tokens);
  let test: (value: string) => boolean;
  if (literal.length === tokens.length) test = (v) => v === literal.text;
  else if (literal.length === tokens.length - 1 && tokens.at(-1)!.kind === 'star') {
    test = (v) => v.startsWith(literal.text);
  } else test = (v) => matchTokens(tokens, v);
  return fold ? (v) => test(v.toLowerCase()) : test;
}

/**
 * Compiles a shell-style glob (`*`, `?`, `[abc]`, `[!abc]`, `[a-z]`) into an anchored RegExp,
 * as Salt's fnmatch does for minion ids and grain values. Results are cached. Prefer
 * {@link compileGlob} for matching many values: it cannot backtrack badly.
 */
export function globToRegExp(glob: string): RegExp {
  let re = regExpCache.get(glob);
  if (re) return re;
  let out = '';
  for (const token of parseGlob(glob)) {
    if (token.kind === 'star') out += '.*';
    else if (token.kind === 'any') out += '.';
    else if (token.kind === 'char') out += escapeCode(token.code);
    else if (token.ranges.length === 0) out += token.negate ? '.' : '(?!)';
    else {
      const members = token.ranges.map(([lo, hi]) =>
        lo === hi ? escapeCode(lo) : `${escapeCode(lo)}-${escapeCode(hi)}`,
      );
      out += `[${token.negate ? '^' : ''}${members.join('')}]`;
    }
  }
  re = new RegExp(`^${out}$`, 's');
  if (regExpCache.size > 10_000) regExpCache.clear();
  regExpCache.set(glob, re);
  return re;
}

/** Whether `value` matches the glob `pattern`; compiled predicates are cached. */
export function globMatch(pattern: string, value: string): boolean {
  let test = predicateCache.get(pattern);
  if (!test) {
    test = compileGlob(pattern);
    if (predicateCache.size > 10_000) predicateCache.clear();
    predicateCache.set(pattern, test);
  }
  return test(value);
}

/** Whether a pattern holds any glob metacharacter. */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function parseGlob(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      // A run of `*` is one `*`: fewer ways to backtrack, same language.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const end = classEnd(glob, i);
      if (end === -1) tokens.push({ kind: 'char', code: glob.charCodeAt(i) });
      else {
        tokens.push(parseClass(glob, i, end));
        i = end;
      }
    } else tokens.push({ kind: 'char', code: glob.charCodeAt(i) });
  }
  return tokens;
}

/** The index of the `]` closing the class opened at `start`, or -1 (then `[` is a literal). */
function classEnd(glob: string, start: number): number {
  let j = start + 1;
  if (glob[j] === '!') j++;
  // A `]` right after `[` or `[!` is a member, not the end (fnmatch).
  if (glob[j] === ']') j++;
  return glob.indexOf(']', j);
}

function parseClass(glob: string, start: number, end: number): GlobToken {
  const negate = glob[start + 1] === '!';
  const body = glob.slice(start + (negate ? 2 : 1), end);
  const ranges: [number, number][] = [];
  for (let k = 0; k < body.length; k++) {
    const lo = body.charCodeAt(k);
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const hi = body.charCodeAt(k + 2);
      // A reversed range is empty, as in Python's fnmatch, rather than a RegExp syntax error.
      if (lo <= hi) ranges.push([lo, hi]);
      k += 2;
    } else ranges.push([lo, lo]);
  }
  return { kind: 'class', negate, ranges };
}

function literalPrefix(tokens: readonly GlobToken[]): { text: string; length: number } {
  let text = '';
  let length = 0;
  for (const token of tokens) {
    if (token.kind !== 'char') break;
    text += String.fromCharCode(token.code);
    length++;
  }
  return { text, length };
}

/** Wildcard matching with one remembered `*`: O(pattern × value) at worst, never exponential. */
function matchTokens(tokens: readonly GlobToken[], value: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let resume = 0;
  while (i < value.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind !== 'star' && tokenMatches(token, value.charCodeAt(i))) {
      p++;
      i++;
    } else if (token?.kind === 'star') {
      star = p++;
      resume = i;
    } else if (star !== -1) {
      p = star + 1;
      i = ++resume;
    } else return false;
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

function tokenMatches(token: Exclude<GlobToken, { kind: 'star' }>, code: number): boolean {
  if (token.kind === 'any') return true;
  if (token.kind === 'char') return token.code === code;
  let inside = false;
  for (const [lo, hi] of token.ranges) {
    if (code >= lo && code <= hi) {
      inside = true;
      break;
    }
  }
  return inside !== token.negate;
}

function escapeCode(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
