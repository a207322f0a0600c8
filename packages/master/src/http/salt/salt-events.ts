import type { MinionResult } from '@brine/protocol';
import { concatMap, from, type Observable } from 'rxjs';
import type { BusEvent } from '../../core/event-bus.js';
import type { KeyChange } from '../../keys/key-store.js';
import type { Principal } from '../auth/auth.js';
import { visibleEvents$, type EventServices } from '../auth/event-visibility.js';
import type { MasterServices } from '../shared/services.js';
import { saltArguments, saltReturnValue, saltStamp } from './salt-format.js';

/** One event as salt-api's `/events` and `/ws` carry it. */
export interface SaltEvent {
  tag: string;
  data: unknown;
}

/** Jobs whose function and arguments a stream remembers for their `ret` events; then it forgets. */
const MAX_JOBS = 10_000;
/** The DER head of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const ED25519_SPKI_HEAD = Buffer.from('302a300506032b6570032100', 'hex');

/** A raw Ed25519 public key as the PEM Salt events carry in `pub`. */
export function publicKeyPem(raw: Buffer): string {
  const b64 = Buffer.concat([ED25519_SPKI_HEAD, raw]).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

type JobFacts = { fun: string; arg: unknown[] };
type Services = Pick<MasterServices, 'store' | 'keys'>;

/**
 * Makes a translator from Brine bus events to Salt's (salt/utils/event.py tags, the data shapes
 * of salt/master.py and salt/key.py): job `new` and `ret`, minion `start` with its `salt/auth`,
 * key changes as `salt/key` or `salt/auth`, hooks as `salt/netapi/hook/...`, async runner and
 * wheel calls as `salt/run/<jid>/...` and `salt/wheel/<jid>/...`. A non-return
 * outcome (timed out, offline) has no Salt event and is dropped, as are acks, progress and
 * `done`; other events keep their `brine/` tags. Remembers each job's function for its returns.
 */
export function saltEventTranslator(s: Services): (e: BusEvent) => SaltEvent[] {
  const jobs = new Map<string, JobFacts>();
  const factsOf = (jid: string): JobFacts | undefined => {
    let facts = jobs.get(jid);
    if (facts) return facts;
    const job = s.store.lookupJob(jid)?.job;
    if (!job) return undefined;
    if (jobs.size >= MAX_JOBS) jobs.clear();
    facts = { fun: job.fun, arg: saltArguments(job.args, job.kwargs) };
    jobs.set(jid, facts);
    return facts;
  };
  const pub = (id: string) => {
    const raw = s.keys.publicKey(id);
    return raw ? publicKeyPem(raw) : '';
  };
  return (e) => {
    const _stamp = saltStamp(e.stamp);
    const parts = e.tag.split('/');
    const [, area, name, step, id] = parts;
    if (area === 'job' && name !== undefined) {
      if (step === 'new') {
        const found = s.store.lookupJob(name);
        if (!found) return [];
        const { job } = found;
        const arg = saltArguments(job.args, job.kwargs);
        if (jobs.size >= MAX_JOBS) jobs.clear();
        jobs.set(name, { fun: job.fun, arg });
        const data = { jid: name, tgt: job.target, tgt_type: job.targetType, fun: job.fun, arg, minions: job.minions };
        return [{ tag: `salt/job/${name}/new`, data: { ...data, missing: [], user: job.user, _stamp } }];
      }
      const r = e.data as MinionResult;
      if (step !== 'ret' || id === undefined || r.outcome !== 'returned') return [];
      const facts = factsOf(name);
      const fun = facts?.fun ?? '';
      const data = { cmd: '_return', id, jid: name, fun, fun_args: facts?.arg ?? [] };
      const ret = { return: saltReturnValue(fun, r.ret), retcode: r.retcode ?? 0, success: r.success };
      return [{ tag: `salt/job/${name}/ret/${id}`, data: { ...data, ...ret, _stamp } }];
    }
    if (area === 'minion' && name !== undefined && parts.length === 4 && step === 'connected') {
      const started = `Minion ${name} started at ${new Date(e.stamp).toUTCString()}`;
      const start = { cmd: '_minion_event', data: started, id: name, pretag: null, tag: `salt/minion/${name}/start` };
      return [
        { tag: 'salt/auth', data: { act: 'accept', id: name, pub: pub(name), result: true, _stamp } },
        { tag: `salt/minion/${name}/start`, data: { ...start, _stamp } },
      ];
    }
    if (area === 'key') return keyEvent(e.data as KeyChange, _stamp, pub);
    if (area === 'run' || area === 'wheel')
      return [{ tag: ['salt', ...parts.slice(1)].join('/'), data: withStamp(e.data, _stamp) }];
    if (area === 'hook')
      return [{ tag: ['salt/netapi/hook', ...parts.slice(2)].join('/'), data: withStamp(e.data, _stamp) }];
    return [{ tag: e.tag, data: e.data }];
  };
}

function withStamp(data: unknown, _stamp: string): unknown {
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? { ...data, _stamp } : data;
}

/** Salt fires `salt/key` when a key is accepted, rejected or deleted, and `salt/auth` for a new (pending) or denied one. */
function keyEvent(c: KeyChange, _stamp: string, pub: (id: string) => string): SaltEvent[] {
  switch (c.to) {
    case 'accepted':
      return [{ tag: 'salt/key', data: { act: 'accept', id: c.id, result: true, _stamp } }];
    case 'rejected':
      return [{ tag: 'salt/key', data: { act: 'reject', id: c.id, result: true, _stamp } }];
    case undefined:
      return [{ tag: 'salt/key', data: { act: 'delete', id: c.id, result: true, _stamp } }];
    case 'pending':
      return [{ tag: 'salt/auth', data: { act: 'pend', id: c.id, pub: pub(c.id), result: true, _stamp } }];
    default:
      return [{ tag: 'salt/auth', data: { act: 'denied', id: c.id, pub: pub(c.id), result: false, _stamp } }];
  }
}

/**
 * The bus as the salt-api dialect shows it to a principal: what {@link visibleEvents$} lets it
 * see, translated by {@link saltEventTranslator}. Emits from subscription on; completes when the
 * bus closes; never errors.
 */
export function saltEvents$(s: Services & EventServices, p: Principal): Observable<SaltEvent> {
  const translate = saltEventTranslator(s);
  return visibleEvents$(s, p, []).pipe(concatMap((e) => from(translate(e))));
}
