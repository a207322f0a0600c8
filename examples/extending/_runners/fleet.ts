import { defineRunner, runnerFn } from '@brine/extend';
import { z } from 'zod';

/** A runner on the master: orchestration written as code, with a job-starting client in scope. */
export default defineRunner({
  name: 'fleet',
  functions: {
    roles: runnerFn({
      doc: `Counts the minions of a target by their app_role grain.

CLI Example:

    brine-run fleet.roles target='*'`,
      params: ['target'],
      schema: z.object({ target: z.string().default('*') }),
      run: async ({ target }, ctx) => {
        const results = await ctx.client.run({ target, fun: 'grains.get', args: ['app_role'] });
        const counts: Record<string, number> = {};
        for (const r of results) if (r.outcome === 'returned') counts[String(r.ret)] = (counts[String(r.ret)] ?? 0) + 1;
        return counts;
      },
    }),
  },
});
