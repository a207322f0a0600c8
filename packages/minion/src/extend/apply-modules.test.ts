import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineModule, fn, type ModuleFunction } from '../modules/types.js';
import { layerModules, swapContents } from './apply-modules.js';

const builtin = (name: string, ret: string): ModuleFunction => ({
  name,
  doc: name,
  params: [],
  schema: z.object({}),
  run: async () => ({ ret }),
});
const builtins = new Map([
  ['pkg.install', builtin('pkg.install', 'builtin')],
  ['pkg.remove', builtin('pkg.remove', 'builtin')],
  ['saltutil.sync_all', builtin('saltutil.sync_all', 'builtin')],
]);
const custom = (name: string, fns: string[], replace = false) =>
  defineModule({
    name,
    ...(replace ? { replace } : {}),
    functions: Object.fromEntries(
      fns.map((f) => [f, fn({ doc: f, params: [], schema: z.object({}), run: async () => ({ ret: 'custom' }) })]),
    ),
  });
const names = (m: ReadonlyMap<string, ModuleFunction>) => [...m.keys()].sort();

describe('layerModules', () => {
  it('adds functions to an existing module and replaces a same-named one', async () => {
    const { registry } = layerModules(builtins, [custom('pkg', ['install', 'hold'])], (f) => f);
    expect(names(registry)).toEqual(['pkg.hold', 'pkg.install', 'pkg.remove', 'saltutil.sync_all']);
    expect((await registry.get('pkg.install')!.run({}, {} as never)).ret).toBe('custom');
    expect((await registry.get('pkg.remove')!.run({}, {} as never)).ret).toBe('builtin');
  });

  it('replaces the whole module when the custom module says replace', () => {
    const { registry } = layerModules(builtins, [custom('pkg', ['hold'], true)], (f) => f);
    expect(names(registry)).toEqual(['pkg.hold', 'saltutil.sync_all']);
  });

  it('refuses to override the reserved saltutil module', () => {
    const { registry, refused } = layerModules(builtins, [custom('saltutil', ['sync_all'], true)], (f) => f);
    expect(refused.map((r) => r.name)).toEqual(['saltutil']);
    expect(registry.get('saltutil.sync_all')).toBe(builtins.get('saltutil.sync_all'));
  });

  it('swaps a live map to the new contents in one step', () => {
    const live = new Map([['old.fn', builtin('old.fn', 'x')]]);
    swapContents(live, builtins);
    expect(names(live)).toEqual(names(builtins));
  });
});
