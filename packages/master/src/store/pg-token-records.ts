import type { SharedTokenRecords, TokenRecord } from '../http/auth/tokens.js';
import type { PgBridge } from './pg-bridge.js';

interface TokenRow {
  id: string;
  hash: string;
  user: string;
  kind: TokenRecord['kind'];
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  created_by: string | null;
  description: string | null;
}

const COLUMNS = 'id, hash, "user" AS user, kind, created_at, expires_at, revoked_at, created_by, description';

function toRecord(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    hash: r.hash,
    user: r.user,
    kind: r.kind,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
    ...(r.created_by === null ? {} : { createdBy: r.created_by }),
    ...(r.description === null ? {} : { description: r.description }),
  };
}

/**
 * Session and API tokens in the shared database (table `api_tokens`): their SHA-256 only. A
 * revocation keeps the first revocation time; expired rows are deleted as tokens are written.
 */
export function pgTokenRecords(db: PgBridge, now: () => number): SharedTokenRecords {
  return {
    load: (id) => {
      const row = db.run([{ text: `SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, values: [id] }])[0]!.rows[0];
      return row === undefined ? undefined : toRecord(row as unknown as TokenRow);
    },
    put: (r) => {
      db.transaction([
        {
          text: `INSERT INTO api_tokens (id, hash, "user", kind, created_at, expires_at, revoked_at, created_by, description)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET revoked_at = coalesce(api_tokens.revoked_at, excluded.revoked_at)`,
          values: [
            r.id,
            r.hash,
            r.user,
            r.kind,
            r.createdAt,
            r.expiresAt,
            r.revokedAt ?? null,
            r.createdBy ?? null,
            r.description ?? null,
          ],
        },
        { text: 'DELETE FROM api_tokens WHERE expires_at <= $1', values: [now()] },
      ]);
    },
    live: (at) =>
      (
        db.run([
          { text: `SELECT ${COLUMNS} FROM api_tokens WHERE expires_at > $1 ORDER BY created_at`, values: [at] },
        ])[0]!.rows as unknown as TokenRow[]
      ).map(toRecord),
  };
}
