import { isMapping, traverse } from '../helpers/data.js';
import { dumpSaltYaml, loadSaltYaml } from '../yaml/salt-yaml.js';

type Filter = (...args: never[]) => unknown;

/** Splits nunjucks' trailing keyword-argument object off a call's arguments. */
export function splitKeywords(args: readonly unknown[]): { args: unknown[]; kwargs: Record<string, unknown> } {
  const last = args.at(-1);
  if (isMapping(last) && last['__keywords'] === true) {
    const kwargs = { ...last };
    delete kwargs['__keywords'];
    return { args: args.slice(0, -1), kwargs };
  }
  return { args: [...args], kwargs: {} };
}

/** `json.dumps` as Python writes it: `, ` and `: ` separators, keys sorted when asked. */
export function pythonJson(value: unknown, sortKeys: boolean): string {
  const walk = (v: unknown): string => {
    if (v === undefined || v === null) return 'null';
    if (Array.isArray(v)) return `[${v.map(walk).join(', ')}]`;
    if (isMapping(v)) {
      const keys = sortKeys ? Object.keys(v).sort() : Object.keys(v);
      return `{${keys.map((k) => `${JSON.stringify(k)}: ${walk(v[k])}`).join(', ')}}`;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(v);
  };
  return walk(value);
}

function toBool(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v > 0;
  if (typeof v === 'string') return ['true', 'yes', '1', 'on'].includes(v.toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return false;
}

function regexFlags(kwargs: Record<string, unknown>, args: unknown[], at: number): string {
  return (kwargs['ignorecase'] ?? args[at]) === true ? 'i' : '';
}

function uniqueOf(items: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item) ?? String(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function percentFormat(fmt: string, values: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(%|s|d|i|r|f)/g, (_, kind: string) => {
    if (kind === '%') return '%';
    const v = values[i++];
    if (kind === 'd' || kind === 'i') return String(Math.trunc(Number(v)));
    return String(v);
  });
}

/**
 * The filters Salt adds to Jinja (salt/utils/jinja.py and salt/utils/data.py) and the Jinja2
 * builtins nunjucks lacks, by name. `yaml`, `json` and `tojson` write data back in the form
 * the YAML renderer reads; `load_yaml`, `load_json` parse text.
 */
export function createSaltFilters(
  applyFilter: (name: string, value: unknown, args: unknown[]) => unknown,
): Record<string, Filter> {
  const filters: Record<string, (...raw: unknown[]) => unknown> = {
    yaml: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      const flow = kwargs['flow_style'] ?? args[0];
      return dumpSaltYaml(value, { flow: flow !== false });
    },
    json: (value) => pythonJson(value, true),
    tojson: (value) => pythonJson(value, true),
    yaml_encode: (value) => dumpSaltYaml(value, { flow: true }),
    yaml_dquote: (value) => JSON.stringify(String(value)),
    yaml_squote: (value) => `'${String(value).replace(/'/g, "''")}'`,
    load_yaml: (value) => loadSaltYaml(String(value), '<load_yaml>').data,
    load_json: (value) => JSON.parse(String(value)) as unknown,
    load_text: (value) => String(value),
    traverse: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      return traverse(value, String(args[0]), kwargs['default'] ?? args[1] ?? null, String(kwargs['delimiter'] ?? ':'));
    },
    is_list: (value) => Array.isArray(value),
    is_iter: (value) => Array.isArray(value) || isMapping(value),
    unique: (value) => (Array.isArray(value) ? uniqueOf(value) : value),
    sequence: (value) => (Array.isArray(value) ? value : [value]),
    to_bool: (value) => toBool(value),
    quote: (value) => `'${String(value).replace(/'/g, `'"'"'`)}'`,
    regex_match: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      const m = new RegExp(`^(?:${String(args[0])})`, regexFlags(kwargs, args, 1)).exec(String(value));
      return m === null ? null : m.slice(1).map((g) => g ?? null);
    },
    regex_search: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      const m = new RegExp(String(args[0]), regexFlags(kwargs, args, 1)).exec(String(value));
      return m === null ? null : m.slice(1).map((g) => g ?? null);
    },
    regex_replace: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      const re = new RegExp(String(args[0]), `g${regexFlags(kwargs, args, 2)}`);
      return String(value).replace(re, String(args[1]).replace(/\\(\d)/g, '$$$1'));
    },
    union: (a, b) => uniqueOf([...(a as unknown[]), ...(b as unknown[])]),
    intersect: (a, b) => uniqueOf((a as unknown[]).filter((x) => (b as unknown[]).includes(x))),
    difference: (a, b) => uniqueOf((a as unknown[]).filter((x) => !(b as unknown[]).includes(x))),
    symmetric_difference: (a, b) =>
      uniqueOf([
        ...(a as unknown[]).filter((x) => !(b as unknown[]).includes(x)),
        ...(b as unknown[]).filter((x) => !(a as unknown[]).includes(x)),
      ]),
    flatten: (value) => (Array.isArray(value) ? (value as unknown[]).flat(Infinity) : value),
    min: (value) => (Array.isArray(value) && value.length > 0 ? value.reduce((m, x) => (x < m ? x : m)) : null),
    max: (value) => (Array.isArray(value) && value.length > 0 ? value.reduce((m, x) => (x > m ? x : m)) : null),
    format: (value, ...args) => percentFormat(String(value), args),
    b64encode: (value) => Buffer.from(String(value), 'utf8').toString('base64'),
    b64decode: (value) => Buffer.from(String(value), 'base64').toString('utf8'),
    map: (value, ...raw) => {
      const { args, kwargs } = splitKeywords(raw);
      const items = Array.isArray(value) ? value : isMapping(value) ? Object.keys(value) : [];
      if (typeof kwargs['attribute'] === 'string') {
        const attr = kwargs['attribute'];
        return items.map((item) => traverse(item, attr, kwargs['default'], '.'));
      }
      const [name, ...rest] = args;
      return items.map((item) => applyFilter(String(name), item, rest));
    },
  };
  return filters as Record<string, Filter>;
}

/** Jinja2 tests nunjucks lacks, and Salt's `match` and `regex_*` style tests. */
export function createSaltTests(): Record<string, (value: unknown, ...args: unknown[]) => boolean> {
  return {
    none: (value) => value === null,
    boolean: (value) => typeof value === 'boolean',
    true: (value) => value === true,
    false: (value) => value === false,
    integer: (value) => Number.isInteger(value),
    float: (value) => typeof value === 'number' && !Number.isInteger(value),
    sequence: (value) => Array.isArray(value) || typeof value === 'string' || isMapping(value),
    list: (value) => Array.isArray(value),
    in: (value, seq) =>
      Array.isArray(seq)
        ? seq.includes(value)
        : typeof seq === 'string'
          ? seq.includes(String(value))
          : isMapping(seq) && Object.hasOwn(seq, String(value)),
    match: (value, pattern) => new RegExp(`^(?:${String(pattern)})`).test(String(value)),
    search: (value, pattern) => new RegExp(String(pattern)).test(String(value)),
  };
}
