import { TargetSyntaxError } from './errors.js';
import { lexCompound, type CompoundToken } from './compound-lexer.js';
import { pythonStr } from './python-str.js';
import { junctionNode, notNode, termNode, type TargetNode } from './target-ast.js';
import { compileWord } from './target-matchers.js';
import type { NodegroupDefinition, TargetMatcher, TargetOptions } from './target-types.js';

/** Deepest nesting of parentheses and nodegroups a target may have. */
export const MAX_TARGET_DEPTH = 64;
/** Most words a target may expand to with its nodegroups inlined. */
export const MAX_TARGET_TERMS = 10_000;

/** State shared by one compilation: the nodegroups, and how much has been expanded so far. */
export interface ParseContext {
  readonly nodegroups: Readonly<Record<string, NodegroupDefinition>>;
  /** Nodegroups being expanded, outermost first, to name a cycle. */
  readonly stack: string[];
  /** How many `N@` references were expanded. */
  expansions: number;
  /** Words taken from nodegroup definitions so far, against {@link MAX_TARGET_TERMS}. */
  words: number;
  /** Parentheses and nodegroups open now, against {@link MAX_TARGET_DEPTH}. */
  depth: number;
}

/** A fresh context for one compilation. */
export function createParseContext(options: TargetOptions): ParseContext {
  return { nodegroups: options.nodegroups ?? {}, stack: [], expansions: 0, words: 0, depth: 0 };
}

/**
 * Parses a compound target. Precedence is Salt's (a Python boolean expression): `not` binds
 * tighter than `and`, `and` tighter than `or`; `a not b` reads as `a and not b`, as in Salt.
 * `N@name` is replaced by the words of the nodegroup, as Salt splices them (see
 * {@link nodegroupWords}). Throws a {@link TargetSyntaxError} naming the position and what was
 * expected.
 */
export function parseCompound(text: string, ctx: ParseContext): TargetNode {
  return new Parser(text, lexCompound(text), ctx).parse();
}

/** Parses the nodegroup `name` as `-N name` (Salt: the compound target `N@name`). */
export function expandNodegroup(name: string, pos: number, ctx: ParseContext): TargetNode {
  // The token sits two before the name, so errors point at the name the user typed.
  return new Parser(name, [{ kind: 'word', text: `N@${name}`, pos: pos - 2 }], ctx).parse();
}

const OPERATOR_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', '(', ')']);
const REGEX_CHARS = ['(', '[', '{', '\\', '?', '}', ']', ')'];

/**
 * The words Salt puts in place of `N@name` (`salt/utils/minions.py` `nodegroup_comp`): the
 * definition's words (a string split on whitespace, or a list) with nested `N@` expanded and
 * wrapped in parentheses; a definition with no operator, no `*` and no `X@` word becomes one word,
 * `E@` + the words joined by commas if one holds a regex character, else `L@` + them. At the top
 * (`first`), a group that expands no nested nodegroup is spliced without parentheses, so
 * `N@g and x` with `g: 'a or b'` reads `a or (b and x)`, as in Salt. Unknown nodegroups and
 * cycles are errors (Salt logs them and drops the words).
 */
export function nodegroupWords(name: string, ctx: ParseContext, at: { pos: number; first: boolean }): string[] {
  const { pos, first } = at;
  if (name === '') throw TargetSyntaxError.at('expected a nodegroup name', pos);
  if (!Object.hasOwn(ctx.nodegroups, name)) throw TargetSyntaxError.at(`unknown nodegroup '${name}'`, pos);
  const cycleStart = ctx.stack.indexOf(name);
  if (cycleStart !== -1) {
    const cycle = [...ctx.stack.slice(cycleStart), name].join(' -> ');
    throw TargetSyntaxError.at(`nodegroup cycle ${cycle}`, pos);
  }
  const definition: unknown = ctx.nodegroups[name];
  let words: string[];
  if (typeof definition === 'string') words = definition.split(/\s+/).filter((w) => w !== '');
  else if (Array.isArray(definition)) words = definition.map((w) => pythonStr(w));
  else throw TargetSyntaxError.at(`nodegroup '${name}' is neither an expression nor a list`, pos);
  enter(ctx, pos);
  ctx.stack.push(name);
  let nested = false;
  const ret: string[] = [];
  try {
    for (const word of words) {
      if (word.length >= 3 && word.startsWith('N@') && !OPERATOR_WORDS.has(word)) {
        nested = true;
        ret.push(...nodegroupWords(word.slice(2), ctx, { pos, first: false }));
      } else ret.push(word);
      if ((ctx.words += 1) > MAX_TARGET_TERMS) {
        throw TargetSyntaxError.at(`target expands to more than ${MAX_TARGET_TERMS} terms`, pos);
      }
    }
  } finally {
    ctx.stack.pop();
    ctx.depth--;
  }
  const wrapped = ret.length > 0 ? ['(', ...ret, ')'] : ret;
  if (nested && first) return wrapped;
  return rewriteGroup(words) ?? (first ? words : wrapped);
}

/** Salt's `_nodegroup_regex`: a definition without operators, `*` or `X@` words is one word. */
function rewriteGroup(words: readonly string[]): string[] | undefined {
  if (words.some((w) => OPERATOR_WORDS.has(w))) return undefined;
  if (words.some((w) => w.includes('*') || /^[A-Z]@/.test(w))) return undefined;
  const regex = words.some((w) => REGEX_CHARS.some((c) => w.includes(c)));
  return [`${regex ? 'E@' : 'L@'}${words.join(',')}`];
}

function enter(ctx: ParseContext, pos: number): void {
  if (++ctx.depth > MAX_TARGET_DEPTH) {
    throw TargetSyntaxError.at(`parentheses and nodegroups nested deeper than ${MAX_TARGET_DEPTH}`, pos);
  }
}

/** A token, and for one spliced in from a nodegroup, the outermost nodegroup's name. */
type ParserToken = CompoundToken & { group?: string };

/** Recursive descent over the tokens; `and`/`or` chains are loops, so only groups recurse. */
class Parser {
  private next = 0;
  private terms = 0;
  private readonly tokens: ParserToken[];

  constructor(
    private readonly text: string,
    tokens: readonly ParserToken[],
    private readonly ctx: ParseContext,
  ) {
    this.tokens = [...tokens];
  }

  parse(): TargetNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token?.kind === ')') throw TargetSyntaxError.at("unexpected ')'", token.pos, from(token));
    if (token) throw this.expected("'and' or 'or'", token);
    return node;
  }

  private parseOr(): TargetNode {
    const operands = [this.parseAnd()];
    while (this.peek()?.kind === 'or') {
      this.next++;
      operands.push(this.parseAnd());
    }
    return junctionNode('or', operands);
  }

  private parseAnd(): TargetNode {
    const operands = [this.parseNot()];
    for (;;) {
      const kind = this.peek()?.kind;
      if (kind === 'and') this.next++;
      // Salt inserts `and` before a `not` that follows a target (salt.matchers.compound_match).
      else if (kind !== 'not') break;
      operands.push(this.parseNot());
    }
    return junctionNode('and', operands);
  }

  private parseNot(): TargetNode {
    const token = this.peek();
    if (token?.kind !== 'not') return this.parsePrimary();
    this.next++;
    const second = this.peek();
    if (second?.kind === 'not') {
      // Salt puts `and` between the two (`not and not x`), which its eval refuses: no minion.
      throw TargetSyntaxError.at("'not not' is not valid (Salt reads it as 'not and not')", second.pos, from(second));
    }
    return notNode(this.parsePrimary());
  }

  private parsePrimary(): TargetNode {
    const token = this.peek();
    if (token?.kind === '(') {
      this.next++;
      enter(this.ctx, token.pos);
      const node = this.parseOr();
      this.ctx.depth--;
      const close = this.peek();
      if (close?.kind !== ')') throw this.expected("')'", close);
      this.next++;
      return node;
    }
    if (token?.kind !== 'word') throw this.expected('a target', token);
    this.next++;
    return this.count(termNode(token.text, this.compile(token)), token.pos);
  }

  /** Replaces the `N@` token with the nodegroup's words, as Salt's compound matcher does. */
  private splice(token: ParserToken): void {
    const name = token.text.slice(2);
    const at = token.pos + 2;
    const words = nodegroupWords(name, this.ctx, { pos: at, first: true });
    this.ctx.expansions++;
    const group = token.group ?? name;
    const spliced = lexCompound(words.join(' ')).map((t) => ({ ...t, pos: at, group }));
    this.tokens.splice(this.next, 1, ...spliced);
  }

  private compile(token: ParserToken): TargetMatcher {
    if (token.group === undefined) return compileWord(token.text, token.pos);
    try {
      return compileWord(token.text, 0);
    } catch (err) {
      if (!(err instanceof TargetSyntaxError)) throw err;
      throw TargetSyntaxError.at(`nodegroup '${token.group}'`, token.pos, `: in '${token.text}': ${err.message}`);
    }
  }

  private count(node: TargetNode, pos: number): TargetNode {
    this.terms += node.terms;
    if (this.terms > MAX_TARGET_TERMS) {
      throw TargetSyntaxError.at(`target expands to more than ${MAX_TARGET_TERMS} terms`, pos);
    }
    return node;
  }

  /** The next token, with an `N@` word first replaced by its nodegroup's words. */
  private peek(): ParserToken | undefined {
    let token = this.tokens[this.next];
    while (token?.kind === 'word' && token.text.startsWith('N@')) {
      this.splice(token);
      token = this.tokens[this.next];
    }
    return token;
  }

  private expected(what: string, found: ParserToken | undefined): TargetSyntaxError {
    if (!found) return TargetSyntaxError.at(`expected ${what}`, this.text.length);
    return TargetSyntaxError.at(`expected ${what}`, found.pos, `, found '${found.text}'${from(found)}`);
  }
}

function from(token: ParserToken): string {
  return token.group === undefined ? '' : ` (from nodegroup '${token.group}')`;
}
