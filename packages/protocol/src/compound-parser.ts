import { TargetSyntaxError } from './errors.js';
import { lexCompound, type CompoundToken } from './compound-lexer.js';
import { validateMinionId } from './ids.js';
import { junctionNode, notNode, termNode, type TargetNode } from './target-ast.js';
import { compileIdList, compileWord } from './target-matchers.js';
import type { NodegroupDefinition, TargetOptions } from './target-types.js';

/** Deepest nesting of parentheses and nodegroups a target may have. */
export const MAX_TARGET_DEPTH = 64;
/** Most words a target may expand to with its nodegroups inlined. */
export const MAX_TARGET_TERMS = 10_000;

/** State shared by one compilation: the nodegroups, and what has been expanded so far. */
export interface ParseContext {
  readonly nodegroups: Readonly<Record<string, NodegroupDefinition>>;
  /** Nodegroups being expanded, outermost first, to name a cycle. */
  readonly stack: string[];
  /** Nodegroups already expanded, so each is parsed once however often it is referenced. */
  readonly expanded: Map<string, TargetNode>;
  depth: number;
}

/** A fresh context for one compilation. */
export function createParseContext(options: TargetOptions): ParseContext {
  return { nodegroups: options.nodegroups ?? {}, stack: [], expanded: new Map(), depth: 0 };
}

/**
 * Parses a compound target. Precedence is Salt's (a Python boolean expression): `not` binds
 * tighter than `and`, `and` tighter than `or`; `a not b` reads as `a and not b`, as in Salt.
 * Throws a {@link TargetSyntaxError} naming the position and what was expected.
 */
export function parseCompound(text: string, ctx: ParseContext): TargetNode {
  return new Parser(text, lexCompound(text), ctx).parse();
}

/**
 * Expands the nodegroup `name`, referenced at `pos`: an expression is parsed as a compound
 * target, a list is a list of ids. Unknown names and cycles are syntax errors, as are errors
 * inside a definition, reported at `pos` with the inner position in the message.
 */
export function expandNodegroup(name: string, pos: number, ctx: ParseContext): TargetNode {
  if (name === '') throw TargetSyntaxError.at('expected a nodegroup name', pos);
  if (!Object.hasOwn(ctx.nodegroups, name)) throw TargetSyntaxError.at(`unknown nodegroup '${name}'`, pos);
  const done = ctx.expanded.get(name);
  if (done) return done;
  const cycleStart = ctx.stack.indexOf(name);
  if (cycleStart !== -1) {
    const cycle = [...ctx.stack.slice(cycleStart), name].join(' -> ');
    throw TargetSyntaxError.at(`nodegroup cycle ${cycle}`, pos);
  }
  const definition: unknown = ctx.nodegroups[name];
  let node: TargetNode;
  if (typeof definition === 'string') {
    enter(ctx, pos);
    ctx.stack.push(name);
    try {
      node = parseCompound(definition, ctx);
    } catch (err) {
      if (!(err instanceof TargetSyntaxError)) throw err;
      throw TargetSyntaxError.at(`nodegroup '${name}'`, pos, `: ${err.message}`);
    } finally {
      ctx.stack.pop();
      ctx.depth--;
    }
  } else if (Array.isArray(definition)) node = listNodegroup(name, definition, pos);
  else throw TargetSyntaxError.at(`nodegroup '${name}' is neither an expression nor a list of ids`, pos);
  ctx.expanded.set(name, node);
  return node;
}

function listNodegroup(name: string, ids: readonly unknown[], pos: number): TargetNode {
  for (const id of ids) {
    // Salt also takes a list of compound words here; ours is ids only, so say so rather than
    // silently matching nothing.
    if (!validateMinionId(id).ok || /^(and|or|not|[A-Z]@.*)$/.test(id as string)) {
      throw TargetSyntaxError.at(`nodegroup '${name}' lists ${JSON.stringify(id)}, which is not a minion id`, pos);
    }
  }
  if (ids.length === 0) throw TargetSyntaxError.at(`nodegroup '${name}' is an empty list`, pos);
  const list = ids as readonly string[];
  return termNode(`L@${list.join(',')}`, compileIdList(list));
}

function enter(ctx: ParseContext, pos: number): void {
  if (++ctx.depth > MAX_TARGET_DEPTH) {
    throw TargetSyntaxError.at(`parentheses and nodegroups nested deeper than ${MAX_TARGET_DEPTH}`, pos);
  }
}

/** Recursive descent over the tokens; `and`/`or` chains are loops, so only groups recurse. */
class Parser {
  private next = 0;
  private terms = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly CompoundToken[],
    private readonly ctx: ParseContext,
  ) {}

  parse(): TargetNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token?.kind === ')') throw TargetSyntaxError.at("unexpected ')'", token.pos);
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
    let negations = 0;
    while (this.peek()?.kind === 'not') {
      this.next++;
      negations++;
    }
    const node = this.parsePrimary();
    return negations % 2 === 1 ? notNode(node) : node;
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
    if (token.text.startsWith('N@')) {
      const node = expandNodegroup(token.text.slice(2), token.pos + 2, this.ctx);
      return this.count(node, token.pos);
    }
    return this.count(termNode(token.text, compileWord(token.text, token.pos)), token.pos);
  }

  private count(node: TargetNode, pos: number): TargetNode {
    this.terms += node.terms;
    if (this.terms > MAX_TARGET_TERMS) {
      throw TargetSyntaxError.at(`target expands to more than ${MAX_TARGET_TERMS} terms`, pos);
    }
    return node;
  }

  private peek(): CompoundToken | undefined {
    return this.tokens[this.next];
  }

  private expected(what: string, found: CompoundToken | undefined): TargetSyntaxError {
    if (!found) return TargetSyntaxError.at(`expected ${what}`, this.text.length);
    return TargetSyntaxError.at(`expected ${what}`, found.pos, `, found '${found.text}'`);
  }
}
