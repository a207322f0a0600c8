import { isMap, isScalar, LineCounter, parseDocument, stringify, type ScalarTag, type Tags } from 'yaml';
import { StateError, StateErrorCode } from '../errors.js';

/*
 * Salt reads SLS with PyYAML's SafeLoader, which speaks YAML 1.1 with its own implicit types.
 * The `yaml` package's 1.1 schema is close but wider; these regexes are PyYAML's
 * (yaml/resolver.py), so `y`, `n`, `1e3`, `09` and `05:30` stay strings as they do in Salt.
 */
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;
const PY_INT_TIME = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;

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
      out.push({ ...scalar, test: scalar.identify?.(true) ? PY_TRUE : PY_FALSE });
    } else if (scalar.tag === 'tag:yaml.org,2002:float' && scalar.format === 'EXP') {
      continue; // PyYAML has no exponent without a dot (`1e3` is a string)
    } else if (scalar.tag === 'tag:yaml.org,2002:float' && scalar.format === undefined && !source.includes('inf')) {
      out.push({ ...scalar, test: PY_FLOAT });
    } else if (scalar.tag === 'tag:yaml.org,2002:int' && scalar.format === undefined) {
      out.push({ ...scalar, test: PY_INT });
    } else if (scalar.tag === 'tag:yaml.org,2002:int' && scalar.format === 'TIME') {
      out.push({ ...scalar, test: PY_INT_TIME });
    } else {
      out.push(scalar);
    }
  }
  return out;
}

const YAML_OPTIONS = {
  version: '1.1',
  schema: 'yaml-1.1',
  customTags: pyTags,
  // Salt's loader refuses duplicate keys in a mapping (a duplicate state ID in one file).
  uniqueKeys: true,
  merge: true,
  prettyErrors: false,
  maxAliasCount: 1000,
} as const;

/**
 * Rendered YAML as data, with the 1-based line of each top-level key (state IDs), and of each
 * ID under `extend:` as `extend\0<id>`.
 */
export interface LoadedYaml {
  data: unknown;
  keyLines: Map<string, number>;
}

/**
 * Parses YAML as Salt's PyYAML SafeLoader would (YAML 1.1 booleans `yes/no/on/off`, octal
 * `0644`, duplicate keys refused). Throws {@link StateError} `ERR_STATE_YAML` naming
 * `file:line`.
 */
export function loadSaltYaml(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
  const first = doc.errors[0];
  if (first !== undefined) {
    const line = lineCounter.linePos(first.pos[0]).line;
    const reason = first.message.split('\n')[0] ?? first.message;
    throw new StateError(
      StateErrorCode.YAML,
      `YAML error in ${file}${line === undefined ? '' : `:${line}`}: ${reason}`,
      {
        file,
        line,
      },
    );
  }
  const keyLines = new Map<string, number>();
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const key = pair.key;
      if (!isScalar(key) || !key.range) continue;
      keyLines.set(String(key.value), lineCounter.linePos(key.range[0]).line);
      // `extend:` names IDs one level down; their lines locate an extend of a missing ID.
      if (key.value === 'extend' && isMap(pair.value)) {
        for (const inner of pair.value.items) {
          if (isScalar(inner.key) && inner.key.range) {
            keyLines.set(`extend\0${String(inner.key.value)}`, lineCounter.linePos(inner.key.range[0]).line);
          }
        }
      }
    }
  }
  return { data: doc.toJS({ maxAliasCount: 1000 }) as unknown, keyLines };
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
    ...YAML_OPTIONS,
    collectionStyle: options.flow === false ? 'block' : 'flow',
    lineWidth: 0,
  });
  return text.replace(/\n$/, '');
}
