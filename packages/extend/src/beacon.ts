import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Grains } from './module.js';

/** One event a beacon fires: the minion sends it as `brine/minion/<id>/beacon/<beacon>/<tag>`. */
export interface BeaconEvent {
  /** A short suffix for the tag; empty for the beacon's own tag. */
  tag?: string;
  data: Record<string, unknown>;
}

/** What a beacon's `check` receives on each interval. */
export interface BeaconContext<C = unknown> {
  /** The beacon's configuration (from the minion's `beacons:` config), validated by `config`. */
  config: C;
  grains: Grains;
  log: Logger;
  /** Aborted when the beacon is stopped or its check overruns its interval. */
  signal: AbortSignal;
}

/**
 * A beacon (a file in `_beacons/` default-exports one): `check` runs every `intervalMs` and
 * returns the events to fire (often none). Beacons are run by the minion's beacon runner.
 */
export interface BeaconDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  doc: string;
  /** The schema of the beacon's configuration. */
  config: S;
  /** @default 10000 */
  intervalMs?: number;
  check(ctx: BeaconContext<z.output<S>>): BeaconEvent[] | Promise<BeaconEvent[]>;
}

/** Defines a beacon with its config type inferred from its schema. */
export function defineBeacon<S extends z.ZodType>(def: BeaconDefinition<S>): BeaconDefinition<S> {
  return def;
}
