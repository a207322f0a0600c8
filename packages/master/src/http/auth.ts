import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Permissions a route may require. `@jobs`-style grants follow Salt's external_auth. */
export const Permission = {
  public: 'public',
  run: 'run',
  jobs: '@jobs',
  keys: '@keys',
  minions: '@minions',
  events: '@events',
  metrics: '@metrics',
} as const;
export type PermissionValue = (typeof Permission)[keyof typeof Permission];

/** Who a request is, once its token checked out. */
export interface Principal {
  user: string;
  /** Whether this principal may use a permission (ACL checks on targets come on top). */
  can(permission: PermissionValue): boolean;
}

/** A stored token: only its SHA-256 is kept. */
interface TokenRecord {
  hash: Buffer;
  user: string;
  expiresAt: number;
  revoked: boolean;
}

/** Makes a new random API token (32 bytes, base64url). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The master's API tokens. Tokens are kept hashed; lookup is by hash, and the final comparison is
 * constant-time. A token at or past its expiry instant, or revoked, is refused.
 */
export class TokenStore {
  readonly #byHash = new Map<string, TokenRecord>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Registers a token for a user until `expiresAt` (ms since epoch; Infinity for no expiry). */
  add(token: string, user: string, expiresAt = Number.POSITIVE_INFINITY): void {
    const hash = hashToken(token);
    this.#byHash.set(hash.toString('hex'), { hash, user, expiresAt, revoked: false });
  }

  /** Revokes a token; false when unknown. */
  revoke(token: string): boolean {
    const rec = this.#byHash.get(hashToken(token).toString('hex'));
    if (!rec) return false;
    rec.revoked = true;
    return true;
  }

  /** The user a token belongs to, or undefined when it is unknown, malformed, expired or revoked. */
  verify(token: string | undefined): string | undefined {
    if (!token || token.length > 512) return undefined;
    const hash = hashToken(token);
    const rec = this.#byHash.get(hash.toString('hex'));
    if (!rec || !timingSafeEqual(rec.hash, hash)) return undefined;
    if (rec.revoked || this.#now() >= rec.expiresAt) return undefined;
    return rec.user;
  }
}

/** Reads a bearer token from `Authorization: Bearer …` or salt-api's `X-Auth-Token`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-auth-token'];
  return typeof x === 'string' ? x : undefined;
}
