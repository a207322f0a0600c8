import { defineModule, fn } from '@brine/extend';
import { z } from 'zod';

/**
 * A custom execution module: `myapp.greet`, `myapp.release` and `myapp.uptime`. Each function
 * has a zod schema for its arguments and a doc string, exactly like the built-in modules, so
 * `sys.doc myapp` shows them and a bad argument is refused by name.
 */
export default defineModule({
  name: 'myapp',
  functions: {
    greet: fn({
      doc: `Returns a greeting for \`who\`, from this minion.

CLI Example:

    brine '*' myapp.greet world`,
      params: ['who'],
      schema: z.object({ who: z.string().min(1), shout: z.boolean().default(false) }),
      run: async ({ who, shout }, ctx) => {
        const text = `hello ${who} from ${String(ctx.grains.all()['id'])}`;
        return { ret: shout ? text.toUpperCase() : text };
      },
    }),
    release: fn({
      doc: `Returns the release this host runs, from the app_release grain (or "unknown").

CLI Example:

    brine '*' myapp.release`,
      params: [],
      schema: z.object({}),
      run: async (_input, ctx) => ({ ret: ctx.grains.all()['app_release'] ?? 'unknown' }),
    }),
    uptime: fn({
      doc: `Runs \`cat /proc/uptime\` through cmd.run (Salt's __salt__), under the job's deadline.

CLI Example:

    brine '*' myapp.uptime`,
      params: [],
      schema: z.object({}),
      run: async (_input, ctx) => {
        const out = await ctx.call!('cmd.run', ['cat /proc/uptime']);
        return { ret: Number(String(out.ret).split(' ')[0]) };
      },
    }),
  },
});
