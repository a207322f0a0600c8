import type { PgBridge } from '../store/pg-bridge.js';
import type { EnrollmentRecords, StoredEnrollToken } from './enrollment.js';

interface TokenRow {
  hash: string;
  expires_at: number;
  id_glob: string | null;
}

const toToken = (r: TokenRow): StoredEnrollToken => ({
  hash: r.hash,
  expiresAt: Number(r.expires_at),
  ...(r.id_glob === null ? {} : { idGlob: r.id_glob }),
});

/**
 * Enrollment tokens in the database the masters share (table `enroll_tokens`): a token made on
 * one master admits a minion on any. `take` is one `DELETE ... RETURNING`, so when two masters
 * take the same token at once, PostgreSQL's row lock lets exactly one delete it. Expired rows
 * are deleted as tokens are added. Rows are found by the token's SHA-256, an index lookup:
 * the hash, not the guess, is what a timing difference could reveal.
 */
export function pgEnrollmentRecords(db: PgBridge, now: () => number): EnrollmentRecords {
  return {
    add: (t) => {
      db.transaction([
        {
          text: 'INSERT INTO enroll_tokens (hash, expires_at, id_glob) VALUES ($1, $2, $3)',
          values: [t.hash, t.expiresAt, t.idGlob ?? null],
        },
        { text: 'DELETE FROM enroll_tokens WHERE expires_at <= $1', values: [now()] },
      ]);
    },
    find: (hash) => {
      const row = db.run([
        { text: 'SELECT hash, expires_at, id_glob FROM enroll_tokens WHERE hash = $1', values: [hash] },
      ])[0]!.rows[0];
      return row === undefined ? undefined : toToken(row as unknown as TokenRow);
    },
    take: (hash, nowMs) =>
      db.run([
        {
          text: 'DELETE FROM enroll_tokens WHERE hash = $1 AND expires_at > $2 RETURNING hash',
          values: [hash, nowMs],
        },
      ])[0]!.rowCount === 1,
    live: (nowMs) =>
      (
        db.run([
          {
            text: 'SELECT hash, expires_at, id_glob FROM enroll_tokens WHERE expires_at > $1 ORDER BY expires_at',
            values: [nowMs],
          },
        ])[0]!.rows as unknown as TokenRow[]
      ).map(toToken),
  };
}
