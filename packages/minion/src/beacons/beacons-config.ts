import type { Logger } from 'pino';
import { z } from 'zod';
import type { Beacon } from './beacon.js';
import { MinionError, MinionErrorCode } from '../errors.js';
import { diskusageBeacon, loadBeacon, memusageBeacon, statusBeacon } from './host-beacons.js';
import { inotifyBeacon } from './inotify-beacon.js';
import { serviceBeacon, type ServiceProbe } from './service-beacon.js';

const interval = { interval_s: z.number().positive().max(86_400).optional() };
const percent = z.number().min(0).max(100);

/** Each beacon module's options; `interval_s` defaults to the module's own. */
const MODULES = {
  inotify: {
    defaultS: 1,
    schema: z
      .object({ ...interval, paths: z.array(z.string().min(1)).min(1), content_only: z.boolean().default(false) })
      .strict(),
  },
  service: {
    defaultS: 10,
    schema: z
      .object({ ...interval, services: z.array(z.string().min(1)).min(1), emit_at_startup: z.boolean().default(false) })
      .strict(),
  },
  diskusage: { defaultS: 60, schema: z.object({ ...interval, mounts: z.record(z.string(), percent) }).strict() },
  load: {
    defaultS: 60,
    schema: z
      .object({
        ...interval,
        '1m': z.number().nonnegative(),
        '5m': z.number().nonnegative(),
        '15m': z.number().nonnegative(),
      })
      .partial({ '1m': true, '5m': true, '15m': true })
      .strict(),
  },
  memusage: { defaultS: 60, schema: z.object({ ...interval, percent }).strict() },
  status: { defaultS: 60, schema: z.object({ ...interval }).strict() },
} as const;

type ModuleName = keyof typeof MODULES;

/** A custom beacon's name, as the extension loader accepts one. */
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The minion's `beacons:` section: beacon name to options. The module is the name, or
 * `beacon_module` (Salt's key) so that one module can run twice under two names.
 */
export const beaconsConfigSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a beacon name'), z.record(z.string(), z.unknown()))
  .default({})
  .superRefine((beacons, ctx) => {
    for (const [name, raw] of Object.entries(beacons)) {
      const { beacon_module: module = name, ...options } = raw;
      if (typeof module !== 'string' || !MODULE_NAME.test(module)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `unknown beacon module '${String(module)}'; expected one of ${Object.keys(MODULES).join(', ')} or a custom beacon's name`,
        });
        continue;
      }
      // Any other name may be a custom beacon synced from the master (`_beacons/`, issue #21):
      // its options are checked by its own schema when it is loaded (createBeacons' `custom`).
      if (!Object.hasOwn(MODULES, module)) continue;
      const parsed = MODULES[module as ModuleName].schema.safeParse(options);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        ctx.addIssue({ code: 'custom', path: [name, ...issue.path.map(String)], message: issue.message });
      }
    }
  });

/** A validated `beacons:` section. */
export type BeaconsConfig = z.infer<typeof beaconsConfigSchema>;

/** Builds the configured beacons (the config is validated by {@link beaconsConfigSchema}); one that cannot be built is logged and left out. */
export function createBeacons(config: BeaconsConfig, deps: BeaconDeps): Beacon[] {
  return Object.entries(config).flatMap(([name, raw]) => {
    try {
      return [createBeacon(name, raw, deps)];
    } catch (err) {
      // `custom` has logged why it gave no beacon.
      const unknown = err instanceof MinionError && err.code === MinionErrorCode.beaconUnknown;
      if (!(unknown && deps.custom)) deps.log.warn({ beacon: name, err: (err as Error).message }, 'beacon not started');
      return [];
    }
  });
}

/** What a beacon is built with: its logger, how services are probed, and the synced custom beacons. */
export interface BeaconDeps {
  log: Logger;
  serviceProbe?: ServiceProbe;
  /** Builds a beacon whose module is not built in from the synced custom beacons; undefined when none is loaded. */
  custom?: (name: string, module: string, options: Record<string, unknown>) => Beacon | undefined;
}

/** The option that carries a custom beacon's sync generation (see {@link markCustomBeacons}); never given to the beacon. */
const SYNCED = '__synced';

/**
 * Marks each entry whose module is not built in with `generation` (the count of syncs that
 * changed the custom beacons), so that a set that restarts a beacon when its options change
 * restarts the custom ones after such a sync, and only them. {@link createBeacon} drops the mark.
 */
export function markCustomBeacons(
  configs: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  generation: number,
): Record<string, Readonly<Record<string, unknown>>> {
  return Object.fromEntries(
    Object.entries(configs).map(([name, o]) => [
      name,
      isBuiltinBeacon(String(o['beacon_module'] ?? name)) ? o : { ...o, [SYNCED]: generation },
    ]),
  );
}

/** Whether `module` is one of the built-in beacon modules (else a custom one, synced from the master). */
export function isBuiltinBeacon(module: string): boolean {
  return Object.hasOwn(MODULES, module);
}

/**
 * Builds one beacon from its validated options (`beacon_module` names the module; the name
 * otherwise). A module that is not built in is asked of `custom`; none loaded is an error.
 */
export function createBeacon(name: string, raw: Record<string, unknown>, deps: BeaconDeps): Beacon {
  const { beacon_module: m = name, [SYNCED]: _generation, ...options } = raw;
  if (!isBuiltinBeacon(String(m))) {
    const custom = deps.custom?.(name, String(m), options);
    if (!custom)
      throw new MinionError(
        MinionErrorCode.beaconUnknown,
        `beacon module ${String(m)} is not built in, and no synced custom beacon has that name`,
      );
    return custom;
  }
  const module = m as ModuleName;
  const spec = MODULES[module];
  const o = spec.schema.parse(options) as Record<string, unknown> & { interval_s?: number };
  const ms = (o.interval_s ?? spec.defaultS) * 1000;
  switch (module) {
    case 'inotify':
      return inotifyBeacon(name, ms, {
        paths: o['paths'] as string[],
        contentOnly: o['content_only'] as boolean,
        log: deps.log.child({ beacon: name }),
      });
    case 'service':
      return serviceBeacon(name, ms, {
        services: o['services'] as string[],
        emitAtStartup: o['emit_at_startup'] as boolean,
        ...(deps.serviceProbe ? { probe: deps.serviceProbe } : {}),
      });
    case 'diskusage':
      return diskusageBeacon(name, ms, o['mounts'] as Record<string, number>);
    case 'load': {
      const { interval_s: _i, ...thresholds } = o;
      return loadBeacon(name, ms, thresholds as Record<string, number>);
    }
    case 'memusage':
      return memusageBeacon(name, ms, o['percent'] as number);
    case 'status':
      return statusBeacon(name, ms);
  }
}
