import type { RequisiteType } from '../compile/types.js';

/** What a requisite's result says, as the runner reads it. */
export interface RequisiteOutcome {
  type: RequisiteType;
  result: boolean | null;
  changed: boolean;
  /** `false` when that state was decided without running. */
  ran: boolean;
}

/**
 * What to do with a state once its requisites have results (Salt's `_check_requisites`):
 * `met` run it; `change` run it, then `mod_watch` if it changed nothing; `fail` fail it
 * ("One or more requisite failed"); `pre` a prereq predicted no change; `onfail`/`onchanges`
 * skip it because the condition did not hold.
 */
export type RequisiteStatus = 'met' | 'change' | 'fail' | 'pre' | 'onfail' | 'onchanges';

const base = (type: RequisiteType) => type.replace(/_(any|all)$/, '');

/** Decides a state's {@link RequisiteStatus} from its requisites' results, as Salt does. */
export function requisiteStatus(outcomes: readonly RequisiteOutcome[]): RequisiteStatus {
  const byType = new Map<RequisiteType, RequisiteOutcome[]>();
  for (const o of outcomes) byType.set(o.type, [...(byType.get(o.type) ?? []), o]);
  const fun = new Set<string>();
  for (const [type, list] of byType) {
    const stats = new Set<string>();
    const kind = base(type);
    for (const o of list) {
      if (kind === 'onfail') {
        if (o.result === true) {
          stats.add('onfail');
          continue;
        }
      } else if (o.result === false) {
        stats.add('fail');
        continue;
      }
      if (kind === 'onchanges') {
        stats.add(o.changed ? 'onchangesmet' : 'onchanges');
        continue;
      }
      if (kind === 'watch' && o.changed) {
        stats.add('change');
        continue;
      }
      if (kind === 'prereq') stats.add(o.result === null ? 'premet' : 'pre');
      else if (o.ran) stats.add('met');
    }
    // `onfail` alone means "any": one failed requisite is enough, as `onfail_any`.
    if (type.endsWith('_any') || type === 'onfail') {
      if (stats.has('met') || stats.has('change')) stats.delete('fail');
      if (stats.has('onchangesmet')) {
        stats.delete('onchanges');
        stats.delete('fail');
      }
      if (stats.has('onfail') && stats.has('met')) stats.delete('onfail');
    }
    if (type.endsWith('_all') && stats.has('onfail')) stats.delete('met');
    for (const s of stats) fun.add(s);
  }
  if (fun.has('fail')) return 'fail';
  if (fun.has('pre')) return fun.has('premet') ? 'met' : 'pre';
  if (fun.has('onfail') && !fun.has('onchangesmet')) return 'onfail';
  if (fun.has('onchanges') && !fun.has('onchangesmet')) return 'onchanges';
  if (fun.has('change')) return 'change';
  if (fun.has('onfail')) return 'onfail';
  return 'met';
}
