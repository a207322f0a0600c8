import type { FastifyRequest } from 'fastify';
import { createJidGenerator, globMatch, type MinionResult } from '@brine/protocol';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import type { KeyStateValue } from '../keys/key-store.js';
import { Area } from './acl.js';
import type { Principal } from './auth.js';
import { BadRequestError, ForbiddenError, NotFoundError } from './errors.js';
import { maySeeJob, startJob } from './job-access.js';
import type { ApiServices } from './route.js';
import {
  saltJobEntry,
  saltJobInfo,
  saltKeyFingers,
  saltKeyLists,
  saltReturns,
  saltStartTime,
  wheelEnvelope,
} from './salt-format.js';
import type { SaltCommand } from './salt-lowstate.js';

const wheelJid = createJidGenerator();

/** What a minion result looks like in a `local` answer: its return, or Salt's words for none. */
function saltRet(r: MinionResult): unknown {
  return r.outcome === 'returned'
    ? (r.ret ?? null)
    : `Minion did not return. [${r.outcome}${r.reason ? `: ${r.reason}` : ''}]`;
}

async function runLocal(
  s: ApiServices,
  p: Principal,
  cmd: Extract<SaltCommand, { request: unknown }>,
  req: FastifyRequest,
): Promise<unknown[]> {
  const job = startJob(s, p, cmd.request, req);
  if (cmd.client === 'local_async') return [{ jid: job.jid, minions: job.minions }];
  const results = await lastValueFrom(
    job.events$.pipe(
      filter((e) => e.type === 'result'),
      map((e) => (e as Extract<typeof e, { type: 'result' }>).result),
      toArray(),
    ),
  );
  // local_batch is a generator in Salt: one element per minion, in the order they finished.
  if (cmd.client === 'local_batch') return results.map((r) => ({ [r.id]: saltRet(r) }));
  if (cmd.fullReturn)
    return [
      Object.fromEntries(
        results.map((r) => [
          r.id,
          { ret: saltRet(r), retcode: r.retcode ?? null, success: r.success, outcome: r.outcome, jid: job.jid },
        ]),
      ),
    ];
  // Like Salt's LocalClient.cmd, a minion that did not return is left out of `local`.
  return [Object.fromEntries(results.filter((r) => r.outcome === 'returned').map((r) => [r.id, r.ret ?? null]))];
}

function jidOf(kwargs: Record<string, unknown>): string {
  const jid = kwargs['jid'];
  if (typeof jid !== 'string' || !/^\d{20}$/.test(jid)) throw new BadRequestError('jid: a jid is 20 digits');
  return jid;
}

function runRunner(s: ApiServices, p: Principal, fun: string, kwargs: Record<string, unknown>): unknown {
  const all = p.grants.admin || p.grants.can(Area.jobs);
  const lookup = () => {
    const jid = jidOf(kwargs);
    const found = s.store.lookupJob(jid);
    if (!found) throw new NotFoundError(`no job ${jid}`);
    if (!maySeeJob(p, found.job.user)) throw new ForbiddenError(`job ${jid} is not yours and this token lacks @jobs`);
    return found;
  };
  const minions = () => s.registry.list();
  switch (fun) {
    case 'jobs.list_jobs':
      return Object.fromEntries(
        s.store.listJobs({ limit: 1000, ...(all ? {} : { user: p.user }) }).map((j) => [j.jid, saltJobEntry(j)]),
      );
    case 'jobs.lookup_jid':
      return saltReturns(lookup().minions);
    case 'jobs.list_job':
      return saltJobInfo(lookup());
    case 'jobs.active':
      return Object.fromEntries(
        s.manager
          .active()
          .filter((j) => maySeeJob(p, j.user))
          .map((j) => [
            j.jid,
            { Function: j.fun, User: j.user, StartTime: saltStartTime(j.startedAt), Running: j.minions },
          ]),
      );
    case 'manage.up':
      return minions()
        .filter((m) => m.connected)
        .map((m) => m.id);
    case 'manage.down':
      return minions()
        .filter((m) => !m.connected)
        .map((m) => m.id);
    default:
      return {
        up: minions()
          .filter((m) => m.connected)
          .map((m) => m.id),
        down: minions()
          .filter((m) => !m.connected)
          .map((m) => m.id),
      };
  }
}

const KEY_STATES: Readonly<Record<string, KeyStateValue | undefined>> = {
  all: undefined,
  acc: 'accepted',
  accepted: 'accepted',
  pre: 'pending',
  un: 'pending',
  unaccepted: 'pending',
  pending: 'pending',
  rej: 'rejected',
  rejected: 'rejected',
  den: 'denied',
  denied: 'denied',
};

function runWheel(s: ApiServices, fun: string, kwargs: Record<string, unknown>): unknown {
  const match = typeof kwargs['match'] === 'string' ? kwargs['match'] : undefined;
  const glob = () => {
    if (match === undefined || match.length > 255) throw new BadRequestError(`${fun} needs match=<glob>`);
    return match;
  };
  switch (fun) {
    case 'key.list_all':
      return saltKeyLists(s.keys.list());
    case 'key.list': {
      const m = match ?? 'all';
      if (!Object.hasOwn(KEY_STATES, m)) throw new BadRequestError(`key.list: unknown key state '${m}'`);
      const lists = saltKeyLists(s.keys.list(KEY_STATES[m]));
      return KEY_STATES[m] === undefined
        ? lists
        : Object.fromEntries(Object.entries(lists).filter(([, ids]) => ids.length > 0));
    }
    case 'key.finger': {
      const g = glob();
      return saltKeyFingers(s.keys.list().filter((k) => globMatch(g, k.id)));
    }
    case 'key.accept':
      return { minions: s.keys.accept(glob()) };
    case 'key.reject':
      return { minions_rejected: s.keys.reject(glob()) };
    default:
      return { minions: s.keys.delete(glob()) };
  }
}

/**
 * Runs an authorized salt-api command and returns its elements of the `return` list: one for
 * most clients, one per minion for `local_batch` (Salt's batch client is a generator).
 */
export async function runCommand(
  s: ApiServices,
  p: Principal,
  cmd: SaltCommand,
  req: FastifyRequest,
): Promise<unknown[]> {
  if ('request' in cmd) {
    req.audit.detail = cmd.client;
    return runLocal(s, p, cmd, req);
  }
  if (cmd.client === 'runner') {
    req.audit.detail = `runner ${cmd.fun}`;
    return [runRunner(s, p, cmd.fun, cmd.kwargs)];
  }
  req.audit.detail = `wheel ${cmd.fun}`;
  const ret = runWheel(s, cmd.fun, cmd.kwargs);
  return [wheelEnvelope({ fun: cmd.fun, jid: wheelJid(s.now()), user: p.user, ret, now: s.now() })];
}
