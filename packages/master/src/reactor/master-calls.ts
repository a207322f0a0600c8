import type { KeyStore } from '../keys/key-store.js';
import type { MasterCall } from './reactor.js';

function match(fun: string, kwargs: Record<string, unknown>): string {
  const m = kwargs['match'];
  if (typeof m !== 'string' || m === '') throw new Error(`${fun} needs match: <id glob>`);
  return m;
}

/**
 * The master-side functions reactions may call (`wheel.key.accept|reject|delete` with `match`,
 * and the runners given), by their reaction form name. The identity's ACL is checked by the
 * reactor before a call (`@wheel`, `@runner` or a glob naming the function).
 */
export function masterCalls(
  keys: Pick<KeyStore, 'accept' | 'reject' | 'delete'>,
  runners: Readonly<Record<string, MasterCall>> = {},
): Record<string, MasterCall> {
  const calls: Record<string, MasterCall> = {
    'wheel.key.accept': (kw) => keys.accept(match('key.accept', kw), kw['include_rejected'] === true),
    'wheel.key.reject': (kw) => keys.reject(match('key.reject', kw)),
    'wheel.key.delete': (kw) => keys.delete(match('key.delete', kw)),
  };
  for (const [name, call] of Object.entries(runners)) calls[`runner.${name}`] = call;
  return calls;
}
