import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, loadKeyPair } from '@brine/protocol';
import { MinionError, MinionErrorCode } from './errors.js';

/**
 * Loads the minion's Ed25519 key from `pkiDir/minion.pem`, making it (mode 0600) on first start.
 * Refuses a key file that group or others can read.
 */
export function loadOrCreateMinionKey(pkiDir: string): ReturnType<typeof loadKeyPair> {
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const file = join(pkiDir, 'minion.pem');
  if (!existsSync(file)) {
    const pair = generateKeyPair();
    writeFileSync(file, pair.privatePem, { mode: 0o600 });
    writeFileSync(join(pkiDir, 'minion.pub'), pair.publicRaw.toString('base64') + '\n', { mode: 0o644 });
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new MinionError(
      MinionErrorCode.keyPermissions,
      `${file} has mode ${mode.toString(8)}; private keys must be 0600 (chmod 600 ${file})`,
    );
  }
  return loadKeyPair(readFileSync(file, 'utf8'));
}
