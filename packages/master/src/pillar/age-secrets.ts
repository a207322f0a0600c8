import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Decrypter, Encrypter, armor, generateIdentity, identityToRecipient } from 'age-encryption';
import { InsecureKeyFileError } from '../errors.js';
import { PillarError, PillarErrorCode } from './errors.js';

/** `ENC[age,<base64 of an age file>]`: an encrypted pillar value, one line, as `brine-master encrypt` prints it. */
const ENC = /^ENC\[age,([A-Za-z0-9+/=\s]+)\]$/;
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/** The master's age identity and recipient, as held in its state dir. */
export interface AgeKeys {
  /** `AGE-SECRET-KEY-1...`; never logged, never sent. */
  identity: string;
  /** `age1...`: what values are encrypted for. */
  recipient: string;
}

/**
 * Loads the master's age identity from `file` (mode 0600; a key readable by others is refused,
 * as the master's signing key is), or makes one, writing the recipient beside it as `<file>.pub`
 * so operators can encrypt without the identity. With `create: false`, a missing file is
 * `undefined`: values encrypted for the master then fail to compile, saying so.
 */
export async function loadOrCreateAgeKeys(file: string, create = true): Promise<AgeKeys | undefined> {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new InsecureKeyFileError(file, mode);
    const identity = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('AGE-SECRET-KEY-'));
    if (identity === undefined) return undefined;
    return { identity, recipient: await identityToRecipient(identity) };
  }
  if (!create) return undefined;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  writeFileSync(file, `# brine master pillar identity: keep secret\n${identity}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(`${file}.pub`, `${recipient}\n`, { mode: 0o644 });
  return { identity, recipient };
}

/** Encrypts `text` for `recipient` into the one-line `ENC[age,...]` form pillar files hold. */
export async function encryptPillarValue(recipient: string, text: string): Promise<string> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const bytes = await encrypter.encrypt(text);
  return `ENC[age,${Buffer.from(bytes).toString('base64')}]`;
}

/** Whether a value is an encrypted pillar value (one-line `ENC[age,...]` or an armored age file). */
export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && (ENC.test(value.trim()) || value.trimStart().startsWith(ARMOR_BEGIN));
}

/**
 * Returns `data` with every encrypted string decrypted with the master's identity. `file` names
 * the pillar file in errors, with the key path of the value; neither the ciphertext nor any clear
 * text is ever part of an error. Without keys, an encrypted value is an `ERR_PILLAR_DECRYPT`.
 */
export async function decryptTree(data: unknown, file: string, keys: AgeKeys | undefined): Promise<unknown> {
  const walk = async (value: unknown, path: string[]): Promise<unknown> => {
    if (isEncrypted(value)) return decryptOne(value, { file, path, keys });
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) out.push(await walk(value[i], [...path, String(i)]));
      return out;
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, {
          value: await walk(v, [...path, k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  };
  return walk(data, []);
}

/** Whether `data` holds an encrypted value anywhere (so a compile without any skips the walk). */
export function holdsEncrypted(data: unknown): boolean {
  if (isEncrypted(data)) return true;
  if (Array.isArray(data)) return data.some(holdsEncrypted);
  if (typeof data === 'object' && data !== null) return Object.values(data).some(holdsEncrypted);
  return false;
}

async function decryptOne(
  value: string,
  at: { file: string; path: string[]; keys: AgeKeys | undefined },
): Promise<string> {
  const where = `${at.file}, key ${at.path.join(':') || '(top)'}`;
  if (at.keys === undefined) {
    throw new PillarError(
      PillarErrorCode.DECRYPT,
      `${where}: encrypted value, but the master has no age identity to decrypt it (pillar_age_key)`,
    );
  }
  const text = value.trim();
  let bytes: Uint8Array;
  try {
    const enc = ENC.exec(text);
    bytes = enc ? Uint8Array.from(Buffer.from(enc[1]!.replace(/\s+/g, ''), 'base64')) : armor.decode(text);
  } catch {
    throw new PillarError(PillarErrorCode.DECRYPT, `${where}: not a valid age ciphertext`);
  }
  const decrypter = new Decrypter();
  decrypter.addIdentity(at.keys.identity);
  try {
    return await decrypter.decrypt(bytes, 'text');
  } catch {
    throw new PillarError(
      PillarErrorCode.DECRYPT,
      `${where}: the master's age identity cannot decrypt this value (encrypted for another recipient, or damaged)`,
    );
  }
}
