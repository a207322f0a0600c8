/**
 * A state run's `state` progress chunk as bus data, `{key, result}` (issue #17: each state's
 * result on the bus as `brine/job/<jid>/prog/<id>` while the run goes on, as Salt's
 * `state_events`); undefined for a chunk that is not such JSON.
 */
export function stateProgress(data: string): { key: string; result: unknown } | undefined {
  try {
    const parsed = JSON.parse(data) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { key, result } = parsed as { key?: unknown; result?: unknown };
    return typeof key === 'string' && typeof result === 'object' && result !== null ? { key, result } : undefined;
  } catch {
    return undefined;
  }
}
