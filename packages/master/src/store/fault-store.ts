import { defer, tap } from 'rxjs';
import type { JobStore } from '../core/job-store.js';
import { FaultPoint, type Faults } from '../faults.js';

/**
 * The job store with the fault-injection suite's two write points around `writeResults` (and
 * `writeResults$` where the store has it): `write` with a batch in hand before it commits,
 * `after_write` once it committed and before any minion is acked. Every other method is the
 * store's own. With inert faults it changes nothing.
 */
export function withWriteFaults(store: JobStore, faults: Faults): JobStore {
  const { writeResults$ } = store;
  return {
    ...store,
    writeResults: (rows) => {
      faults.hit(FaultPoint.write);
      const stored = store.writeResults(rows);
      faults.hit(FaultPoint.afterWrite);
      return stored;
    },
    ...(writeResults$
      ? {
          writeResults$: (rows) =>
            defer(() => {
              faults.hit(FaultPoint.write);
              return writeResults$(rows).pipe(tap(() => faults.hit(FaultPoint.afterWrite)));
            }),
        }
      : {}),
  };
}
