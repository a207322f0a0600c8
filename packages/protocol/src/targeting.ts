import { ErrorCode, TargetSyntaxError } from './errors.js';
import type { TargetTypeValue } from './frames.js';
import { compileGrainMatcher } from './grain-matchers.js';
import { lexCompound } from './compound-lexer.js';
import { createParseContext, expandNodegroup, parseCompound, type ParseContext } from './compound-parser.js';
import { printTarget, toMatcher, type TargetNode } from './target-ast.js';
import { compileCidr } from './target-cidr.js';
import { compileIdGlob, compileIdList, compileIdPcre, splitTargetList } from './target-matchers.js';
import type { CompiledTarget, TargetError, TargetMatcher, TargetOptions } from './target-types.js';

/** The result of {@link expandNodegroups}: a target that needs no nodegroups, or why not. */
export type ExpandedTarget =
  { ok: true; tgt: string | string[]; tgtType: TargetTypeValue } | { ok: false; error: TargetError };

/**
 * Compiles a target of any type into a predicate. Pure and shared: the master selects minions
 * with it, and each minion checks a signed job's target with the same code. All parsing and
 * every regex a person means happen here, once (a grain regex's other splits compile on first
 * use, once); the returned `match` walks the compiled tree. Regexes run on RE2. Never
 * throws for a bad target: it returns `{ok: false, error: {code: 'ERR_TARGET_SYNTAX', position}}`.
 */
export function compileTarget(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue,
  options: TargetOptions = {},
): CompiledTarget {
  try {
    return { ok: true, match: compileMatcher(tgt, tgtType, options) };
  } catch (err) {
    return { ok: false, error: asTargetError(err) };
  }
}

/**
 * Inlines the nodegroups of a `nodegroup` or `compound` target, so a minion, which has no
 * nodegroups, can evaluate it: the result is a `compound` target with each `N@name` replaced by
 * its definition in parentheses. A compound target without `N@` and other target types come
 * back unchanged (and unchecked: {@link compileTarget} checks them).
 */
export function expandNodegroups(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue,
  options: TargetOptions = {},
): ExpandedTarget {
  const unchanged = (): ExpandedTarget => ({ ok: true, tgt: typeof tgt === 'string' ? tgt : [...tgt], tgtType });
  if (tgtType !== 'compound' && tgtType !== 'nodegroup') return unchanged();
  try {
    const ctx = createParseContext(options);
    const node = parseTree(tgt, tgtType, ctx);
    if (tgtType === 'compound' && ctx.expansions === 0) return unchanged();
    return { ok: true, tgt: printTarget(node), tgtType: 'compound' };
  } catch (err) {
    return { ok: false, error: asTargetError(err) };
  }
}

/**
 * Whether a target reads pillar (`-I`, `-J`, or an `I@`/`J@` word in a compound target, nodegroups
 * included): such a target is resolved on the master only, where the compiled pillars are, and the
 * master sends minions the ids it selected.
 */
export function targetUsesPillar(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue,
  options: TargetOptions = {},
): boolean {
  if (tgtType === 'pillar' || tgtType === 'pillar_pcre') return true;
  if (tgtType !== 'compound' && tgtType !== 'nodegroup') return false;
  const expanded = expandNodegroups(tgt, tgtType, options);
  if (!expanded.ok) return false;
  const text = typeof expanded.tgt === 'string' ? expanded.tgt : expanded.tgt.join(' ');
  return lexCompound(text).some((t) => t.kind === 'word' && /^[IJ].?@/s.test(t.text));
}

function compileMatcher(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue,
  options: TargetOptions,
): TargetMatcher {
  const text = typeof tgt === 'string' ? tgt : tgt.join(',');
  switch (tgtType) {
    case 'glob':
      return compileIdGlob(text);
    case 'list':
      return compileIdList(typeof tgt === 'string' ? splitTargetList(tgt) : tgt);
    case 'pcre':
      return compileIdPcre(text, 0);
    case 'grain':
      return compileGrainMatcher(text, 0, { mode: 'glob' });
    case 'grain_pcre':
      return compileGrainMatcher(text, 0, { mode: 'pcre' });
    case 'pillar':
      return compileGrainMatcher(text, 0, { mode: 'glob', source: 'pillar' });
    case 'pillar_pcre':
      return compileGrainMatcher(text, 0, { mode: 'pcre', source: 'pillar' });
    case 'ipcidr':
      return compileCidr(text, 0);
    case 'nodegroup':
    case 'compound':
      return toMatcher(parseTree(tgt, tgtType, createParseContext(options)));
    default:
      throw TargetSyntaxError.at(`unknown target type ${JSON.stringify(tgtType satisfies never)}`, 0);
  }
}

function parseTree(tgt: string | readonly string[], tgtType: 'nodegroup' | 'compound', ctx: ParseContext): TargetNode {
  if (tgtType === 'nodegroup') {
    const name = typeof tgt === 'string' ? tgt.trim() : (tgt[0] ?? '');
    return expandNodegroup(name, 0, ctx);
  }
  // A list of words is one expression, as Salt joins it.
  return parseCompound(typeof tgt === 'string' ? tgt : tgt.join(' '), ctx);
}

function asTargetError(err: unknown): TargetError {
  if (!(err instanceof TargetSyntaxError)) throw err;
  return { code: ErrorCode.TARGET_SYNTAX, message: err.message, position: err.position };
}
