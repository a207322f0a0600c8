import type { ExtendKind } from '@brine/protocol';

/**
 * What the main thread knows of an extension whose code runs only in its worker (issue #21):
 * names, docs and argument names, as plain data that crosses the thread boundary. Schemas do
 * not cross (a zod schema holds functions): arguments are validated in the worker.
 */

/** One function of a module or state module. */
export interface FunctionInfo {
  doc: string;
  /** Positional argument names (execution functions). */
  params?: string[];
  rest?: string;
  /** The argument names its schema takes; absent when it takes any (a loose object). */
  keys?: string[];
  /** A state function with a `modWatch` (Salt's `mod_watch`). */
  modWatch?: boolean;
}

/** An extension as its worker describes it once its file is imported. */
export type Manifest =
  | { kind: 'modules'; name: string; replace: boolean; virtual: boolean; functions: Record<string, FunctionInfo> }
  | { kind: 'states'; name: string; replace: boolean; virtual: boolean; states: Record<string, FunctionInfo> }
  | { kind: 'grains'; name: string; virtual: boolean }
  | { kind: 'beacons'; name: string; doc: string; intervalMs?: number; virtual: boolean };

type Spec = { doc: string; params?: readonly string[]; rest?: string; schema?: unknown; args?: unknown };

/**
 * Describes a default export that passed its kind's shape check (`shape-checks.ts`); runs in
 * the worker.
 */
export function describeExtension(kind: ExtendKind, def: Record<string, unknown>): Manifest {
  const name = def['name'] as string;
  const virtual = typeof def['virtual'] === 'function';
  const replace = def['replace'] === true;
  const info = (fns: unknown, schemaKey: 'schema' | 'args'): Record<string, FunctionInfo> =>
    Object.fromEntries(
      Object.entries(fns as Record<string, Spec & { modWatch?: unknown }>).map(([fname, s]) => {
        const keys = objectKeys(s[schemaKey]);
        const out: FunctionInfo = { doc: s.doc };
        if (s.params) out.params = [...s.params];
        if (typeof s.rest === 'string') out.rest = s.rest;
        if (keys) out.keys = keys;
        if (typeof s.modWatch === 'function') out.modWatch = true;
        return [fname, out];
      }),
    );
  switch (kind) {
    case 'modules':
      return { kind, name, replace, virtual, functions: info(def['functions'], 'schema') };
    case 'states':
      return { kind, name, replace, virtual, states: info(def['states'], 'args') };
    case 'grains':
      return { kind, name, virtual };
    case 'beacons': {
      const intervalMs = def['intervalMs'];
      return {
        kind,
        name,
        doc: typeof def['doc'] === 'string' ? def['doc'] : '',
        ...(typeof intervalMs === 'number' ? { intervalMs } : {}),
        virtual,
      };
    }
  }
}

/**
 * The keys an object schema takes, or undefined when it takes any (a loose object or not an
 * object). Read from the definition, not by `instanceof`, as `prepareCall` does.
 */
export function objectKeys(schema: unknown): string[] | undefined {
  const def = (schema as { def?: { type?: string; shape?: object; catchall?: { def?: { type?: string } } } })?.def;
  if (def?.type !== 'object' || def.shape === undefined) return undefined;
  if (def.catchall !== undefined && def.catchall.def?.type !== 'never') return undefined;
  return Object.keys(def.shape);
}
