import { randomBytes, scrypt } from 'node:crypto';

/**
 * Hashes a password for the master config's `users.<name>.password_hash`, in the format the
 * master verifies: `scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt base64>$<key base64>`. The master's
 * `http/accounts.ts` holds the verifying side; the two must agree (an e2e test logs in with it).
 */
export function hashPassword(
  password: string,
  cost: { ln: number; r: number; p: number } = { ln: 15, r: 8, p: 1 },
): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** cost.ln;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (err, key) =>
      err
        ? reject(err)
        : resolve(`scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`),
    ),
  );
}
