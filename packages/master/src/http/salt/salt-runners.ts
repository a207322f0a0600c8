import { globMatch, jobRequestSchema, type MinionResult } from '@brine/protocol';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import { Area } from '../auth/acl.js';
import type { Principal } from '../auth/auth.js';
import { BadRequestError, ForbiddenError, HttpError, NotFoundError } from '../shared/errors.js';
import { maySeeJob, startJob } from '../auth/job-access.js';
import { saltJobEntry, saltJobInfo, saltReturns, saltStartTime } from './salt-format.js';
import { WHEELS } from './salt-wheel.js';
import { SCHEDULE_RUNNERS } from './salt-schedule.js';
import { orchestrateRunners } from './salt-orchestrate.js';
import { mayFireTag } from '../../core/event-bus.js';
import type { SaltFunContext, SaltFunction } from './salt-function.js';

/** The version `manage.versions` reports for the master. */
export const MASTER_VERSION = '0.1.0';

/** Job runners: `@jobs` (or `@runner`, or a `@runner` glob), or any function grant for one's own jobs. */
const jobsAllowed = (p: Principal, fun: string) => p.grants.special('runner', fun) || p.grants.runsFunctions;
/** Minion runners (`manage.*`, `cache.*`): `@minions` (`@runner` includes it) or a `@runner` glob naming them. */
const minionsAllowed = (p: Principal, fun: string) =>
  p.grants.can(Area.minions) || (!p.grants.can(Area.jobs) && p.grants.special('runner', fun));
/** Harmless runners (documentation, `test.*`): anyone with some grant. */
const anyAllowed = (p: Principal, fun: string) =>
  p.grants.runsFunctions || p.grants.special('runner', fun) || p.grants.perms.length > 0;

function jidOf(kwargs: Record<string, unknown>): string {
  const jid = kwargs['jid'];
  // A JSON number above 2^53 arrives as its digits (body-parsers.ts); a smaller one cannot be a jid.
  const text = typeof jid === 'number' ? String(jid) : jid;
  if (typeof text !== 'string' || !/^\d{20}$/.test(text)) throw new BadRequestError('jid: a jid is 20 digits');
  return text;
}

function lookup({ s, p }: SaltFunContext, kwargs: Record<string, unknown>) {
  const jid = jidOf(kwargs);
  const found = s.store.lookupJob(jid);
  if (!found) throw new NotFoundError(`no job ${jid}`);
  if (!maySeeJob(p, found.job.user)) throw new ForbiddenError(`job ${jid} is not yours and this token lacks @jobs`);
  return found;
}

/** Python's truth of a value, as Salt's `jobs.exit_success` tests a return. */
function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** The minions a runner's `tgt`/`tgt_type` select (every known one for `*`). */
function selected({ s }: SaltFunContext, kwargs: Record<string, unknown>): Set<string> {
  const parsed = jobRequestSchema.safeParse({
    target: kwargs['tgt'] ?? '*',
    targetType: kwargs['tgt_type'] ?? 'glob',
    fun: 'test.ping',
  });
  if (!parsed.success) throw new BadRequestError('tgt, tgt_type: not a valid target');
  const preview = s.manager.preview(parsed.data.target, parsed.data.targetType);
  if (!preview.ok) throw new HttpError(400, preview.error.code, preview.error.message);
  return new Set(preview.minions);
}

function upDown(ctx: SaltFunContext, kwargs: Record<string, unknown>) {
  const ids = selected(ctx, kwargs);
  const minions = ctx.s.registry.list().filter((m) => ids.has(m.id));
  return {
    up: minions.filter((m) => m.connected).map((m) => m.id),
    down: minions.filter((m) => !m.connected).map((m) => m.id),
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Salt's `manage.versions`: minions by how their version compares with the master's. */
function versions({ s }: SaltFunContext): Record<string, unknown> {
  const labels: Record<number, string> = {
    [-2]: 'Minion offline',
    [-1]: 'Minion requires update',
    0: 'Up to date',
    1: 'Minion newer than master',
  };
  const out: Record<string, unknown> = {};
  for (const m of [...s.registry.list()].sort((a, b) => a.id.localeCompare(b.id))) {
    const v = m.grains['brine_version'];
    const diff = !m.connected || typeof v !== 'string' ? -2 : compareVersions(v, MASTER_VERSION);
    ((out[labels[diff]!] ??= {}) as Record<string, unknown>)[m.id] = diff === -2 ? false : v;
  }
  out['Master'] = MASTER_VERSION;
  return out;
}

/** Salt's `doc.execution`: `sys.doc` over every minion, merged into one `{function: doc}`. */
async function execDocs(ctx: SaltFunContext): Promise<Record<string, unknown>> {
  const request = jobRequestSchema.parse({ target: '*', targetType: 'glob', fun: 'sys.doc' });
  let job;
  try {
    job = startJob(ctx.s, ctx.p, request, ctx.req);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return {};
    throw e;
  }
  const results = await lastValueFrom(
    job.events$.pipe(
      filter((e) => e.type === 'result'),
      map((e) => (e as { result: MinionResult }).result),
      toArray(),
    ),
  );
  const out: Record<string, unknown> = {};
  for (const r of results)
    if (r.outcome === 'returned' && r.ret !== null && typeof r.ret === 'object' && !Array.isArray(r.ret))
      Object.assign(out, r.ret);
  return out;
}

function listJobs({ s, p }: SaltFunContext, kwargs: Record<string, unknown>): Record<string, unknown> {
  const all = p.grants.admin || p.grants.can(Area.jobs);
  const globs = (v: unknown) => (v === undefined || v === null ? undefined : [v].flat().map(String));
  const funs = globs(kwargs['search_function']);
  const targets = globs(kwargs['search_target']);
  const out: Record<string, unknown> = {};
  for (const j of s.store.listJobs({ limit: 1000, ...(all ? {} : { user: p.user }) })) {
    if (funs && !funs.some((g) => globMatch(g, j.fun))) continue;
    if (targets && ![j.target].flat().some((t) => targets.some((g) => globMatch(g, t)))) continue;
    out[j.jid] = saltJobEntry(j);
  }
  return out;
}

const JID = ['jid', 'ext_source'] as const;
const TARGET = ['tgt', 'tgt_type', 'timeout', 'gather_job_timeout'] as const;

/** The runner functions the `runner` client serves, by name, with Salt's signatures and shapes. */
export const RUNNERS: Readonly<Record<string, SaltFunction>> = {
  'jobs.list_jobs': {
    params: [
      'ext_source',
      'outputter',
      'search_metadata',
      'search_function',
      'search_target',
      'start_time',
      'end_time',
    ],
    doc: 'List the jobs in the job cache (only your own without @jobs); search_function and search_target filter by glob.',
    allowed: jobsAllowed,
    run: (ctx, { kwargs }) => listJobs(ctx, kwargs),
  },
  'jobs.lookup_jid': {
    params: [...JID, 'returned', 'missing', 'display_progress'],
    doc: 'Return what each minion that returned returned for a jid.',
    allowed: jobsAllowed,
    run: (ctx, { kwargs }) => {
      const found = lookup(ctx, kwargs);
      return saltReturns(found.job.fun, found.minions);
    },
  },
  'jobs.list_job': {
    params: [...JID, 'display_progress'],
    doc: 'Return one job: its function, arguments, target, user, minions and Result.',
    allowed: jobsAllowed,
    run: (ctx, { kwargs }) => saltJobInfo(lookup(ctx, kwargs)),
  },
  'jobs.print_job': {
    params: [...JID],
    doc: 'Return one job keyed by its jid, as jobs.list_job shows it.',
    allowed: jobsAllowed,
    run: (ctx, { kwargs }) => {
      const { jid, ...info } = saltJobInfo(lookup(ctx, kwargs));
      return { [String(jid)]: info };
    },
  },
  'jobs.exit_success': {
    params: [...JID],
    doc: 'Return, for each minion of a job, whether it returned something true.',
    allowed: jobsAllowed,
    run: (ctx, { kwargs }) => {
      const info = saltJobInfo(lookup(ctx, kwargs)) as {
        Minions: string[];
        Result: Record<string, { return: unknown }>;
      };
      return Object.fromEntries(info.Minions.map((id) => [id, pyTruthy(info.Result[id]?.return)]));
    },
  },
  'jobs.active': {
    params: ['display_progress'],
    doc: 'Return the jobs still running.',
    allowed: jobsAllowed,
    run: ({ s, p }) =>
      Object.fromEntries(
        s.manager
          .active()
          .filter((j) => maySeeJob(p, j.user))
          .map((j) => [
            j.jid,
            { Function: j.fun, User: j.user, StartTime: saltStartTime(j.startedAt), Running: j.minions },
          ]),
      ),
  },
  'manage.up': {
    params: [...TARGET],
    doc: 'Return the connected minions the target selects.',
    allowed: minionsAllowed,
    run: (ctx, { kwargs }) => upDown(ctx, kwargs).up,
  },
  'manage.down': {
    params: ['removekeys', ...TARGET],
    doc: 'Return the minions the target selects that are not connected.',
    allowed: minionsAllowed,
    run: (ctx, { kwargs }) => {
      if (kwargs['removekeys'] === true)
        throw new BadRequestError('manage.down: removekeys is not served; use key.delete');
      return upDown(ctx, kwargs).down;
    },
  },
  'manage.status': {
    params: ['output', ...TARGET],
    doc: 'Return {up: [...], down: [...]} for the minions the target selects.',
    allowed: minionsAllowed,
    run: (ctx, { kwargs }) => upDown(ctx, kwargs),
  },
  'manage.versions': {
    params: [],
    doc: "Return the minions by how their version compares with the master's.",
    allowed: minionsAllowed,
    run: versions,
  },
  'cache.grains': {
    params: ['tgt', 'tgt_type'],
    doc: 'Return the cached grains of the minions the target selects.',
    allowed: minionsAllowed,
    run: (ctx, { kwargs }) => {
      const ids = selected(ctx, kwargs);
      return Object.fromEntries(
        ctx.s.registry
          .list()
          .filter((m) => ids.has(m.id))
          .map((m) => [m.id, m.grains]),
      );
    },
  },
  'cache.clear_pillar': {
    params: ['tgt', 'tgt_type'],
    doc: "Drop the master's cached compiled pillar of the minions the target selects (all with '*'); the next request compiles afresh.",
    allowed: minionsAllowed,
    run: (ctx, { kwargs }) => {
      for (const id of selected(ctx, kwargs)) ctx.s.pillar?.clear(id);
      return true;
    },
  },
  'doc.runner': {
    params: [],
    doc: 'Return the documentation of the runner functions.',
    allowed: anyAllowed,
    run: () => Object.fromEntries(Object.entries(RUNNERS).map(([name, f]) => [name, f.doc])),
  },
  'doc.wheel': {
    params: [],
    doc: 'Return the documentation of the wheel functions.',
    allowed: anyAllowed,
    run: () => Object.fromEntries(Object.entries(WHEELS).map(([name, f]) => [name, f.doc])),
  },
  'doc.execution': {
    params: [],
    doc: "Return the documentation of the minions' functions (sys.doc on every minion, merged).",
    allowed: anyAllowed,
    run: execDocs,
  },
  'test.arg': {
    params: [],
    rest: true,
    extra: true,
    doc: 'Return the arguments it was called with: {args: [...], kwargs: {...}}.',
    allowed: anyAllowed,
    run: (_ctx, { kwargs, rest }) => ({ args: rest, kwargs }),
  },
  'test.echo': {
    params: ['text'],
    doc: 'Return the text it was given.',
    allowed: anyAllowed,
    run: (_ctx, { kwargs }) => kwargs['text'] ?? '',
  },
  'event.send': {
    params: ['tag', 'data'],
    doc: "Fire an event on the master's bus, as Salt's salt-run event.send: never under the master's own prefixes or a minion's (needs @runner or a glob naming it).",
    allowed: (p, fun) => p.grants.special('runner', fun),
    run: ({ s }, { kwargs }) => {
      const tag = kwargs['tag'];
      if (typeof tag !== 'string' || !mayFireTag(tag))
        throw new BadRequestError(
          `tag: ${JSON.stringify(tag ?? null)} may not be fired (not under brine/job/, brine/key/, brine/master/, brine/auth/, brine/minion/ or brine/beacon/)`,
        );
      s.bus.publish(tag, kwargs['data'] ?? {});
      return true;
    },
  },
  ...SCHEDULE_RUNNERS,
  ...orchestrateRunners(() => ({ runner: RUNNERS, wheel: WHEELS })),
};
