/** Grains facets of the fleet: for each grain, how many minions have each value. */

/** The grains the fleet page facets on and shows. */
export const FACET_GRAINS = ['os', 'osrelease', 'role', 'roles', 'virtual', 'kernel'] as const;

/** The values a grain takes on one minion (a list grain such as `roles` has several). */
export function grainValues(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

/** Counts each grain's values over the minions, most common first. */
export function facetCounts(
  minions: readonly { grains?: Record<string, unknown> }[],
  grains: readonly string[],
): Map<string, [string, number][]> {
  const out = new Map<string, [string, number][]>();
  for (const g of grains) {
    const counts = new Map<string, number>();
    for (const m of minions) for (const v of grainValues(m.grains?.[g])) counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size)
      out.set(
        g,
        [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      );
  }
  return out;
}
