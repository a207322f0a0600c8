import type { ExtendKind } from '@brine/protocol';

/** Checks that a default export has the shape of its kind; returns the problem, or undefined. */
export type ShapeCheck = (value: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isSchema = (v: unknown) => isObject(v) && typeof v['safeParse'] === 'function';
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkNamed(v: unknown, what: string): string | undefined {
  if (!isObject(v)) return `the default export is not a ${what} definition`;
  if (typeof v['name'] !== 'string' || !MODULE_NAME.test(v['name'])) return `${what}: name must be a plain identifier`;
  return undefined;
}

function checkFunctions(v: Record<string, unknown>, key: string, schemaKey: string): string | undefined {
  const fns = v[key];
  if (!isObject(fns)) return `${key} must be an object of functions`;
  for (const [fname, spec] of Object.entries(fns)) {
    if (!MODULE_NAME.test(fname)) return `${key}.${fname}: not a plain identifier`;
    if (!isObject(spec) || typeof spec['run'] !== 'function' || !isSchema(spec[schemaKey]))
      return `${key}.${fname}: needs run() and a zod ${schemaKey}`;
    if (typeof spec['doc'] !== 'string') return `${key}.${fname}: needs a doc string`;
  }
  return undefined;
}

/** Shape checks per kind: what `defineModule`, `defineStateModule`, `defineGrains` and `defineBeacon` produce. */
export const shapeChecks: Record<ExtendKind, ShapeCheck> = {
  modules: (v) => checkNamed(v, 'module') ?? checkFunctions(v as Record<string, unknown>, 'functions', 'schema'),
  states: (v) => checkNamed(v, 'state module') ?? checkFunctions(v as Record<string, unknown>, 'states', 'args'),
  grains: (v) =>
    checkNamed(v, 'grains') ??
    (typeof (v as Record<string, unknown>)['grains'] === 'function' ? undefined : 'grains() is missing'),
  beacons: (v) => {
    const named = checkNamed(v, 'beacon');
    if (named) return named;
    const b = v as Record<string, unknown>;
    return typeof b['check'] === 'function' && isSchema(b['config'])
      ? undefined
      : 'a beacon needs check() and a zod config';
  },
};
