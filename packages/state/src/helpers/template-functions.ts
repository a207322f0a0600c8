import { deepCopy, dictUpdate, isMapping, traverse } from './data.js';
import { filterBy } from './filter-by.js';

/**
 * A function callable from a template as `salt['mod.fun'](...)`: positional arguments, and
 * the keyword arguments of the call (`default='x'`) as a mapping.
 */
export type TemplateFunction = (args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>) => unknown;

/** The data the pure template functions read. */
export interface TemplateData {
  grains: Readonly<Record<string, unknown>>;
  pillar: Readonly<Record<string, unknown>>;
  opts?: Readonly<Record<string, unknown>>;
}

/** Binds positional and keyword arguments to parameter names, as Python does. */
export function bindArgs(
  names: readonly string[],
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (i < args.length) out[name] = args[i];
    else if (Object.hasOwn(kwargs, name)) out[name] = kwargs[name];
  });
  return out;
}

function getter(source: () => unknown): TemplateFunction {
  return (args, kwargs) => {
    const a = bindArgs(['key', 'default', 'merge', 'delimiter'], args, kwargs);
    const fallback = 'default' in a ? a['default'] : '';
    const delimiter = typeof a['delimiter'] === 'string' ? a['delimiter'] : ':';
    const found = traverse(source(), String(a['key']), undefined, delimiter);
    if (found === undefined) return fallback;
    if (a['merge'] && isMapping(fallback) && isMapping(found)) return dictUpdate(deepCopy(fallback), found);
    return found;
  };
}

/**
 * The execution functions that templates call most and that need nothing but data: Salt's
 * `grains.filter_by`, `grains.get`, `pillar.get`, `config.get`, `defaults.merge`,
 * `defaults.deepcopy`, `slsutil.merge`, `grains.items`, `pillar.items`. A minion registers
 * them beside its other functions; they answer synchronously, so a render never waits on them.
 */
export function createTemplateFunctions(data: TemplateData): Record<string, TemplateFunction> {
  const opts = data.opts ?? {};
  return {
    'grains.filter_by': (args, kwargs) => {
      const a = bindArgs(['lookup_dict', 'grain', 'merge', 'default', 'base'], args, kwargs);
      if (!isMapping(a['lookup_dict'])) throw new Error('grains.filter_by needs a dictionary');
      const grain = typeof a['grain'] === 'string' ? a['grain'] : 'os_family';
      const options: Parameters<typeof filterBy>[2] = {};
      if (a['merge'] !== undefined) options.merge = a['merge'];
      if (typeof a['default'] === 'string') options.default = a['default'];
      if (typeof a['base'] === 'string') options.base = a['base'];
      return filterBy(a['lookup_dict'], traverse(data.grains, grain, []), options);
    },
    'grains.get': getter(() => data.grains),
    'pillar.get': getter(() => data.pillar),
    'config.get': (args, kwargs) => {
      const a = bindArgs(['key', 'default', 'delimiter'], args, kwargs);
      const key = String(a['key']);
      for (const source of [opts, data.grains, data.pillar]) {
        const found = traverse(source, key, undefined);
        if (found !== undefined) return found;
      }
      return 'default' in a ? a['default'] : '';
    },
    'grains.items': () => data.grains,
    'pillar.items': () => data.pillar,
    'defaults.merge': (args, kwargs) => {
      const a = bindArgs(['dest', 'src', 'merge_lists', 'in_place'], args, kwargs);
      if (!isMapping(a['dest']) || !isMapping(a['src'])) throw new Error('defaults.merge needs two dictionaries');
      const dest = a['in_place'] === false ? deepCopy(a['dest']) : a['dest'];
      return dictUpdate(dest, a['src'], a['merge_lists'] === true);
    },
    'defaults.deepcopy': (args, kwargs) => deepCopy(bindArgs(['source'], args, kwargs)['source']),
    'slsutil.merge': (args, kwargs) => {
      const a = bindArgs(['obj_a', 'obj_b', 'strategy', 'renderer', 'merge_lists'], args, kwargs);
      if (!isMapping(a['obj_a']) || !isMapping(a['obj_b'])) throw new Error('slsutil.merge needs two dictionaries');
      if (a['strategy'] === 'overwrite') return { ...a['obj_a'], ...a['obj_b'] };
      return dictUpdate(deepCopy(a['obj_a']), a['obj_b'], a['merge_lists'] === true);
    },
  };
}
