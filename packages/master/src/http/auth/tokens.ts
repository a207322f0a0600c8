import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { TokenFileError } from '../shared/errors.js';

/** Kinds of token: `admin` (the local credential, never persisted), `session` (login), `api` (CI). */
export const TokenKind = { admin: 'admin', session: 'session', api: 'api' } as const;
/** One of the {@link TokenKind} values. */
export type TokenKindValue = (typeof TokenKind)[keyof typeof TokenKind];

const recordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string(),
  kind: z.enum(['session', 'api']),
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.number().optional(),
  createdBy: z.string().optional(),
  description: z.string().optional(),
});
const fileSchema = z.object({ version: z.literal(1), tokens: z.array(recordSchema) });

/** What the master keeps of a token: its SHA-256, never the token. */
export type TokenRecord = Omit<z.infer<typeof recordSchema>, 'kind'> & { kind: TokenKindValue };

/** A token as listed: everything but the hash. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

/** A token is `<16 hex id>.<43 base64url secret>`: the id names it in lists and audit lines. */
const TOKEN_PATTERN = /^([0-9a-f]{16})\.[A-Za-z0-9_-]{43}$/;

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Session and API tokens kept where several masters read them (PostgreSQL, docs/scale.md).
 * Writes have committed when they return.
 */
export interface SharedTokenRecords {
  /** One token's record, or undefined. */
  load(id: string): TokenRecord | undefined;
  /** Records a token, or its revocation. */
  put(record: TokenRecord): void;
  /** Every record not expired at `now`. */
  live(now: number): TokenRecord[];
}

/** Options of {@link TokenStore}. */
export interface TokenStoreOptions {
  /** JSON file the session and API tokens persist in (mode 0600); in memory only when absent. */
  file?: string;
  /**
   * Shared records instead of the file: a token issued or revoked on one master holds on all,
   * since every check of a session or API token rereads its record.
   */
  shared?: SharedTokenRecords;
  now(): number;
}

/**
 * The master's API tokens. Tokens are random (256 bits), so a SHA-256 is a safe digest to keep:
 * the file holds no usable credential. Lookup is by the public id, and the digest comparison is
 * constant-time. A token at or past its expiry instant, or revoked, is refused. Session and API
 * tokens persist across restarts; the admin token lives only in memory.
 */
export class TokenStore {
  readonly #byId = new Map<string, TokenRecord>();
  readonly #file: string | undefined;
  readonly #shared: SharedTokenRecords | undefined;
  readonly #now: () => number;

  /** Opens the store, loading the file when it exists; throws {@link TokenFileError} on a bad file. */
  constructor(options: TokenStoreOptions) {
    this.#shared = options.shared;
    this.#file = options.shared ? undefined : options.file;
    this.#now = options.now;
    if (this.#file && existsSync(this.#file)) this.#load(this.#file);
  }

  /** Makes a token for a user, valid until `now + ttlMs` (Infinity for the admin token). */
  issue(spec: { user: string; kind: TokenKindValue; ttlMs: number; createdBy?: string; description?: string }): {
    token: string;
    info: TokenInfo;
  } {
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.#byId.has(id));
    const token = `${id}.${randomBytes(32).toString('base64url')}`;
    const createdAt = this.#now();
    const rec: TokenRecord = {
      id,
      hash: sha256(token).toString('hex'),
      user: spec.user,
      kind: spec.kind,
      createdAt,
      expiresAt: createdAt + spec.ttlMs,
      ...(spec.createdBy === undefined ? {} : { createdBy: spec.createdBy }),
      ...(spec.description === undefined ? {} : { description: spec.description }),
    };
    this.#byId.set(id, rec);
    if (rec.kind !== TokenKind.admin) this.#save(rec);
    return { token, info: withoutHash(rec) };
  }

  /** The token's record, or undefined when it is malformed, unknown, expired or revoked. */
  verify(token: string | undefined): TokenInfo | undefined {
    const m = token === undefined ? null : TOKEN_PATTERN.exec(token);
    if (!m) return undefined;
    const rec = this.#record(m[1]!);
    if (!rec) return undefined;
    if (!timingSafeEqual(Buffer.from(rec.hash, 'hex'), sha256(token!))) return undefined;
    if (rec.revokedAt !== undefined || this.#now() >= rec.expiresAt) return undefined;
    return withoutHash(rec);
  }

  /** The id a token or id names, if it is well formed (the token's secret is not checked). */
  static idOf(tokenOrId: string): string | undefined {
    if (/^[0-9a-f]{16}$/.test(tokenOrId)) return tokenOrId;
    return TOKEN_PATTERN.exec(tokenOrId)?.[1];
  }

  /** Revokes a token by id; returns its record, or undefined when unknown or the admin token. */
  revoke(id: string): TokenInfo | undefined {
    const rec = this.#record(id);
    if (!rec || rec.kind === TokenKind.admin) return undefined;
    rec.revokedAt ??= this.#now();
    this.#save(rec);
    return withoutHash(rec);
  }

  /** Every persisted token that has not expired, revoked ones included, oldest first. */
  list(): TokenInfo[] {
    const now = this.#now();
    const records = this.#shared ? this.#shared.live(now) : [...this.#byId.values()];
    return records
      .filter((r) => r.kind !== TokenKind.admin && now < r.expiresAt)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(withoutHash);
  }

  #load(file: string): void {
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      throw new TokenFileError(file, err instanceof z.ZodError ? 'not a token file' : (err as Error).message);
    }
    const now = this.#now();
    for (const rec of parsed.tokens) if (now < rec.expiresAt) this.#byId.set(rec.id, rec);
  }

  /** A token's record: the admin token from memory; others from the shared records when shared. */
  #record(id: string): TokenRecord | undefined {
    const local = this.#byId.get(id);
    if (local?.kind === TokenKind.admin || !this.#shared) return local;
    // Reread every time: a revocation on another master must hold here at once.
    const rec = this.#shared.load(id);
    if (rec) this.#byId.set(id, rec);
    else this.#byId.delete(id);
    return rec;
  }

  #save(changed: TokenRecord): void {
    if (this.#shared) return this.#shared.put(changed);
    if (!this.#file) return;
    const now = this.#now();
    // Expired tokens are dropped for good: a revoked one is kept only while it could still be presented.
    for (const [id, r] of this.#byId) if (now >= r.expiresAt) this.#byId.delete(id);
    const tokens = [...this.#byId.values()].filter((r) => r.kind !== TokenKind.admin);
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, tokens }) + '\n', { mode: 0o600 });
    renameSync(tmp, this.#file);
  }
}

function withoutHash(rec: TokenRecord): TokenInfo {
  const { hash: _hash, ...info } = rec;
  return info;
}
