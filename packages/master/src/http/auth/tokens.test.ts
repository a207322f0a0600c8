import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts, hashPassword, verifyPassword } from './accounts.js';
import { HttpErrorCode } from '../shared/errors.js';
import { TokenKind, TokenStore } from './tokens.js';

const CHEAP = { ln: 4, r: 8, p: 1 };
let dir: string;
let t: number;
const now = () => t;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brine-tokens-'));
  t = 1_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TokenStore', () => {
  it('accepts a token until 1 ms before its expiry and refuses it at the exact instant (CVE-2021-3144)', () => {
    const store = new TokenStore({ now });
    const { token } = store.issue({ user: 'ci', kind: TokenKind.api, ttlMs: 1000 });
    t += 999;
    expect(store.verify(token)?.user).toBe('ci');
    t += 1;
    expect(store.verify(token)).toBeUndefined();
    t += 1;
    expect(store.verify(token)).toBeUndefined();
  });

  it('refuses a revoked token, and a malformed, truncated or forged one', () => {
    const store = new TokenStore({ now });
    const { token, info } = store.issue({ user: 'ci', kind: TokenKind.api, ttlMs: 60_000 });
    for (const bad of ['', 'x', token.slice(0, -1), `${token}x`, `${info.id}.${'A'.repeat(43)}`, token.toUpperCase()])
      expect(store.verify(bad)).toBeUndefined();
    expect(store.revoke(info.id)?.revokedAt).toBe(t);
    expect(store.verify(token)).toBeUndefined();
  });

  it('persists hashed tokens across a reopen, never the token itself, in a 0600 file', () => {
    const file = join(dir, 'tokens.json');
    const a = new TokenStore({ file, now });
    const { token } = a.issue({ user: 'ci', kind: TokenKind.api, ttlMs: 60_000, description: 'deploy' });
    const admin = a.issue({ user: 'root', kind: TokenKind.admin, ttlMs: Number.POSITIVE_INFINITY });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token.split('.')[1]);
    expect(text).not.toContain(admin.info.id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = new TokenStore({ file, now });
    expect(b.verify(token)).toMatchObject({ user: 'ci', kind: 'api', description: 'deploy' });
    expect(b.verify(admin.token)).toBeUndefined();
  });

  it('keeps a revocation across a reopen and drops expired tokens from the file', () => {
    const file = join(dir, 'tokens.json');
    const a = new TokenStore({ file, now });
    const short = a.issue({ user: 'ci', kind: TokenKind.session, ttlMs: 10 });
    const long = a.issue({ user: 'ci', kind: TokenKind.api, ttlMs: 60_000 });
    a.revoke(long.info.id);
    t += 10;
    expect(new TokenStore({ file, now }).verify(long.token)).toBeUndefined();
    a.issue({ user: 'other', kind: TokenKind.api, ttlMs: 60_000 });
    expect(readFileSync(file, 'utf8')).not.toContain(short.info.id);
    expect(a.list().map((i) => i.id)).toContain(long.info.id);
  });

  it('refuses to open a corrupt file with ERR_MASTER_TOKEN_FILE rather than dropping tokens', () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, '{"version":1,"tokens":[{"id":"nothex"}]}');
    expect(() => new TokenStore({ file, now })).toThrow(expect.objectContaining({ code: HttpErrorCode.tokenFile }));
  });

  it('names a token by its id and cannot revoke the admin token', () => {
    const store = new TokenStore({ now });
    const admin = store.issue({ user: 'root', kind: TokenKind.admin, ttlMs: Number.POSITIVE_INFINITY });
    expect(TokenStore.idOf(admin.token)).toBe(admin.info.id);
    expect(TokenStore.idOf('not-a-token')).toBeUndefined();
    expect(store.revoke(admin.info.id)).toBeUndefined();
    expect(store.verify(admin.token)?.kind).toBe('admin');
  });
});

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const a = await hashPassword('s3cret', CHEAP);
    const b = await hashPassword('s3cret', CHEAP);
    expect(a).toMatch(/^scrypt\$ln=4,r=8,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret ', a)).toBe(false);
    expect(await verifyPassword('s3cret', 'scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$' + 'A'.repeat(44))).toBe(
      false,
    );
    expect(await verifyPassword('s3cret', 'plain')).toBe(false);
  });

  it('logs in only enabled users with a password hash', async () => {
    const hash = await hashPassword('pw', CHEAP);
    const accounts = new Accounts({
      alice: { password_hash: hash, groups: ['ops'], disabled: false },
      locked: { password_hash: hash, groups: [], disabled: true },
      ci: { groups: [], disabled: false },
    });
    expect(await accounts.login('alice', 'pw')).toEqual({ name: 'alice', groups: ['ops'] });
    expect(await accounts.login('alice', 'PW')).toBeUndefined();
    expect(await accounts.login('locked', 'pw')).toBeUndefined();
    expect(await accounts.login('ci', 'pw')).toBeUndefined();
    expect(await accounts.login('nobody', 'pw')).toBeUndefined();
    expect(accounts.get('ci')).toEqual({ name: 'ci', groups: [] });
    expect(accounts.get('locked')).toBeUndefined();
  });
});
