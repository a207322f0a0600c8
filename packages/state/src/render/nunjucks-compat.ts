import nunjucks from 'nunjucks';
import { percentFormat, pythonMethod } from './python-methods.js';

/** The property naming the template an error was raised in, set on errors raised inside imports. */
export const TEMPLATE_PATH = '__brineTemplatePath';

interface NunjucksRuntime {
  memberLookup: (obj: unknown, val: unknown, ...rest: unknown[]) => unknown;
  brinePercent?: (a: unknown, b: unknown) => unknown;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- nunjucks' compiler and nodes are untyped */
interface CompilerProto {
  compileMod: (this: any, node: any, frame: unknown) => void;
  compileBrineTemplateName: (this: any) => void;
}

/*
 * Installed once, when this module is first imported: nunjucks' own Jinja compatibility
 * (`True`/`False`/`None`, slices, dict and list methods) and, wrapped around its member lookup,
 * the Python string methods Salt formulas use. Both patch nunjucks' runtime, which is how
 * nunjucks itself extends it; no nunjucks source is changed. Importing this module is the
 * only way to make these available, so everything that renders imports it.
 */
nunjucks.installJinjaCompat();
const runtime = (nunjucks as unknown as { runtime: NunjucksRuntime }).runtime;
const jinjaMemberLookup = runtime.memberLookup;
// Templates are trusted code (they call salt['cmd.run']), but a template should not reach the
// engine's own JavaScript through `''.constructor.constructor(...)`: these names are never data.
const HIDDEN: ReadonlySet<unknown> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);
runtime.memberLookup = function memberLookup(this: unknown, obj: unknown, val: unknown, ...rest: unknown[]): unknown {
  if (HIDDEN.has(val)) return undefined;
  if (rest.length <= 1) {
    const method = pythonMethod(obj, val);
    if (method !== undefined) return method;
  }
  return jinjaMemberLookup.call(this, obj, val, ...rest);
};

/*
 * `'%s-%s' % (a, b)`: nunjucks compiles `%` to JavaScript's modulo, and `(a, b)` to the comma
 * operator. The modulo now goes through a runtime helper that formats when the left side is a
 * string, and a parenthesised tuple on the right compiles to an array.
 */
runtime.brinePercent = (a: unknown, b: unknown) =>
  typeof a === 'string' ? percentFormat(a, b) : Number(a) % Number(b);
const nodes = (
  nunjucks as unknown as {
    nodes: { Group: new (...a: unknown[]) => unknown; Node: { extend: (name: string, props: object) => any } };
  }
).nodes;
const compilerProto = (nunjucks as unknown as { compiler: { Compiler: { prototype: CompilerProto } } }).compiler
  .Compiler.prototype;
compilerProto.compileMod = function compileMod(this: any, node: any, frame: unknown): void {
  this._emit('runtime.brinePercent(');
  this.compile(node.left, frame);
  this._emit(',');
  if (node.right instanceof nodes.Group && node.right.children.length > 1)
    this._compileAggregate(node.right, frame, '[', ']');
  else this.compile(node.right, frame);
  this._emit(')');
};

/*
 * A node that compiles to the name of the template being compiled, so a tag can resolve a
 * relative path (`{% import_yaml './defaults.yaml' as d %}`) against the file it is written in:
 * the parser does not know that name, the compiler does.
 */
const TemplateNameNode = nodes.Node.extend('BrineTemplateName', { fields: [] });
compilerProto.compileBrineTemplateName = function compileBrineTemplateName(this: any): void {
  this._emit(JSON.stringify(String(this.templateName ?? '')));
};

/** A parser node whose value is the name of the template it is compiled in. */
export function templateNameNode(lineno: number, colno: number): unknown {
  return new TemplateNameNode(lineno, colno);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

type Callback = (err: unknown, res: unknown) => void;
interface TemplateProto {
  path: string;
  getExported: (this: TemplateProto, ...args: unknown[]) => unknown;
}

/*
 * nunjucks names the outermost template in an error raised inside an imported one (a
 * `map.jinja`), with the inner template's line. Tagging the error where the import runs lets
 * the message name the file the line belongs to.
 */
const templateProto = (nunjucks.Template as unknown as { prototype: TemplateProto }).prototype;
const getExported = templateProto.getExported;
templateProto.getExported = function tagged(this: TemplateProto, ...args: unknown[]): unknown {
  const at = args.findIndex((a) => typeof a === 'function');
  const cb = args[at] as Callback;
  const path = this.path;
  args[at] = (err: unknown, res: unknown) => {
    if (typeof err === 'object' && err !== null && !Object.hasOwn(err, TEMPLATE_PATH)) {
      Object.defineProperty(err, TEMPLATE_PATH, { value: path });
    }
    cb(err, res);
  };
  return getExported.apply(this, args);
};

export { nunjucks };
