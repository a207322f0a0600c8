import { compileTarget, type CompiledTarget, type JobSpec } from '@brine/protocol';

/** A job's target, compiled once per spec object. */
export type TargetCache = (spec: JobSpec) => CompiledTarget;

/**
 * Makes a {@link TargetCache}. The swarm's memoizing verifier hands every virtual minion the same
 * spec object, so with one cache per process ten thousand minions share one compiled predicate.
 * Specs are held weakly.
 */
export function createTargetCache(): TargetCache {
  const targets = new WeakMap<JobSpec, CompiledTarget>();
  return (spec) => {
    let t = targets.get(spec);
    if (!t) targets.set(spec, (t = compileTarget(spec.tgt, spec.tgtType)));
    return t;
  };
}
