/* eslint-disable @typescript-eslint/no-explicit-any -- nunjucks' parser and node classes are untyped */
import type { Extension } from 'nunjucks';

/** The global function the import tags call: `(kind, path)` to data or text. */
export const IMPORT_GLOBAL = '__brine_import';
/** The global function the load tags call: `(kind, text)` to data or text. */
export const LOAD_GLOBAL = '__brine_load';

const IMPORT_TAGS = ['import_yaml', 'import_json', 'import_text'];
const LOAD_TAGS = ['load_yaml', 'load_json', 'load_text'];

function call(nodes: any, tok: any, fn: string, args: unknown[]): unknown {
  return new nodes.FunCall(
    tok.lineno,
    tok.colno,
    new nodes.Symbol(tok.lineno, tok.colno, fn),
    new nodes.NodeList(tok.lineno, tok.colno, args),
  );
}

function setNode(nodes: any, tok: any, target: unknown, value: unknown): unknown {
  const node = new nodes.Set(tok.lineno, tok.colno, [target]);
  node.value = value;
  return node;
}

/**
 * Salt's serializer tags for nunjucks: `{% import_yaml "x/defaults.yaml" as d %}` (also
 * `import_json`, `import_text`; the path may be an expression), and the block form
 * `{% load_yaml as d %}...{% endload %}` (also `load_json`, `load_text`). Each compiles to a
 * plain `set`, so the name is exported to `{% from ... import d %}` like any top-level `set`.
 */
export const serializerTags: Extension = {
  tags: [...IMPORT_TAGS, ...LOAD_TAGS],
  parse(parser: any, nodes: any): any {
    const tok = parser.nextToken();
    const kind = String(tok.value).split('_')[1];
    if (IMPORT_TAGS.includes(tok.value)) {
      const path = parser.parseExpression();
      if (!parser.skipSymbol('as')) parser.fail(`${tok.value}: expected "as"`, tok.lineno, tok.colno);
      const target = parser.parsePrimary();
      parser.advanceAfterBlockEnd(tok.value);
      return setNode(
        nodes,
        tok,
        target,
        call(nodes, tok, IMPORT_GLOBAL, [new nodes.Literal(tok.lineno, tok.colno, kind), path]),
      );
    }
    if (!parser.skipSymbol('as')) parser.fail(`${tok.value}: expected "as"`, tok.lineno, tok.colno);
    const target = parser.parsePrimary();
    parser.advanceAfterBlockEnd(tok.value);
    const capture = new nodes.Set(tok.lineno, tok.colno, [target]);
    capture.body = new nodes.Capture(tok.lineno, tok.colno, parser.parseUntilBlocks('endload'));
    capture.value = null;
    parser.advanceAfterBlockEnd();
    const load = setNode(
      nodes,
      tok,
      target,
      call(nodes, tok, LOAD_GLOBAL, [new nodes.Literal(tok.lineno, tok.colno, kind), target]),
    );
    return new nodes.NodeList(tok.lineno, tok.colno, [capture, load]);
  },
};

/** Jinja's `do` extension, which Salt enables: `{% do mydict.update({'a': 1}) %}`. */
export const doTag: Extension = {
  tags: ['do'],
  parse(parser: any, nodes: any): any {
    const tok = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(tok.value);
    return setNode(nodes, tok, new nodes.Symbol(tok.lineno, tok.colno, '__brine_do'), expr);
  },
};
