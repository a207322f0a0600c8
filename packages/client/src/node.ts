import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connect, type BrineClient } from './client.js';
import { BrineClientError, ClientErrorCode } from './errors.js';
import type { FetchLike } from './fetch-transport.js';

/** Default state directory of a master on this host, where it writes `cli.json`. */
export const DEFAULT_MASTER_DIR = '/var/lib/brine/master';

/** A master URL and token found on this host, and where the URL came from. */
export interface DiscoveredCredentials {
  url: string;
  token: string;
  source: 'options' | 'environment' | 'config' | 'local master';
  /** The master certificate's fingerprint pinned in the file the URL came from, if any. */
  fingerprint?: string;
}

type Found = { url?: string | undefined; token?: string | undefined; fingerprint?: string | undefined };

/**
 * Finds the master URL and token as the CLI does, first match wins: 1. `url`/`token` given;
 * 2. `BRINE_URL`/`BRINE_TOKEN`; 3. the file named by `BRINE_CONFIG`, else
 * `~/.config/brine/cli.json`; 4. the local admin credential a master on this host writes to
 * `<state_dir>/cli.json` (`BRINE_MASTER_DIR`, default /var/lib/brine/master). An empty value is
 * unset. Throws `ERR_CLIENT_NO_CREDENTIALS` when nothing gives both.
 */
export function discoverCredentials(
  given: { url?: string; token?: string } = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): DiscoveredCredentials {
  const fromFile = (file: string): Found | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Found;
    } catch (err) {
      throw new BrineClientError(ClientErrorCode.noCredentials, `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const candidates: [DiscoveredCredentials['source'], Found | undefined][] = [
    ['options', given],
    ['environment', { url: env['BRINE_URL'], token: env['BRINE_TOKEN'] }],
    ['config', fromFile(env['BRINE_CONFIG'] ?? join(homedir(), '.config', 'brine', 'cli.json'))],
    ['local master', fromFile(join(env['BRINE_MASTER_DIR'] || DEFAULT_MASTER_DIR, 'cli.json'))],
  ];
  let found: Omit<DiscoveredCredentials, 'token'> | undefined;
  let token: string | undefined;
  for (const [source, c] of candidates) {
    if (!c) continue;
    if (!found && c.url) found = { url: c.url, source, ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}) };
    if (!token && c.token) token = c.token;
    if (found && token) return { ...found, url: found.url.replace(/\/+$/, ''), token };
  }
  throw new BrineClientError(
    ClientErrorCode.noCredentials,
    'no master URL and token: pass url/token, set BRINE_URL/BRINE_TOKEN, or run on the master host (BRINE_MASTER_DIR)',
  );
}

/**
 * Connects with discovered credentials ({@link discoverCredentials}): `connectFromEnv()` in a
 * script on the master host, or with `BRINE_URL`/`BRINE_TOKEN` set, needs no arguments.
 */
export function connectFromEnv(
  options: { url?: string; token?: string; env?: Readonly<Record<string, string | undefined>>; fetch?: FetchLike } = {},
): BrineClient {
  const { env, fetch, ...given } = options;
  const creds = discoverCredentials(given, env ?? process.env);
  return connect({ url: creds.url, token: creds.token, ...(fetch ? { fetch } : {}) });
}

export { nodeFetch } from './node-fetch.js';
