import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a running master can be reached, as it writes it to its state directory. */
export interface MasterEndpoints {
  /** The REST API's URL ({@link apiUrlOf}). */
  apiUrl: string;
  /** The local admin token, for `cli.json` only. */
  adminToken: string;
  /** The API certificate's fingerprint, when the API serves TLS. */
  apiFingerprint?: string;
  minionPort: number;
  /** Whether minions connect over TLS. */
  tls: boolean;
  /** The master key's fingerprint, which minions pin. */
  fingerprint: string;
}

/**
 * The URL a local client reaches the API at: a wildcard bind is reached over loopback, and an
 * IPv6 host is bracketed.
 */
export function apiUrlOf(host: string, port: number, tls: boolean): string {
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host;
  return `${tls ? 'https' : 'http'}://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}

/**
 * Writes `<stateDir>/cli.json`, the local admin credential readable by the master's user only, so
 * `brine` works on this host; and `<stateDir>/endpoints.json`, the public facts for operators and
 * scripts (where to connect, the fingerprint minions should pin). Each file is written whole or
 * not at all (a rename): a reader never sees half a file.
 */
export function writeEndpointFiles(stateDir: string, e: MasterEndpoints): void {
  const pin = e.apiFingerprint === undefined ? {} : { fingerprint: e.apiFingerprint };
  writeAtomic(join(stateDir, 'cli.json'), JSON.stringify({ url: e.apiUrl, token: e.adminToken, ...pin }) + '\n', 0o600);
  writeAtomic(
    join(stateDir, 'endpoints.json'),
    JSON.stringify({
      api: e.apiUrl,
      minionPort: e.minionPort,
      tls: e.tls,
      fingerprint: e.fingerprint,
      ...(e.apiFingerprint === undefined ? {} : { apiFingerprint: e.apiFingerprint }),
    }) + '\n',
    0o644,
  );
}

function writeAtomic(file: string, text: string, mode: number): void {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}
