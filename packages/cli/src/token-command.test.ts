import { scryptSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, type Io } from './common.js';
import { parseTtl, tokenIdOf, tokenProgram } from './token-command.js';

const TOKEN = `0123456789abcdef.${'s'.repeat(43)}`;
const seen: { method: string; url: string; body: string; auth: string }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization ?? '' });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/tokens' && req.method === 'POST')
        return res.end(
          JSON.stringify({
            token: TOKEN,
            id: '0123456789abcdef',
            user: 'ci',
            kind: 'api',
            createdAt: 0,
            expiresAt: 86_400_000,
          }),
        );
      if (req.url === '/api/v1/tokens')
        return res.end(
          JSON.stringify({
            tokens: [
              {
                id: '0123456789abcdef',
                user: 'ci',
                kind: 'api',
                createdAt: 0,
                expiresAt: 86_400_000,
                description: 'deploy',
              },
            ],
          }),
        );
      if (req.method === 'DELETE')
        return res.end(JSON.stringify({ id: '0123456789abcdef', revoked: true, user: 'ci' }));
      res.statusCode = 404;
      res.end(JSON.stringify({ code: 'ERR_NOT_FOUND', message: 'no' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function run(argv: string[], password = 'pw') {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { BRINE_URL: url, BRINE_TOKEN: 'admin' },
    exitCode: 0,
  };
  const code = await runMain(
    tokenProgram(io, async () => password),
    argv,
    io,
  );
  return { code, stdout, stderr };
}

describe('brine-token', () => {
  it('create posts the user and the lifetime in seconds, and prints the token alone on stdout', async () => {
    const r = await run(['create', '--user', 'ci', '--ttl', '30d', '--description', 'deploy']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${TOKEN}\n`);
    expect(r.stderr).toContain('token 0123456789abcdef for ci');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/tokens', auth: 'Bearer admin' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ user: 'ci', ttlSeconds: 2_592_000, description: 'deploy' });
  });

  it('list prints one row per token, and revoke takes a token or an id', async () => {
    expect((await run(['list'])).stdout).toMatch(
      /^ID\s+USER.*\n0123456789abcdef\s+ci\s+api\s+1970-01-02T00:00:00Z\s+active\s+deploy\n$/,
    );
    expect((await run(['revoke', TOKEN])).stdout).toBe('token 0123456789abcdef of ci revoked\n');
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/v1/tokens/0123456789abcdef' });
    expect((await run(['revoke', 'nope'])).code).toBe(64);
  });

  it('hash-password prints an scrypt hash the master format verifies', async () => {
    const r = await run(['hash-password'], 'correct horse');
    const m = /^scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$\n]+)\n$/.exec(r.stdout)!;
    expect(m).not.toBeNull();
    const key = scryptSync('correct horse', Buffer.from(m[4]!, 'base64'), 32, {
      N: 2 ** Number(m[1]),
      r: Number(m[2]),
      p: Number(m[3]),
      maxmem: 2 ** 26,
    });
    expect(key.toString('base64')).toBe(m[5]);
    expect((await run(['hash-password'], '')).code).toBe(64);
  });

  it('parses lifetimes and token ids strictly', () => {
    expect(parseTtl('12h')).toBe(43_200);
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('1y')).toBe(31_536_000);
    for (const bad of ['0d', '-1d', '1.5d', 'forever', '']) expect(() => parseTtl(bad)).toThrow(/--ttl/);
    expect(tokenIdOf('0123456789abcdef')).toBe('0123456789abcdef');
    expect(() => tokenIdOf('../etc')).toThrow();
  });
});
