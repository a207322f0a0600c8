import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CancelledError } from '../errors.js';
import { defineModule, fn, moduleFunctions, type ModuleFunction } from './types.js';
import { decimal } from './schemas.js';
import { BRINE_VERSION } from './version.js';

/**
 * The `test` module (ping, echo, sleep, version, arg), written with the authoring API that custom modules use
 * (`@brine/extend`): a custom `_modules/test.ts` may add to it or replace it.
 */
export const testModule = defineModule({
  name: 'test',
  functions: {
    ping: fn({
      doc: `Returns true: the minion is up and running jobs.

CLI Example:

    brine '*' test.ping`,
      params: [],
      schema: z.object({}),
      run: async () => ({ ret: true }),
    }),
    echo: fn({
      doc: `Returns the text it is given.

CLI Example:

    brine '*' test.echo 'hello world'`,
      params: ['text'],
      schema: z.object({ text: z.string() }),
      run: async ({ text }) => ({ ret: text }),
    }),
    sleep: fn({
      doc: `Waits \`length\` seconds, then returns true. Stops early with ERR_MINION_CANCELLED when the
job is cancelled or times out.

CLI Example:

    brine '*' test.sleep 20`,
      params: ['length'],
      schema: z.object({ length: decimal }),
      run: async ({ length }, ctx) => {
        try {
          await sleep(length * 1000, undefined, { signal: ctx.signal });
        } catch (err) {
          if (ctx.signal.aborted) throw new CancelledError();
          throw err;
        }
        return { ret: true };
      },
    }),
    version: fn({
      doc: `Returns the Brine version of the minion.

CLI Example:

    brine '*' test.version`,
      params: [],
      schema: z.object({}),
      run: async () => ({ ret: BRINE_VERSION }),
    }),
    arg: fn({
      doc: `Returns the positional and keyword arguments it was given, to check how arguments arrive.

CLI Example:

    brine '*' test.arg 1 two three=3`,
      params: [],
      rest: 'args',
      schema: z.looseObject({ args: z.array(z.unknown()).default([]) }),
      run: async ({ args, ...kwargs }) => ({ ret: { args, kwargs } }),
    }),
  },
});

/** The `test.*` functions as registry entries. */
export const testFunctions: readonly ModuleFunction[] = moduleFunctions(testModule);
