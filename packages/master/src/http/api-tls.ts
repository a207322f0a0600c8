import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { fingerprint } from '@brine/protocol';
import { ConfigError } from '../errors.js';
import type { MasterConfig } from '../config.js';

/** The REST API's certificate and key (PEM), and the certificate's SHA-256 fingerprint. */
export interface ApiTls {
  keyPem: string;
  certPem: string;
  fingerprint: string;
}

/** The `Strict-Transport-Security` value an HTTPS API sends: one year. */
export const HSTS_HEADER = 'max-age=31536000';

/**
 * The API's TLS material: the PEM files of `api.tls.cert`/`api.tls.key`, or else the master's own
 * self-signed certificate (the one minions see). Throws ConfigError for a file that cannot be read
 * or a certificate that does not parse.
 */
export function loadApiTls(
  tls: MasterConfig['api']['tls'],
  own: { keyPem: string; certPem: string; certFingerprint: string },
): ApiTls {
  if (tls.cert === undefined || tls.key === undefined) {
    return { keyPem: own.keyPem, certPem: own.certPem, fingerprint: own.certFingerprint };
  }
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`api.tls: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const certPem = read(tls.cert);
  const keyPem = read(tls.key);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch (err) {
    throw new ConfigError(`api.tls.cert: ${tls.cert} is not a PEM certificate: ${(err as Error).message}`);
  }
  return { keyPem, certPem, fingerprint: fingerprint(leaf.raw) };
}

/** Options for the API's HTTPS server: TLS 1.3 only, as on the minion port. */
export function httpsOptions(tls: ApiTls): ServerOptions {
  return { key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.3' };
}
