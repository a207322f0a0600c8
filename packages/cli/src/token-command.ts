import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { UsageError } from './args.js';
import { ApiClient } from './client.js';
import { commonOptions, runMain, type Io } from './common.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { hashPassword } from './password-hash.js';

/** A token as `GET /api/v1/tokens` lists it. */
interface TokenInfo {
  id: string;
  user: string;
  kind: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  createdBy?: string;
  description?: string;
}

const TTL_UNITS_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Parses `--ttl`: a count with a unit (`90s`, `12h`, `30d`, `2w`, `1y`); a bare number is seconds. */
export function parseTtl(value: string): number {
  const m = /^(\d+)([smhdwy]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * TTL_UNITS_S[m[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0)
    throw new UsageError(`--ttl: "${value}" is not a lifetime; expected a count and a unit, like 12h, 30d or 1y`);
  return seconds;
}

/** The id a token or id names (`<16 hex>` or `<16 hex>.<secret>`). */
export function tokenIdOf(arg: string): string {
  const id = arg.trim().split('.')[0] ?? '';
  if (!/^[0-9a-f]{16}$/.test(id))
    throw new UsageError(`"${arg.slice(0, 20)}" is neither a token nor a token id (16 hex digits)`);
  return id;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Builds `brine-token`: make, list and revoke API tokens, and hash passwords for the master config. */
export function tokenProgram(io: Io, readPassword: () => Promise<string>): Command {
  const program = new Command('brine-token').description(
    'Manage REST API tokens and password hashes for the master config.',
  );
  const client = (opts: Record<string, unknown>) => new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
  commonOptions(
    program
      .command('create')
      .description('make a long-lived token for a configured user (needs @tokens); prints the token once')
      .requiredOption('--user <name>', 'the user the token acts as; its ACL applies')
      .option('--ttl <lifetime>', 'how long the token is valid: 12h, 30d, 1y', '30d')
      .option('--description <text>', 'what the token is for, shown by list')
      .option('--out <format>', 'text (the token alone) or json', 'text'),
  ).action(async (opts: Record<string, unknown>) => {
    const body = {
      user: opts['user'],
      ttlSeconds: parseTtl(opts['ttl'] as string),
      ...(opts['description'] ? { description: opts['description'] } : {}),
    };
    const made = await client(opts).json<TokenInfo & { token: string }>('POST', '/api/v1/tokens', body);
    if (opts['out'] === 'json') return void io.stdout.write(JSON.stringify(made, null, 2) + '\n');
    io.stdout.write(`${made.token}\n`);
    io.stderr.write(`token ${made.id} for ${made.user}, valid until ${iso(made.expiresAt)}; it is not shown again\n`);
  });
  commonOptions(
    program
      .command('list')
      .description('tokens that have not expired (needs @tokens)')
      .option('--out <format>', 'text or json', 'text'),
  ).action(async (opts: Record<string, unknown>) => {
    const { tokens } = await client(opts).json<{ tokens: TokenInfo[] }>('GET', '/api/v1/tokens');
    if (opts['out'] === 'json') return void io.stdout.write(JSON.stringify(tokens, null, 2) + '\n');
    const rows = [['ID', 'USER', 'KIND', 'EXPIRES', 'STATE', 'DESCRIPTION']];
    for (const t of tokens)
      rows.push([
        t.id,
        t.user,
        t.kind,
        iso(t.expiresAt),
        t.revokedAt === undefined ? 'active' : 'revoked',
        t.description ?? '',
      ]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      io.stdout.write(
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
      );
  });
  commonOptions(
    program
      .command('revoke')
      .description('revoke a token, given the token or its id (needs @tokens)')
      .argument('<token-or-id>'),
  ).action(async (arg: string, opts: Record<string, unknown>) => {
    const res = await client(opts).json<{ id: string; user: string }>('DELETE', `/api/v1/tokens/${tokenIdOf(arg)}`);
    io.stdout.write(`token ${res.id} of ${res.user} revoked\n`);
  });
  program
    .command('hash-password')
    .description(
      'read a password (prompted twice on a terminal, else the first line of stdin) and print its scrypt hash',
    )
    .action(async () => {
      const password = await readPassword();
      if (password.length === 0) throw new UsageError('the password is empty');
      io.stdout.write(`${await hashPassword(password)}\n`);
    });
  program.addHelpText(
    'after',
    '\nExamples:\n  brine-token create --user ci --ttl 30d --description "GitHub deploy"\n  brine-token list\n  brine-token revoke 3f9a0c1d2e4b5a69\n  brine-token hash-password < password.txt\n',
  );
  return program;
}

async function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const answer = await rl.question('');
  rl.close();
  process.stderr.write('\n');
  return answer;
}

/** Reads the password for `hash-password`: hidden and twice on a terminal, the first line of a pipe. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden('Password: ');
    if (first !== (await promptHidden('Again: '))) throw new UsageError('the passwords do not match');
    return first;
  }
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

/** Runs `brine-token` with an argv and returns the exit code. */
export function runToken(argv: string[], io: Io): Promise<number> {
  return runMain(tokenProgram(io, readPassword), argv, io);
}
