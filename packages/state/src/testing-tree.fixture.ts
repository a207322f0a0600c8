import { createTemplateFunctions } from './helpers/template-functions.js';
import type { FileReader, FunctionCaller } from './render/render-session.js';

/** A file root in memory: `{env: {path: text}}`, read asynchronously as a file server would be. */
export function memoryReader(tree: Readonly<Record<string, Readonly<Record<string, string>>>>): FileReader & {
  reads: string[];
} {
  const reads: string[] = [];
  const reader = async (saltenv: string, path: string): Promise<string | undefined> => {
    reads.push(`${saltenv}:${path}`);
    await Promise.resolve();
    return tree[saltenv]?.[path];
  };
  return Object.assign(reader, { reads });
}

/**
 * A function caller with the pure template functions plus async fakes for `cmd.run` and
 * `test.echo`, recording every call it receives.
 */
export function fakeCaller(data: {
  grains: Record<string, unknown>;
  pillar: Record<string, unknown>;
}): FunctionCaller & { calls: string[] } {
  const pure = createTemplateFunctions(data);
  const calls: string[] = [];
  const caller: FunctionCaller = (fun, args, kwargs) => {
    calls.push(`${fun}(${JSON.stringify(args)})`);
    const helper = pure[fun];
    if (helper !== undefined) return helper(args, kwargs);
    if (fun === 'cmd.run') return Promise.resolve(`ran ${String(args[0])}`);
    if (fun === 'test.echo') return Promise.resolve(args[0]);
    if (fun === 'test.fail') return Promise.reject(new Error('it failed'));
    throw new Error(`'${fun}' is not available`);
  };
  return Object.assign(caller, { calls });
}
