import type { MinionRegistry } from './registry.js';

/** A minion as the minion cache kept it: its last grains and when it was last seen. */
export interface RememberedMinion {
  id: string;
  grains: Record<string, unknown>;
  lastSeen: number;
}

/**
 * Fills the registry at start with the minions the master knows: each cached minion whose key
 * is still accepted, with its cached grains, then every other accepted key with no grains and
 * never seen, so a target can name (and report offline) a minion that has not connected yet.
 */
export function rememberKnownMinions(
  registry: Pick<MinionRegistry, 'remember' | 'get'>,
  cached: Iterable<RememberedMinion>,
  accepted: ReadonlySet<string>,
): void {
  for (const m of cached) if (accepted.has(m.id)) registry.remember(m.id, m.grains, m.lastSeen);
  for (const id of accepted) if (!registry.get(id)) registry.remember(id, {}, 0);
}
