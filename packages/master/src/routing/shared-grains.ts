import { decodeValue, encodeValue } from '@brine/protocol';
import { asyncScheduler, bufferTime, filter, map, merge, type SchedulerLike, type Subscription } from 'rxjs';
import type { MinionRegistry } from '../core/registry.js';
import type { PgBridge } from '../store/pg-bridge.js';

const SQL = {
  write: `INSERT INTO minion_grains (minion_id, grains) SELECT * FROM unnest($1::text[], $2::bytea[])
    ON CONFLICT (minion_id) DO UPDATE SET grains = excluded.grains, seq = nextval('minion_grains_seq')`,
  // Only minions whose key is accepted: a deleted or rejected one is not brought back.
  read: `SELECT g.minion_id, g.grains, g.seq FROM minion_grains g
    JOIN minion_keys k ON k.id = g.minion_id AND k.state = 'accepted'
    WHERE g.seq > $1 ORDER BY g.seq LIMIT 20000`,
} as const;

/** Grains shared between masters, and how to catch up on the others'. */
export interface SharedGrains {
  /** Remembers, in the local registry, the grains other masters wrote since the last read. */
  refresh(): void;
  /**
   * Reads again from where the previous catch-up had got to: a sequence value is taken before
   * its row commits, so a row may commit after a later one was read. Call it now and then.
   */
  catchUp(): void;
  /** Stops writing this master's minions' grains. */
  stop(): void;
}

/**
 * Shares minions' grains between masters through `minion_grains`: the grains of each minion
 * that connects here, or changes them while connected (`grains.setval`, a refresh: its
 * `grains.update` frame), are written in batches (every `batchMs`, one statement), and `refresh`
 * reads the rows written since, remembering each minion this master does not hold in its
 * registry (known, not connected), so a grain target on any master matches it. `learned` hears
 * the ids whose grains a read brought (for the pillar those grains select).
 */
export function shareGrains(
  db: PgBridge,
  registry: Pick<MinionRegistry, 'changes$' | 'grainsUpdates$' | 'get' | 'isConnected' | 'remember'>,
  options: {
    batchMs?: number;
    scheduler?: SchedulerLike;
    failed?: (err: unknown) => void;
    learned?: (ids: string[]) => void;
  } = {},
): SharedGrains {
  let seq = 0;
  let caughtUp = 0;
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      options.failed?.(err);
    }
  };
  const subscription: Subscription = merge(
    registry.changes$.pipe(
      filter((c) => c.connected),
      map((c) => c.id),
    ),
    registry.grainsUpdates$,
  )
    .pipe(
      bufferTime(options.batchMs ?? 100, options.scheduler ?? asyncScheduler),
      filter((b) => b.length > 0),
    )
    .subscribe((batch) =>
      safely(() => {
        const ids = [...new Set(batch)].filter((id) => registry.get(id) !== undefined);
        const grains = ids.map((id) => encodeValue(registry.get(id)!.grains));
        if (ids.length > 0) db.run([{ text: SQL.write, values: [ids, grains] }]);
      }),
    );
  const read = (after: number) =>
    safely(() => {
      const rows = db.run([{ text: SQL.read, values: [after] }])[0]!.rows as {
        minion_id: string;
        grains: Uint8Array;
        seq: number;
      }[];
      const learned: string[] = [];
      for (const r of rows) {
        seq = Math.max(seq, r.seq);
        if (registry.isConnected(r.minion_id)) continue;
        const decoded = decodeValue(r.grains);
        if (!decoded.ok) continue;
        registry.remember(r.minion_id, decoded.value as Record<string, unknown>, 0);
        learned.push(r.minion_id);
      }
      if (learned.length > 0) options.learned?.(learned);
    });
  return {
    refresh: () => read(seq),
    catchUp: () => {
      const from = caughtUp;
      caughtUp = seq;
      read(from);
    },
    stop: () => subscription.unsubscribe(),
  };
}
