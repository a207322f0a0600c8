import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

interface StoredToken {
  /** SHA-256 of the token, hex. */
  hash: string;
  expiresAt: number;
  /** Optional glob the enrolling minion id must match. */
  idGlob?: string;
}

/**
 * One-time enrollment tokens: a minion presenting an unexpired, unused token with its first
 * connection is accepted without an operator. Tokens are stored hashed, used once, and compared
 * in constant time. The file is rewritten atomically on every change.
 */
export class EnrollmentTokens {
  readonly #file: string;
  #tokens: StoredToken[];

  constructor(file: string) {
    this.#file = file;
    this.#tokens = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredToken[]) : [];
  }

  /** Makes a token valid until `expiresAt`, optionally only for ids matching `idGlob`; returns it once. */
  create(expiresAt: number, idGlob?: string): string {
    const token = `brine-enroll-${randomBytes(24).toString('base64url')}`;
    this.#tokens.push({ hash: hash(token), expiresAt, ...(idGlob ? { idGlob } : {}) });
    this.#save();
    return token;
  }

  /** Consumes a token if it is valid now for `id`; true when the minion may be accepted. */
  consume(token: string, id: string, nowMs: number, globMatch: (glob: string, id: string) => boolean): boolean {
    const h = Buffer.from(hash(token), 'hex');
    const i = this.#tokens.findIndex((t) => timingSafeEqual(Buffer.from(t.hash, 'hex'), h));
    if (i === -1) return false;
    const t = this.#tokens[i]!;
    if (nowMs >= t.expiresAt || (t.idGlob && !globMatch(t.idGlob, id))) return false;
    this.#tokens.splice(i, 1);
    this.#save();
    return true;
  }

  /** Tokens not yet used or expired, without their secrets. */
  list(nowMs: number): { expiresAt: number; idGlob?: string }[] {
    return this.#tokens
      .filter((t) => t.expiresAt > nowMs)
      .map(({ expiresAt, idGlob }) => ({ expiresAt, ...(idGlob ? { idGlob } : {}) }));
  }

  #save(): void {
    writeFileSync(this.#file + '.tmp', JSON.stringify(this.#tokens), { mode: 0o600 });
    renameSync(this.#file + '.tmp', this.#file);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
