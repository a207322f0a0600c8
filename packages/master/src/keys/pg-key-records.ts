import type { PgBridge } from '../store/pg-bridge.js';
import type { KeyRecords, KeyStateValue, StoredKey } from './key-records.js';

/** The channel on which a key change is announced to the other masters (payload: the id). */
export const KEYS_CHANNEL = 'brine_keys';

interface KeyRow {
  id: string;
  state: KeyStateValue;
  pub: Uint8Array;
}

const toKey = (r: KeyRow): StoredKey => ({ id: r.id, state: r.state, pub: Buffer.from(r.pub) });

/**
 * Minion keys in the PostgreSQL database the masters share (table `minion_keys`, made by the
 * store's migrations). Every write commits before it returns and sends one NOTIFY on
 * {@link KEYS_CHANNEL} with the id, so other masters can refresh it without waiting for the
 * minion's next handshake.
 */
export function pgKeyRecords(db: PgBridge): KeyRecords {
  const notify = (id: string) => ({ text: 'SELECT pg_notify($1, $2)', values: [KEYS_CHANNEL, id] });
  return {
    shared: true,
    loadAll: () =>
      (db.run([{ text: 'SELECT id, state, pub FROM minion_keys ORDER BY id' }])[0]!.rows as unknown as KeyRow[]).map(
        toKey,
      ),
    load: (id) => {
      const row = db.run([{ text: 'SELECT id, state, pub FROM minion_keys WHERE id = $1', values: [id] }])[0]!
        .rows[0] as unknown as KeyRow | undefined;
      return row === undefined ? undefined : toKey(row);
    },
    put: ({ id, state, pub }) => {
      db.transaction([
        {
          text: `INSERT INTO minion_keys (id, state, pub) VALUES ($1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, pub = excluded.pub, updated_at = now()`,
          values: [id, state, pub],
        },
        notify(id),
      ]);
    },
    putDenied: (id, pub) => {
      db.run([{ text: 'UPDATE minion_keys SET denied_pub = $2 WHERE id = $1', values: [id, pub] }]);
    },
    remove: (id) => {
      db.transaction([{ text: 'DELETE FROM minion_keys WHERE id = $1', values: [id] }, notify(id)]);
    },
  };
}
