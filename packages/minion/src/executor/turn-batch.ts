/**
 * Runs the callbacks queued during one turn of the event loop together, on a single
 * `setImmediate`: a swarm's thousands of executors owe acks after the same fan-out, and one
 * immediate for all of them is cheaper than one each. Share one per process (the minion's
 * shared parts); each call of {@link createTurnBatch} makes an independent queue.
 */
export type TurnBatch = (check: () => void) => void;

/** Makes a {@link TurnBatch}: callbacks run once, in the order queued, after the current turn. */
export function createTurnBatch(): TurnBatch {
  let queued: (() => void)[] = [];
  return (check) => {
    if (queued.length === 0)
      setImmediate(() => {
        const due = queued;
        queued = [];
        for (const f of due) f();
      });
    queued.push(check);
  };
}
