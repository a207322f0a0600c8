/**
 * Fault points for the fault-injection suite: with `BRINE_FAULT=<point>:<n>` in its environment
 * the master kills itself with SIGKILL the n-th time it reaches `<point>`, so a test can crash it
 * at an exact moment of a job's life. Read only by the composition root; inert when unset.
 */
export const FaultPoint = {
  /** While sending a job to its minions (after the job is recorded, mid fan-out). */
  publish: 'publish',
  /** When a return frame arrives, before it is queued for the job cache. */
  ingest: 'ingest',
  /** With a batch of returns in hand, before the job-cache transaction commits. */
  write: 'write',
  /** After the job cache committed a batch, before any minion is acked. */
  afterWrite: 'after_write',
} as const;
export type FaultPointValue = (typeof FaultPoint)[keyof typeof FaultPoint];

/** A fault trigger: `hit(point)` counts and kills the process at the configured occurrence. */
export interface Faults {
  hit(point: FaultPointValue): void;
}

/** Parses `BRINE_FAULT` (`point:n`); returns an inert trigger when unset or malformed. */
export function faultsFromEnv(value: string | undefined, kill: () => void): Faults {
  const m = value ? /^(publish|ingest|write|after_write):(\d+)$/.exec(value) : null;
  if (!m) return { hit: () => {} };
  const point = m[1] as FaultPointValue;
  let left = Number(m[2]);
  return {
    hit: (p) => {
      if (p !== point) return;
      if (--left <= 0) kill();
    },
  };
}
