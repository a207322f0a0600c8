import { requestOf } from '../../schedule/master-schedule.js';
import { scheduleEntrySchema } from '../../config-automation.js';
import { ReactorError } from '../../reactor/errors.js';
import { BadRequestError, HttpError, NotFoundError } from '../shared/errors.js';
import { checkJob, checkPillarOverride } from '../auth/job-access.js';
import type { Principal } from '../auth/auth.js';
import type { SaltFunContext, SaltFunction, ScheduleControl } from './salt-function.js';
import { ApiErrorCode } from '@brine/protocol';

/** `schedule.*` needs admin or a runner grant naming it (`{'@runner': ['schedule.*']}`, `@runner`, `@jobs`). */
const allowed = (p: Principal, fun: string) => p.grants.admin || p.grants.special('runner', fun);

function control(ctx: SaltFunContext): ScheduleControl {
  if (!ctx.s.schedule) throw new HttpError(503, ApiErrorCode.scheduleOff, 'this master runs no scheduler');
  return ctx.s.schedule;
}

function nameOf(kwargs: Record<string, unknown>): string {
  const name = kwargs['name'];
  if (typeof name !== 'string' || name === '') throw new BadRequestError('name: the schedule name');
  return name;
}

/** Runs a scheduler call, turning its errors into API answers. */
function guarded<T>(ctx: SaltFunContext, fun: string, name: string, body: () => T): T {
  ctx.req.audit.detail = `${fun} ${name}`;
  try {
    return body();
  } catch (err) {
    if (err instanceof ReactorError)
      throw err.message.startsWith('no schedule')
        ? new NotFoundError(err.message)
        : new BadRequestError(err.message, err.code);
    throw err;
  }
}

/**
 * The master scheduler's runner functions, Salt's `schedule.*` names. A schedule runs its jobs
 * as `schedule_user`, so `schedule.add` and `schedule.run_job` also check that the caller may run
 * that job now under their own ACL: a runner grant cannot be used to reach what the caller
 * could not run themselves.
 */
export const SCHEDULE_RUNNERS: Readonly<Record<string, SaltFunction>> = {
  'schedule.list': {
    params: [],
    doc: 'Return every master schedule with its source (config or runtime) and last fire.',
    allowed,
    run: (ctx) => control(ctx).list(),
  },
  'schedule.add': {
    params: ['name'],
    extra: true,
    doc: 'Add a schedule: name=NAME function=FUN target=TGT cron=EXPR | seconds/minutes/hours/days=N, args, kwargs, splay, ...',
    allowed,
    run: (ctx, { kwargs }) => {
      const { name: _name, ...entry } = kwargs;
      const name = nameOf(kwargs);
      const parsed = scheduleEntrySchema.safeParse(entry);
      if (parsed.success && !ctx.p.grants.admin) {
        checkJob(ctx.s, ctx.p, requestOf(parsed.data));
        // pillar= in the schedule's kwargs: the caller needs @pillar_override too, as for a job.
        checkPillarOverride(ctx.p, requestOf(parsed.data), ctx.req);
      }
      guarded(ctx, 'schedule.add', name, () => control(ctx).add(name, entry));
      return { result: true, comment: `Added job: ${name} to schedule.` };
    },
  },
  'schedule.delete': {
    params: ['name'],
    doc: 'Delete a schedule added at run time.',
    allowed,
    run: (ctx, { kwargs }) => {
      const name = nameOf(kwargs);
      guarded(ctx, 'schedule.delete', name, () => control(ctx).delete(name));
      return { result: true, comment: `Deleted job: ${name} from schedule.` };
    },
  },
  'schedule.enable_job': {
    params: ['name'],
    doc: 'Enable a schedule.',
    allowed,
    run: (ctx, { kwargs }) => setEnabled(ctx, nameOf(kwargs), true),
  },
  'schedule.disable_job': {
    params: ['name'],
    doc: 'Disable a schedule.',
    allowed,
    run: (ctx, { kwargs }) => setEnabled(ctx, nameOf(kwargs), false),
  },
  'schedule.run_job': {
    params: ['name'],
    doc: "Run a schedule's job now, outside its timing.",
    allowed,
    run: (ctx, { kwargs }) => {
      const name = nameOf(kwargs);
      const entry = control(ctx).list()[name];
      if (entry && !ctx.p.grants.admin) {
        checkJob(ctx.s, ctx.p, requestOf(entry));
        checkPillarOverride(ctx.p, requestOf(entry), ctx.req);
      }
      const started = guarded(ctx, 'schedule.run_job', name, () => control(ctx).runJob(name));
      if (!started.ok) throw new HttpError(400, started.code, started.message);
      ctx.req.audit.jid = started.job.jid;
      return { result: true, jid: started.job.jid, minions: started.job.minions };
    },
  },
};

function setEnabled(ctx: SaltFunContext, name: string, enabled: boolean) {
  guarded(ctx, enabled ? 'schedule.enable_job' : 'schedule.disable_job', name, () =>
    control(ctx).setEnabled(name, enabled),
  );
  return { result: true, comment: `${enabled ? 'Enabled' : 'Disabled'} Job ${name} in schedule.` };
}
