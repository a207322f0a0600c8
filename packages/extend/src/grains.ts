import type { Logger } from 'pino';
import type { Grains } from './module.js';

/** What a custom grains function receives: the core grains collected so far, and a logger. */
export interface GrainsContext {
  grains: Grains;
  log: Logger;
}

/**
 * A custom grains provider (a file in `_grains/` default-exports one). `grains()` returns a map
 * that is merged over the core grains; configured and `grains.setval` grains still win.
 */
export interface GrainsDefinition {
  /** A name for reports and errors. */
  name: string;
  /** Returns grains to add; a throw is reported and the provider is skipped. */
  grains(ctx: GrainsContext): Grains | Promise<Grains>;
}

/** Defines a custom grains provider. */
export function defineGrains(def: GrainsDefinition): GrainsDefinition {
  return def;
}
