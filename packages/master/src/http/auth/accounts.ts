import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { PASSWORD_HASH_PATTERN, type UserConfig } from '../../config-auth.js';

/** scrypt cost parameters; `ln` is log2 of N. */
export interface ScryptCost {
  /** @default 15 (N = 32768, 32 MiB, about 100 ms) */
  ln: number;
  /** @default 8 */
  r: number;
  /** @default 1 */
  p: number;
}

/** The cost `hashPassword` uses unless told otherwise (OWASP's scrypt floor is ln=17 with r=8; 15 keeps logins near 100 ms on a small master). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { ln: 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const MAX_LN = 20;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.ln;
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** Hashes a password with scrypt and a random salt, as `scrypt$ln=15,r=8,p=1$<salt>$<key>`. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether a password matches a hash from {@link hashPassword}. The keys are compared in constant
 * time; a malformed hash, or one whose cost is out of range, never matches.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = PASSWORD_HASH_PATTERN.exec(encoded);
  if (!m) return false;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.ln < 1 || cost.ln > MAX_LN || cost.r < 1 || cost.p < 1) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await derive(password, Buffer.from(m[4]!, 'base64'), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A configured user, as a request's principal is built from it. */
export interface Account {
  name: string;
  groups: readonly string[];
}

/** Longest password checked; longer ones are refused before hashing (scrypt cost is per byte too). */
const MAX_PASSWORD_LENGTH = 1024;

/**
 * The API users from the master config. A disabled user, or one without a password hash, cannot
 * log in; a disabled or removed user's tokens stop working at the next request.
 */
export class Accounts {
  readonly #users: ReadonlyMap<string, UserConfig>;
  /** Verified against for unknown users, so a login takes as long whether or not the user exists. */
  #decoy: Promise<string> | undefined;

  /** Takes the `users:` section of a validated config. */
  constructor(users: Readonly<Record<string, UserConfig>>) {
    this.#users = new Map(Object.entries(users));
  }

  /** The enabled account of that name, if any. */
  get(name: string): Account | undefined {
    const u = this.#users.get(name);
    if (!u || u.disabled) return undefined;
    return { name, groups: u.groups };
  }

  /** The account a username and password log in as, or undefined; never says which part was wrong. */
  async login(username: string, password: string): Promise<Account | undefined> {
    const u = this.#users.get(username);
    const hash = u?.password_hash ?? (await (this.#decoy ??= hashPassword(randomBytes(16).toString('hex'))));
    const ok = password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, hash));
    if (!ok || !u || u.disabled || u.password_hash === undefined) return undefined;
    return { name: username, groups: u.groups };
  }
}
