import { z } from 'zod';
import { MinionError, MinionErrorCode } from '../errors.js';
import { defineFunction, type ModuleFunction } from './types.js';

/** The longest event tag a minion may send (the `event` frame's bound). */
const MAX_TAG = 200;

const send = defineFunction({
  name: 'event.send',
  doc: `Sends an event to the master's bus. The master files it under this minion's id:
\`event.send myapp/deployed\` arrives as \`brine/minion/<id>/myapp/deployed\`, so a minion can
never speak for another (Salt's event.send, whose master tags it with the minion's id in the
data). Tags beginning \`beacon/\` arrive as \`brine/beacon/<id>/...\`. \`data\` is any mapping;
\`with_grains\` adds the minion's grains (true) or the named ones (a list) under \`grains\`.
Returns true once the event is handed to the connection; ERR_MINION_NO_MASTER when there is
no master connection (\`brine-call --local\`, or the master is down: events are not spooled).

CLI Example:

    brine 'web*' event.send health/check with_grains=true
    brine-call event.send myapp/deployed '{"version": "1.2"}'`,
  params: ['tag', 'data'],
  schema: z.object({
    tag: z
      .string()
      .min(1)
      .max(MAX_TAG)
      .refine((t) => !t.split('/').some((s) => s === '' || s === '..'), 'no empty or .. parts'),
    data: z.record(z.string(), z.unknown()).default({}),
    with_grains: z.union([z.boolean(), z.array(z.string())]).default(false),
  }),
  run: async ({ tag, data, with_grains }, ctx) => {
    const grains = ctx.grains.all();
    const picked =
      with_grains === true
        ? grains
        : Array.isArray(with_grains)
          ? Object.fromEntries(with_grains.filter((g) => Object.hasOwn(grains, g)).map((g) => [g, grains[g]]))
          : undefined;
    const body = picked === undefined ? data : { ...data, grains: picked };
    if (!ctx.fireEvent?.(tag, body))
      throw new MinionError(MinionErrorCode.noMaster, 'no master connection to send the event on');
    return { ret: true };
  },
});

/** The `event` module: events from this host to the master's bus. */
export const eventFunctions: readonly ModuleFunction[] = [send];
