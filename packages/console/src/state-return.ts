/**
 * Salt's state return shape, `{'mod_|-id_|-name_|-fun': {result, comment, changes, ...}}`: the
 * job page renders a return as highstate results when it looks like one.
 */

/** One state's result, parsed from its key and value. */
export interface StateResult {
  key: string;
  module: string;
  id: string;
  name: string;
  fun: string;
  /** `true`, `false`, or `null` (test mode: would change). */
  result: boolean | null;
  comment: string;
  changes: Record<string, unknown>;
  durationMs?: number;
  runNum: number;
}

/** The state results of a return in run order, or undefined when it is not a state return. */
export function parseStateReturn(ret: unknown): StateResult[] | undefined {
  if (!ret || typeof ret !== 'object' || Array.isArray(ret)) return undefined;
  const entries = Object.entries(ret as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  const out: StateResult[] = [];
  for (const [key, v] of entries) {
    const parts = key.split('_|-');
    if (parts.length !== 4 || !v || typeof v !== 'object' || !('result' in v)) return undefined;
    const r = v as Record<string, unknown>;
    const comment = Array.isArray(r['comment']) ? r['comment'].join('\n') : String(r['comment'] ?? '');
    out.push({
      key,
      module: parts[0]!,
      id: parts[1]!,
      name: parts[2]!,
      fun: parts[3]!,
      result: r['result'] === null ? null : r['result'] === true,
      comment,
      changes: r['changes'] && typeof r['changes'] === 'object' ? (r['changes'] as Record<string, unknown>) : {},
      ...(typeof r['duration'] === 'number' ? { durationMs: r['duration'] } : {}),
      runNum: typeof r['__run_num__'] === 'number' ? r['__run_num__'] : out.length,
    });
  }
  return out.sort((a, b) => a.runNum - b.runNum);
}
