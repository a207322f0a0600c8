import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One enrollment token as stored: never the token, only its hash. */
export interface StoredEnrollToken {
  /** SHA-256 of the token, hex. */
  hash: string;
  expiresAt: number;
  /** Optional glob the enrolling minion id must match. */
  idGlob?: string;
}

/**
 * Where enrollment tokens are kept. An implementation owes: `add` has stored the token when it
 * returns; `take` removes an unexpired token and answers true for exactly one caller, however
 * many processes take the same token at once (a token admits one minion across all masters).
 */
export interface EnrollmentRecords {
  /** Stores a new token. */
  add(token: StoredEnrollToken): void;
  /** The stored token with this hash, expired or not. */
  find(hash: string): StoredEnrollToken | undefined;
  /** Removes the token if it is still there and unexpired at `nowMs`; true when this call removed it. */
  take(hash: string, nowMs: number): boolean;
  /** Tokens not expired at `nowMs`. */
  live(nowMs: number): StoredEnrollToken[];
}

/**
 * One master's tokens in a JSON file (`pki/enroll_tokens.json`), rewritten atomically on every
 * change and compared in constant time.
 */
export function fileEnrollmentRecords(file: string): EnrollmentRecords {
  let tokens: StoredEnrollToken[] = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as StoredEnrollToken[])
    : [];
  const save = () => {
    writeFileSync(file + '.tmp', JSON.stringify(tokens), { mode: 0o600 });
    renameSync(file + '.tmp', file);
  };
  const indexOf = (hash: string) => {
    const h = Buffer.from(hash, 'hex');
    return tokens.findIndex((t) => timingSafeEqual(Buffer.from(t.hash, 'hex'), h));
  };
  return {
    add: (t) => {
      tokens.push(t);
      save();
    },
    find: (hash) => tokens[indexOf(hash)],
    take: (hash, nowMs) => {
      const i = indexOf(hash);
      if (i === -1 || nowMs >= tokens[i]!.expiresAt) return false;
      tokens = tokens.filter((_, j) => j !== i);
      save();
      return true;
    },
    live: (nowMs) => tokens.filter((t) => t.expiresAt > nowMs),
  };
}

/**
 * One-time enrollment tokens: a minion presenting an unexpired, unused token with its first
 * connection is accepted without an operator. Tokens are stored hashed and used once. They live
 * in a file for one master, or in the database several masters share (docs/scale.md), where a
 * token made on one master admits a minion on any, once.
 */
export class EnrollmentTokens {
  readonly #records: EnrollmentRecords;

  /** Keeps tokens in `records`, or in the JSON file at that path. */
  constructor(records: string | EnrollmentRecords) {
    this.#records = typeof records === 'string' ? fileEnrollmentRecords(records) : records;
  }

  /** Makes a token valid until `expiresAt`, optionally only for ids matching `idGlob`; returns it once. */
  create(expiresAt: number, idGlob?: string): string {
    const token = `brine-enroll-${randomBytes(24).toString('base64url')}`;
    this.#records.add({ hash: hash(token), expiresAt, ...(idGlob ? { idGlob } : {}) });
    return token;
  }

  /** Consumes a token if it is valid now for `id`; true when the minion may be accepted. */
  consume(token: string, id: string, nowMs: number, globMatch: (glob: string, id: string) => boolean): boolean {
    const h = hash(token);
    const t = this.#records.find(h);
    if (!t || nowMs >= t.expiresAt || (t.idGlob && !globMatch(t.idGlob, id))) return false;
    // The glob of a hash never changes, so checking it before the take is sound; the take is
    // what makes the use single across masters.
    return this.#records.take(h, nowMs);
  }

  /** Tokens not yet used or expired, without their secrets. */
  list(nowMs: number): { expiresAt: number; idGlob?: string }[] {
    return this.#records.live(nowMs).map(({ expiresAt, idGlob }) => ({ expiresAt, ...(idGlob ? { idGlob } : {}) }));
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
