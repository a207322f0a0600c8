import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiErrorCode } from '@brine/protocol/errors';
import { CliError, CliErrorCode } from './errors.js';
import type { TlsTrust } from './tls-trust.js';

type Source = { url?: string | undefined; token?: string | undefined; fingerprint?: string | undefined };

/** Where the CLI sends requests, with which token, and how it trusts an HTTPS master. */
export interface Credentials extends TlsTrust {
  url: string;
  token: string;
  source: string;
}

/** The credential flags of a command's parsed options. */
export function credentialFlags(opts: Record<string, unknown>): { url?: string; token?: string; ca?: string } {
  const pick = (k: string) => (typeof opts[k] === 'string' ? { [k]: opts[k] as string } : {});
  return { ...pick('url'), ...pick('token'), ...pick('ca') };
}

/** Default state directory of a master on this host, where it writes `cli.json`. */
export const DEFAULT_MASTER_DIR = '/var/lib/brine/master';

/**
 * Finds the master URL and token, first match wins:
 * 1. `--url` / `--token` flags; 2. `BRINE_URL` / `BRINE_TOKEN`; 3. the file named by
 * `BRINE_CONFIG` or `~/.config/brine/cli.json`; 4. the local admin credential a master on this
 * host writes to `<state_dir>/cli.json` (`BRINE_MASTER_DIR`, default /var/lib/brine/master),
 * readable by root only.
 *
 * An HTTPS master is trusted, first match wins, by: `BRINE_FINGERPRINT`; the CA or certificate
 * PEM file of `--ca` or `BRINE_CA`; the `fingerprint` pinned in the file the URL came from (the
 * master writes its own into cli.json); else the system's CAs. Verification is never off.
 */
export function resolveCredentials(
  flags: { url?: string; token?: string; ca?: string },
  env: NodeJS.ProcessEnv,
): Credentials {
  const fromFile = (file: string): Source | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Source;
    } catch (err) {
      throw new CliError(CliErrorCode.config, `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const candidates: [string, Source | undefined][] = [
    ['flags', { url: flags.url, token: flags.token }],
    ['environment', { url: env['BRINE_URL'], token: env['BRINE_TOKEN'] }],
    ['config', fromFile(env['BRINE_CONFIG'] ?? join(homedir(), '.config', 'brine', 'cli.json'))],
    ['local master', fromFile(join(env['BRINE_MASTER_DIR'] ?? DEFAULT_MASTER_DIR, 'cli.json'))],
  ];
  let url: string | undefined;
  let token: string | undefined;
  let pinned: string | undefined;
  let source = '';
  for (const [name, c] of candidates) {
    if (!c) continue;
    if (!url && c.url) {
      url = c.url;
      pinned = c.fingerprint;
      source = name;
    }
    // An empty value is unset (BRINE_TOKEN= in a shell), as for the URL.
    if (!token && c.token) token = c.token;
    if (url && token) break;
  }
  if (!url || !token) {
    throw new CliError(
      ApiErrorCode.unauthenticated,
      'no master URL and token: pass --url/--token, set BRINE_URL/BRINE_TOKEN, or run on the master host (BRINE_MASTER_DIR)',
    );
  }
  return { url: url.replace(/\/+$/, ''), token, source, ...trustFrom(flags.ca ?? env['BRINE_CA'], env, pinned) };
}

function trustFrom(caFile: string | undefined, env: NodeJS.ProcessEnv, pinned: string | undefined): TlsTrust {
  if (env['BRINE_FINGERPRINT']) return { fingerprint: env['BRINE_FINGERPRINT'] };
  if (caFile) {
    try {
      return { ca: readFileSync(caFile, 'utf8') };
    } catch (err) {
      throw new CliError(CliErrorCode.config, `cannot read the CA file ${caFile}: ${(err as Error).message}`);
    }
  }
  return pinned ? { fingerprint: pinned } : {};
}
