import type { JobLookup, JobListing, StoredMinionRow } from '../../core/job-store.js';
import type { KeyEntry, KeyStateValue } from '../../keys/key-store.js';
import { ErrorCode } from '@brine/protocol';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A time as Salt's job cache prints it, in UTC: `2012, Nov 30 10:46:33.606931`. */
export function saltStartTime(ms: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${d.getUTCFullYear()}, ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${time}.${pad(d.getUTCMilliseconds(), 3)}000`;
}

/** A time as Salt stamps events (`_stamp`), in UTC: `2014-01-12_01:01:49.809617`. */
export function saltStamp(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', '_').replace('Z', '')}000`;
}

/** The code a Brine minion answers for a function it does not have. */
const FUNCTION_UNKNOWN = ErrorCode.FUNCTION_UNKNOWN;

/**
 * A minion's return as Salt shows it: Brine's `{code: ERR_FUNCTION_UNKNOWN}` for a function the
 * minion lacks becomes Salt's string (`'foo.bar' is not available.`, salt/loader); anything else
 * is returned as is.
 */
export function saltReturnValue(fun: string, ret: unknown): unknown {
  if (ret !== null && typeof ret === 'object' && (ret as { code?: unknown }).code === FUNCTION_UNKNOWN)
    return `'${fun}' is not available.`;
  return ret ?? null;
}

/** Salt's `Arguments`: the positional arguments, then the keyword ones marked `__kwarg__`. */
export function saltArguments(args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): unknown[] {
  return Object.keys(kwargs).length === 0 ? [...args] : [...args, { ...kwargs, __kwarg__: true }];
}

type JobFacts = Pick<JobListing, 'fun' | 'args' | 'kwargs' | 'target' | 'targetType' | 'user' | 'startedAt'>;

/** One job as salt-api's `GET /jobs` (runner `jobs.list_jobs`) lists it. */
export function saltJobEntry(job: JobFacts): Record<string, unknown> {
  return {
    Function: job.fun,
    Arguments: saltArguments(job.args, job.kwargs),
    Target: job.target,
    'Target-type': job.targetType,
    User: job.user,
    StartTime: saltStartTime(job.startedAt),
  };
}

/** What each minion that returned returned, as Salt's `jobs.lookup_jid`: minions that did not are left out. */
export function saltReturns(fun: string, rows: readonly StoredMinionRow[]): Record<string, unknown> {
  return Object.fromEntries(
    rows.filter((r) => r.outcome === 'returned').map((r) => [r.id, saltReturnValue(fun, r.ret)]),
  );
}

/** One job as salt-api's `GET /jobs/<jid>` (runner `jobs.list_job`) shows it. */
export function saltJobInfo(found: JobLookup): Record<string, unknown> {
  const returned = found.minions.filter((r) => r.outcome === 'returned');
  return {
    jid: found.job.jid,
    ...saltJobEntry(found.job),
    Minions: found.minions.map((r) => r.id),
    Result: Object.fromEntries(
      returned.map((r) => [
        r.id,
        { return: saltReturnValue(found.job.fun, r.ret), retcode: r.retcode ?? 0, success: r.success },
      ]),
    ),
  };
}

/** Salt's key directory names for each key state. */
export const SALT_KEY_DIRS: Readonly<Record<KeyStateValue, string>> = {
  accepted: 'minions',
  pending: 'minions_pre',
  rejected: 'minions_rejected',
  denied: 'minions_denied',
};

/** Keys grouped as wheel `key.list_all` answers: ids by state, and the master's own under `local`. */
export function saltKeyLists(keys: readonly KeyEntry[], local = true): Record<string, string[]> {
  const out: Record<string, string[]> = {
    ...(local ? { local: ['master.pem', 'master.pub'] } : {}),
    minions: [],
    minions_pre: [],
    minions_rejected: [],
    minions_denied: [],
  };
  for (const k of keys) out[SALT_KEY_DIRS[k.state]]!.push(k.id);
  return out;
}

/** Fingerprints grouped as wheel `key.finger` answers, with only the states that have keys. */
export function saltKeyFingers(keys: readonly KeyEntry[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const k of keys) (out[SALT_KEY_DIRS[k.state]] ??= {})[k.id] = k.fingerprint;
  return out;
}

/** A wheel result in salt-api's envelope: `{tag, data: {fun, jid, tag, user, _stamp, return, success}}`. */
export function wheelEnvelope(spec: {
  fun: string;
  jid: string;
  user: string;
  ret: unknown;
  now: number;
}): Record<string, unknown> {
  const tag = `salt/wheel/${spec.jid}`;
  return {
    tag,
    data: {
      fun: `wheel.${spec.fun}`,
      jid: spec.jid,
      tag,
      user: spec.user,
      _stamp: saltStamp(spec.now),
      return: spec.ret,
      success: true,
    },
  };
}
