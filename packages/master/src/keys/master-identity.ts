import { X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { fingerprint, generateKeyPair, loadKeyPair } from '@brine/protocol';
import { InsecureKeyFileError } from '../errors.js';

/** The master's signing key and TLS certificate, made on first start. */
export interface MasterIdentity {
  privateKey: KeyObject;
  publicRaw: Buffer;
  /** Fingerprint of the signing key: what minions pin. */
  fingerprint: string;
  tls: { keyPem: string; certPem: string; certFingerprint: string };
}

/** Refuses a private key file that group or others can read or write. */
export function assertPrivate(file: string): void {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new InsecureKeyFileError(file, mode);
}

/**
 * Loads the master's Ed25519 key (`master.pem`) and TLS key and certificate from `pkiDir`,
 * making them on first start with mode 0600. Throws when a private key is readable by others.
 */
export async function loadOrCreateMasterIdentity(
  pkiDir: string,
  hostnames: readonly string[],
): Promise<MasterIdentity> {
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const keyFile = join(pkiDir, 'master.pem');
  if (!existsSync(keyFile)) {
    const pair = generateKeyPair();
    writeFileSync(keyFile, pair.privatePem, { mode: 0o600 });
    writeFileSync(join(pkiDir, 'master.pub'), pair.publicRaw.toString('base64') + '\n', { mode: 0o644 });
  }
  assertPrivate(keyFile);
  const pair = loadKeyPair(readFileSync(keyFile, 'utf8'));

  const tlsKeyFile = join(pkiDir, 'master-tls.key');
  const tlsCertFile = join(pkiDir, 'master-tls.crt');
  if (!existsSync(tlsKeyFile) || !existsSync(tlsCertFile)) {
    const pems = await generate([{ name: 'commonName', value: 'brine-master' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * 365 * 86_400_000),
      extensions: [
        {
          name: 'subjectAltName',
          altNames: hostnames.map((h) =>
            /^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h },
          ),
        },
      ],
    });
    writeFileSync(tlsKeyFile, pems.private, { mode: 0o600 });
    writeFileSync(tlsCertFile, pems.cert, { mode: 0o644 });
  }
  assertPrivate(tlsKeyFile);
  const certPem = readFileSync(tlsCertFile, 'utf8');
  const cert = new X509Certificate(certPem);
  return {
    privateKey: pair.privateKey,
    publicRaw: pair.publicRaw,
    fingerprint: fingerprint(pair.publicRaw),
    tls: { keyPem: readFileSync(tlsKeyFile, 'utf8'), certPem, certFingerprint: fingerprint(cert.raw) },
  };
}
