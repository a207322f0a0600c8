import type { TargetMatcher } from './target-types.js';

/**
 * A parsed target. `terms` counts the words it expands to (nodegroups inlined), which bounds
 * the work of matching and printing it.
 */
export type TargetNode =
  | { kind: 'term'; text: string; match: TargetMatcher; terms: number }
  | { kind: 'and' | 'or'; operands: readonly TargetNode[]; terms: number }
  | { kind: 'not'; operand: TargetNode; terms: number };

/** A single target word such as `G@os:Debian`, with its compiled matcher. */
export function termNode(text: string, match: TargetMatcher): TargetNode {
  return { kind: 'term', text, match, terms: 1 };
}

/** `and` or `or` over operands; one operand is returned as is. */
export function junctionNode(kind: 'and' | 'or', operands: readonly TargetNode[]): TargetNode {
  if (operands.length === 1) return operands[0]!;
  return { kind, operands, terms: operands.reduce((sum, node) => sum + node.terms, 0) };
}

/** `not operand`. */
export function notNode(operand: TargetNode): TargetNode {
  return { kind: 'not', operand, terms: operand.terms };
}

/** Turns a parsed target into one predicate; `and`/`or` short-circuit and loop, not recurse. */
export function toMatcher(node: TargetNode): TargetMatcher {
  switch (node.kind) {
    case 'term':
      return node.match;
    case 'not': {
      const inner = toMatcher(node.operand);
      return (m) => !inner(m);
    }
    case 'and': {
      const all = node.operands.map(toMatcher);
      return (m) => {
        for (const match of all) if (!match(m)) return false;
        return true;
      };
    }
    case 'or': {
      const any = node.operands.map(toMatcher);
      return (m) => {
        for (const match of any) if (match(m)) return true;
        return false;
      };
    }
  }
}

/** Prints a parsed target as a compound expression that parses back to the same tree. */
export function printTarget(node: TargetNode): string {
  switch (node.kind) {
    case 'term':
      return node.text;
    case 'not':
      return `not ${node.operand.kind === 'term' || node.operand.kind === 'not' ? printTarget(node.operand) : group(node.operand)}`;
    case 'and':
      return node.operands.map((o) => (o.kind === 'or' ? group(o) : printTarget(o))).join(' and ');
    case 'or':
      return node.operands.map(printTarget).join(' or ');
  }
}

function group(node: TargetNode): string {
  return `( ${printTarget(node)} )`;
}
