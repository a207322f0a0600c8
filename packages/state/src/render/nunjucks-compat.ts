import nunjucks from 'nunjucks';
import { pythonMethod } from './python-methods.js';

/** The property naming the template an error was raised in, set on errors raised inside imports. */
export const TEMPLATE_PATH = '__brineTemplatePath';

interface NunjucksRuntime {
  memberLookup: (obj: unknown, val: unknown, ...rest: unknown[]) => unknown;
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
runtime.memberLookup = function memberLookup(this: unknown, obj: unknown, val: unknown, ...rest: unknown[]): unknown {
  if (rest.length <= 1) {
    const method = pythonMethod(obj, val);
    if (method !== undefined) return method;
  }
  return jinjaMemberLookup.call(this, obj, val, ...rest);
};

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
