import type { Logger } from 'pino';
import type { BeaconDefinition } from '@brine/extend';
import type { Beacon, BeaconEvent } from '../beacons/beacon.js';
import type { Grains } from '../modules/types.js';

/** What a custom beacon needs besides its definition and options. */
export interface CustomBeaconDeps {
  grains(): Grains;
  log: Logger;
}

/** The default interval of a custom beacon that sets none (`defineBeacon`'s `intervalMs`). */
const DEFAULT_INTERVAL_MS = 10_000;

// A tag part as the master accepts it (transport/dispatch.ts): no empty or `..` parts.
const TAG = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_.@:-]+(\/[A-Za-z0-9_.@:-]+)*$/;

/**
 * Makes a synced custom beacon (`_beacons/`) into a beacon the runner polls (issue #21): its
 * options from the minion's `beacons:` section (less `beacon_module` and `interval_s`) are
 * validated by the beacon's `config` schema (for a synced beacon, a stand-in that passes them
 * to its worker, which validates them at each poll: stand-ins.ts); a poll runs `check({config, grains, log, signal})`,
 * whose signal aborts when the check overruns its interval (the poll then fails and the next
 * one runs at its time). An event whose tag the master would refuse is dropped and logged.
 * Returns the problem instead when the options do not fit the schema.
 */
export function customBeacon(
  name: string,
  def: BeaconDefinition,
  options: { interval_s?: number } & Record<string, unknown>,
  deps: CustomBeaconDeps,
): Beacon | { problem: string } {
  const { interval_s: intervalS, ...rest } = options;
  const parsed = def.config.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `beacons.${name}: ${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}` };
  }
  const intervalMs = typeof intervalS === 'number' ? intervalS * 1000 : (def.intervalMs ?? DEFAULT_INTERVAL_MS);
  const log = deps.log.child({ beacon: name });
  return {
    name,
    intervalMs,
    poll: async () => {
      const signal = AbortSignal.timeout(intervalMs);
      const overrun = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error(`check overran its interval of ${intervalMs} ms`)), {
          once: true,
        }),
      );
      // Handled here too: a check that answers in time leaves this promise to reject unobserved.
      overrun.catch(() => undefined);
      const got = await Promise.race([
        Promise.resolve(def.check({ config: parsed.data, grains: deps.grains(), log, signal })),
        overrun,
      ]);
      const events: BeaconEvent[] = [];
      for (const e of Array.isArray(got) ? got : []) {
        const tag = e?.tag ?? '';
        if (tag !== '' && !TAG.test(tag)) log.warn({ tag }, 'custom beacon event dropped: a tag the master refuses');
        else if (typeof e?.data === 'object' && e.data !== null) events.push({ tag, data: e.data });
      }
      return events;
    },
  };
}

/**
 * The hook that `createBeacons` calls for a `beacons:` entry whose module is not built in: the
 * loaded custom beacon of that name, or undefined (logged) when none is loaded or its options do
 * not fit its schema.
 */
export function customBeacons(
  loaded: () => readonly BeaconDefinition[],
  deps: CustomBeaconDeps,
): (name: string, module: string, options: Record<string, unknown>) => Beacon | undefined {
  return (name, module, options) => {
    const def = loaded().find((b) => b.name === module);
    if (!def) {
      deps.log.warn({ beacon: name, module }, 'beacon module is neither built in nor a synced custom beacon');
      return undefined;
    }
    const made = customBeacon(name, def, options, deps);
    if ('problem' in made) {
      deps.log.warn({ beacon: name, module, err: made.problem }, 'custom beacon not started: its config does not fit');
      return undefined;
    }
    return made;
  };
}
