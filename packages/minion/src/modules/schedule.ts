import { z } from 'zod';
import { MinionError, MinionErrorCode } from '../errors.js';
import { defineFunction, type ModuleContext, type ModuleFunction, type ScheduleControl } from './types.js';

const name = z.string().min(1).max(64);

function control(ctx: ModuleContext): ScheduleControl {
  if (!ctx.schedule) throw new MinionError(MinionErrorCode.noSchedule, 'no minion schedule here (brine-call --local)');
  return ctx.schedule;
}

const list = defineFunction({
  name: 'schedule.list',
  doc: `Lists this minion's own schedules (from its config, its pillar, and added with schedule.add): function,
arguments, interval in seconds, splay, max_running, enabled, active (it fires now: enabled, and the
whole schedule not disabled), and source.

CLI Example:

    brine '*' schedule.list`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({ ret: control(ctx).list() }),
});

const add = defineFunction({
  name: 'schedule.add',
  doc: `Adds a schedule to this minion, kept across restarts. It runs while the master is away;
its returns wait in the outbox and reach the job cache when the master is back. Keywords:
function, args (job_args), kwargs (job_kwargs), seconds, minutes, hours, days (or cron, a cron
expression, in timezone, an IANA name, UTC by default), splay, max_running, enabled, timeout_s.

CLI Example:

    brine 'web*' schedule.add disk function=cmd.run "args=['df -h']" minutes=10
    brine 'web*' schedule.add nightly function=state.apply 'cron=30 2 * * *'`,
  params: ['name'],
  // Any keyword: the entry is validated by the schedule itself, which names what is wrong.
  schema: z.object({ name }).catchall(z.unknown()),
  run: async ({ name: n, ...entry }, ctx) => {
    const { job_args, job_kwargs, ...rest } = entry as Record<string, unknown>;
    control(ctx).add(n, {
      ...rest,
      ...(job_args !== undefined ? { args: job_args } : {}),
      ...(job_kwargs !== undefined ? { kwargs: job_kwargs } : {}),
    });
    return { ret: { result: true, comment: `Added job: ${n} to schedule.` } };
  },
});

const del = defineFunction({
  name: 'schedule.delete',
  doc: `Deletes a schedule added with schedule.add (one from the minion config or pillar is disabled instead).

CLI Example:

    brine 'web*' schedule.delete disk`,
  params: ['name'],
  schema: z.object({ name }),
  run: async ({ name: n }, ctx) => {
    control(ctx).delete(n);
    return { ret: { result: true, comment: `Deleted job: ${n} from schedule.` } };
  },
});

function toggle(enabled: boolean): ModuleFunction {
  const verb = enabled ? 'enable' : 'disable';
  return defineFunction({
    name: `schedule.${verb}_job`,
    doc: `${enabled ? 'Enables' : 'Disables'} one of this minion's schedules (kept across restarts).

CLI Example:

    brine 'web*' schedule.${verb}_job disk`,
    params: ['name'],
    schema: z.object({ name }),
    run: async ({ name: n }, ctx) => {
      control(ctx).setEnabled(n, enabled);
      return { ret: { result: true, comment: `${enabled ? 'Enabled' : 'Disabled'} Job ${n} in schedule.` } };
    },
  });
}

function toggleAll(enabled: boolean): ModuleFunction {
  const verb = enabled ? 'enable' : 'disable';
  return defineFunction({
    name: `schedule.${verb}`,
    doc: `${enabled ? 'Enables' : 'Disables'} this minion's whole schedule: ${enabled ? 'each enabled schedule fires again' : 'no schedule fires'} (kept across restarts; each schedule keeps its own enabled flag).

CLI Example:

    brine 'web*' schedule.${verb}`,
    params: [],
    schema: z.object({}),
    run: async (_input, ctx) => {
      control(ctx).setAllEnabled(enabled);
      return { ret: { result: true, comment: `${enabled ? 'Enabled' : 'Disabled'} schedule on minion.` } };
    },
  });
}

const runJob = defineFunction({
  name: 'schedule.run_job',
  doc: `Runs one of this minion's schedules now, outside its timing, as Salt's schedule.run_job: its return
goes through the outbox like a timed run's. A disabled schedule runs only with force=True.

CLI Example:

    brine 'web*' schedule.run_job disk
    brine 'web*' schedule.run_job disk force=True`,
  params: ['name', 'force'],
  schema: z.object({ name, force: z.boolean().default(false) }),
  run: async ({ name: n, force }, ctx) => {
    control(ctx).runJob(n, force);
    return { ret: { result: true, comment: `Scheduling Job ${n} on minion.` } };
  },
});

/** The `schedule` module: the minion's own schedule (Salt's schedule.* execution functions). */
export const scheduleFunctions: readonly ModuleFunction[] = [
  list,
  add,
  del,
  toggle(true),
  toggle(false),
  toggleAll(true),
  toggleAll(false),
  runJob,
];
