import { z } from 'zod';
import { defineFunction, type ModuleFunction } from './types.js';

const running = defineFunction({
  name: 'saltutil.running',
  doc: `Lists the jobs running on this minion: [{jid, fun, startedAt, pid?}].

CLI Example:

    brine '*' saltutil.running`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({ ret: ctx.jobs.running() }),
});

const killJob = defineFunction({
  name: 'saltutil.kill_job',
  doc: `Cancels a running job on this minion, killing its processes. Returns false when no such job
runs here (still a successful answer: most minions of a fleet will not run it).

CLI Example:

    brine '*' saltutil.kill_job 20250101120000123456`,
  params: ['jid'],
  schema: z.object({ jid: z.string().regex(/^\d{20}$/, 'must be a 20-digit jid') }),
  run: async ({ jid }, ctx) => ({ ret: ctx.jobs.kill(jid) }),
});

const refreshGrains = defineFunction({
  name: 'saltutil.refresh_grains',
  doc: `Re-reads this host's grains and sends them to the master. Returns true.

CLI Example:

    brine '*' saltutil.refresh_grains`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => {
    await ctx.grains.refresh();
    return { ret: true };
  },
});

const refreshPillar = defineFunction({
  name: 'saltutil.refresh_pillar',
  doc: `Asks the master to compile this minion's pillar again and keeps the result for pillar.raw,
pillar.get and state runs. Returns true; fails with the master's error when the pillar does not compile.

CLI Example:

    brine '*' saltutil.refresh_pillar`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => {
    await ctx.pillar.refresh();
    return { ret: true };
  },
});

/** The `saltutil.*` functions: running, kill_job, refresh_grains, refresh_pillar. */
export const saltutilFunctions: readonly ModuleFunction[] = [running, killJob, refreshGrains, refreshPillar];
