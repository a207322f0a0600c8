import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** Where the CLI sends requests, and with which token. */
export interface Credentials {
  url: string;
  token: string;
  source: string;
}

/** Default state directory of a master on this host, where it writes `cli.json`. */
export const DEFAULT_MASTER_DIR = '/var/lib/brine/master';

/**
 * Finds the master URL and token, first match wins:
 * 1. `--url` / `--token` flags; 2. `BRINE_URL` / `BRINE_TOKEN`; 3. the file named by
 * `BRINE_CONFIG` or `~/.config/brine/cli.json`; 4. the local admin credential a master on this
 * host writes to `<state_dir>/cli.json` (`BRINE_MASTER_DIR`, default /var/lib/brine/master),
 * readable by root only.
 */
export function resolveCredentials(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv): Credentials {
  const fromFile = (file: string): { url?: string; token?: string } | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as { url?: string; token?: string };
    } catch (err) {
      throw new CliError('ERR_CLI_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const candidates: [string, { url?: string | undefined; token?: string | undefined } | undefined][] = [
    ['flags', { url: flags.url, token: flags.token }],
    ['environment', { url: env['BRINE_URL'], token: env['BRINE_TOKEN'] }],
    ['config', fromFile(env['BRINE_CONFIG'] ?? join(homedir(), '.config', 'brine', 'cli.json'))],
    ['local master', fromFile(join(env['BRINE_MASTER_DIR'] ?? DEFAULT_MASTER_DIR, 'cli.json'))],
  ];
  let url: string | undefined;
  let token: string | undefined;
  let source = '';
  for (const [name, c] of candidates) {
    if (!c) continue;
    if (!url && c.url) {
      url = c.url;
      source = name;
    }
    token ??= c.token;
    if (url && token) break;
  }
  if (!url || !token) {
    throw new CliError(
      'ERR_AUTH_REQUIRED',
      'no master URL and token: pass --url/--token, set BRINE_URL/BRINE_TOKEN, or run on the master host (BRINE_MASTER_DIR)',
    );
  }
  return { url: url.replace(/\/+$/, ''), token, source };
}
