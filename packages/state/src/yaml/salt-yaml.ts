import * as jsYaml from 'js-yaml';
import { FAILSAFE_SCHEMA, load, Type, YAMLException, type State } from 'js-yaml';
import { stringify, type ScalarTag, type Tags } from 'yaml';
import { StateError, StateErrorCode } from '../errors.js';

/*
 * Salt reads SLS with PyYAML's SafeLoader, which speaks YAML 1.1 with its own implicit types.
 * These regexes are PyYAML's (yaml/resolver.py), so `y`, `n`, `1e3`, `09` and `05:30` stay
 * strings as they do in Salt. SLS are read with js-yaml: for the 43 KB that a 300-state SLS
 * renders to, the `yaml` package took 140 ms of CPU in a fresh process and js-yaml 25 ms
 * (issue #17's `brine-call --local` goal).
 */
const PY_BOOL = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** js-yaml's own types that PyYAML's SafeLoader shares (its export that @types/js-yaml leaves out). */
const types = (jsYaml as unknown as { types: Record<'null' | 'merge' | 'binary' | 'omap' | 'pairs' | 'set', Type> })
  .types;

/** A base-60 number (`1:30` is 90), as PyYAML's constructors read one. */
function sexagesimal(digits: string, parse: (part: string) => number): number {
  return digits.split(':').reduce((total, part) => total * 60 + parse(part), 0);
}

/** PyYAML's `construct_yaml_int`. */
function constructInt(text: string): number {
  let value = text.replace(/_/g, '');
  const sign = value.startsWith('-') ? -1 : 1;
  if (value[0] === '-' || value[0] === '+') value = value.slice(1);
  if (value === '0') return 0;
  if (value.startsWith('0b')) return sign * parseInt(value.slice(2), 2);
  if (value.startsWith('0x')) return sign * parseInt(value.slice(2), 16);
  if (value.includes(':')) return sign * sexagesimal(value, (p) => parseInt(p, 10));
  if (value.startsWith('0')) return sign * parseInt(value, 8);
  return sign * parseInt(value, 10);
}

/** PyYAML's `construct_yaml_float`. */
function constructFloat(text: string): number {
  let value = text.replace(/_/g, '').toLowerCase();
  const sign = value.startsWith('-') ? -1 : 1;
  if (value[0] === '-' || value[0] === '+') value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) return sign * sexagesimal(value, Number);
  return sign * Number(value);
}

/** The implicit types of PyYAML's SafeLoader, and the explicit tags it knows. */
const PY_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    types.null,
    new Type('tag:yaml.org,2002:bool', {
      kind: 'scalar',
      resolve: (s: string) => PY_BOOL.test(s),
      construct: (s: string) => PY_TRUE.test(s),
    }),
    new Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (s: string) => PY_INT.test(s),
      construct: constructInt,
    }),
    new Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (s: string) => PY_FLOAT.test(s),
      construct: constructFloat,
    }),
    types.merge,
  ],
  explicit: [
    types.binary,
    types.omap,
    types.pairs,
    types.set,
    // PyYAML makes dates datetime objects; they would reach state functions as strings anyway.
    new Type('tag:yaml.org,2002:timestamp', { kind: 'scalar', construct: (s: string) => s }),
  ],
});

/** Most nodes that aliases may expand rendered YAML to (a "billion laughs" is refused). */
const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Rendered YAML as data, with the 1-based line of each top-level key (state IDs), and of each
 * ID under `extend:` as `extend\0<id>`.
 */
export interface LoadedYaml {
  data: unknown;
  keyLines: Map<string, number>;
}

/** A `file:line` YAML error. */
function yamlError(file: string, line: number | undefined, reason: string): StateError {
  const at = line === undefined ? '' : `:${line}`;
  return new StateError(StateErrorCode.YAML, `YAML error in ${file}${at}: ${reason}`, { file, line });
}

/**
 * A js-yaml listener that records the line of each key of the top-level mapping, and of each
 * key of the mapping under `extend:`. A node closes with the parser just past it; it was a key
 * when a `:` follows on its line. The root is depth 1, its keys and values depth 2.
 */
function keyLineListener(keyLines: Map<string, number>): (event: string, state: State) => void {
  let depth = 0;
  let topKey = '';
  return (event, state) => {
    if (event === 'open') {
      depth++;
      return;
    }
    const nodeDepth = depth--;
    if (nodeDepth !== 2 && !(nodeDepth === 3 && topKey === 'extend')) return;
    const input = state.input;
    let at = state.position;
    while (input[at] === ' ' || input[at] === '\t') at++;
    if (input[at] !== ':' || (typeof state.result === 'object' && state.result !== null)) return;
    const key = String(state.result);
    if (nodeDepth === 2) topKey = key;
    const name = nodeDepth === 2 ? key : `extend\0${key}`;
    if (!keyLines.has(name)) keyLines.set(name, state.line + 1);
  };
}

/**
 * How many nodes `data` has once every alias is expanded, as a later deep copy would make
 * them; throws past `limit` or on a recursive alias (`&a [*a]`). Shared nodes are counted
 * once per place, with their size remembered, so the walk is linear in the parsed data.
 */
function expandedSize(data: unknown, limit: number, sizes = new Map<object, number>()): number {
  if (typeof data !== 'object' || data === null) return 1;
  const known = sizes.get(data);
  if (known === -1) throw new Error('an alias refers to a node that contains it');
  if (known !== undefined) return known;
  sizes.set(data, -1);
  let size = 1;
  for (const child of Array.isArray(data) ? data : Object.values(data)) {
    size += expandedSize(child, limit, sizes);
    if (size > limit) throw new Error(`aliases expand the data past ${limit} nodes`);
  }
  sizes.set(data, size);
  return size;
}

/**
 * Parses YAML as Salt's PyYAML SafeLoader would (YAML 1.1 booleans `yes/no/on/off`, octal
 * `0644`, duplicate keys refused). Throws {@link StateError} `ERR_STATE_YAML` naming
 * `file:line`.
 */
export function loadSaltYaml(text: string, file: string): LoadedYaml {
  const keyLines = new Map<string, number>();
  let data: unknown;
  try {
    data = load(text, { schema: PY_SCHEMA, filename: file, listener: keyLineListener(keyLines) });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    // js-yaml reads past a last line without a newline; an error at the end is on the last line.
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    throw yamlError(file, err.mark === undefined ? undefined : Math.min(err.mark.line + 1, lines), err.reason);
  }
  if (text.includes('*')) {
    try {
      expandedSize(data, MAX_EXPANDED_NODES);
    } catch (err) {
      throw yamlError(file, undefined, (err as Error).message);
    }
  }
  return { data: data ?? null, keyLines };
}

/*
 * Writing: the `yaml` package with its YAML 1.1 schema narrowed to PyYAML's implicit types, so
 * a string is quoted exactly when PyYAML would read it as something else.
 */
const DUMP_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const DUMP_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const DUMP_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const DUMP_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;
const DUMP_INT_TIME = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;

function pyTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const tag of tags) {
    if (typeof tag === 'string' || !('test' in tag) || tag.test === undefined) {
      out.push(tag);
      continue;
    }
    const scalar = tag as ScalarTag;
    const source = scalar.test!.source;
    if (scalar.tag === 'tag:yaml.org,2002:timestamp') {
      // PyYAML makes dates datetime objects; they would reach state functions as strings anyway.
      continue;
    }
    if (scalar.tag === 'tag:yaml.org,2002:bool') {
      out.push({ ...scalar, test: scalar.identify?.(true) ? DUMP_TRUE : DUMP_FALSE });
    } else if (scalar.tag === 'tag:yaml.org,2002:float' && scalar.format === 'EXP') {
      continue; // PyYAML has no exponent without a dot (`1e3` is a string)
    } else if (scalar.tag === 'tag:yaml.org,2002:float' && scalar.format === undefined && !source.includes('inf')) {
      out.push({ ...scalar, test: DUMP_FLOAT });
    } else if (scalar.tag === 'tag:yaml.org,2002:int' && scalar.format === undefined) {
      out.push({ ...scalar, test: DUMP_INT });
    } else if (scalar.tag === 'tag:yaml.org,2002:int' && scalar.format === 'TIME') {
      out.push({ ...scalar, test: DUMP_INT_TIME });
    } else {
      out.push(scalar);
    }
  }
  return out;
}

/** Options of {@link dumpSaltYaml}. */
export interface DumpYamlOptions {
  /** Flow style (`{a: 1}`), as Salt's `yaml` filter writes by default. @default true */
  flow?: boolean;
}

/**
 * Writes data as YAML that {@link loadSaltYaml} reads back to the same values (strings such
 * as `yes` or `0644` are quoted). No trailing newline.
 */
export function dumpSaltYaml(value: unknown, options: DumpYamlOptions = {}): string {
  const text = stringify(value === undefined ? null : value, {
    version: '1.1',
    schema: 'yaml-1.1',
    customTags: pyTags,
    collectionStyle: options.flow === false ? 'block' : 'flow',
    lineWidth: 0,
  });
  return text.replace(/\n$/, '');
}
