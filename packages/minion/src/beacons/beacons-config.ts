import type { Logger } from 'pino';
import { z } from 'zod';
import type { Beacon } from './beacon.js';
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
      if (typeof module !== 'string' || !Object.hasOwn(MODULES, module)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `unknown beacon module '${String(module)}'; expected one of ${Object.keys(MODULES).join(', ')}`,
        });
        continue;
      }
      const parsed = MODULES[module as ModuleName].schema.safeParse(options);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        ctx.addIssue({ code: 'custom', path: [name, ...issue.path.map(String)], message: issue.message });
      }
    }
  });

/** A validated `beacons:` section. */
export type BeaconsConfig = z.infer<typeof beaconsConfigSchema>;

/** Builds the configured beacons (the config is validated by {@link beaconsConfigSchema}). */
export function createBeacons(config: BeaconsConfig, deps: BeaconDeps): Beacon[] {
  return Object.entries(config).map(([name, raw]) => createBeacon(name, raw, deps));
}

/** What a beacon is built with: its logger and, for `service`, how services are probed. */
export interface BeaconDeps {
  log: Logger;
  serviceProbe?: ServiceProbe;
}

/** Builds one beacon from its validated options (`beacon_module` names the module; the name otherwise). */
export function createBeacon(name: string, raw: Record<string, unknown>, deps: BeaconDeps): Beacon {
  const { beacon_module: m = name, ...options } = raw;
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
