import { describe, expect, it } from 'vitest';
import { prepareCall } from '../modules/registry.js';
import { moduleFunctions } from '../modules/types.js';
import { moduleStandIn, standInSchema } from './stand-ins.js';

describe('standInSchema', () => {
  it('passes the values through and leaves absent arguments absent, for the worker to default', () => {
    expect(standInSchema({ keys: ['shout', 'who'] }).parse({ who: 'x' })).toEqual({ who: 'x' });
    expect(standInSchema({}).parse({ any: 1 })).toEqual({ any: 1 });
  });

  it('lets prepareCall refuse an argument the real schema does not take, by name', () => {
    const def = moduleStandIn({
      kind: 'modules',
      name: 'app',
      replace: false,
      virtual: false,
      functions: { greet: { doc: 'Greets.', params: ['who'], keys: ['who', 'shout'] } },
    });
    const registry = new Map(moduleFunctions(def).map((f) => [f.name, f]));
    expect(prepareCall(registry, 'app.greet', ['w'], {})).toMatchObject({ ok: true, input: { who: 'w' } });
    expect(prepareCall(registry, 'app.greet', [], { loud: true })).toMatchObject({
      ok: false,
      error: { code: 'ERR_ARGS_INVALID', message: expect.stringContaining("has no argument 'loud'") },
    });
  });
});
