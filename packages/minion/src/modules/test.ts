import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CancelledError } from '../errors.js';
import { defineFunction, type ModuleFunction } from './types.js';
import { decimal } from './schemas.js';
import { BRINE_VERSION } from './version.js';

const ping = defineFunction({
  name: 'test.ping',
  doc: `Returns true: the minion is up and running jobs.

CLI Example:

    brine '*' test.ping`,
  params: [],
  schema: z.object({}),
  run: async () => ({ ret: true }),
});

const echo = defineFunction({
  name: 'test.echo',
  doc: `Returns the text it is given.

CLI Example:

    brine '*' test.echo 'hello world'`,
  params: ['text'],
  schema: z.object({ text: z.string() }),
  run: async ({ text }) => ({ ret: text }),
});

const sleepFn = defineFunction({
  name: 'test.sleep',
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
});

const version = defineFunction({
  name: 'test.version',
  doc: `Returns the Brine version of the minion.

CLI Example:

    brine '*' test.version`,
  params: [],
  schema: z.object({}),
  run: async () => ({ ret: BRINE_VERSION }),
});

const arg = defineFunction({
  name: 'test.arg',
  doc: `Returns the positional and keyword arguments it was given, to check how arguments arrive.

CLI Example:

    brine '*' test.arg 1 two three=3`,
  params: [],
  rest: 'args',
  schema: z.looseObject({ args: z.array(z.unknown()).default([]) }),
  run: async ({ args, ...kwargs }) => ({ ret: { args, kwargs } }),
});

/** The `test.*` functions: ping, echo, sleep, version, arg. */
export const testFunctions: readonly ModuleFunction[] = [ping, echo, sleepFn, version, arg];
