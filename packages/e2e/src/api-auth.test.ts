/**
 * Accounts, tokens, ACLs, salt-api and hooks against a real master process: a password hashed by
 * `brine-token hash-password` logs in, a CI token made by `brine-token create` survives a restart
 * and dies with `brine-token revoke`, and the audit log holds no token.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, REPO_ROOT, waitFor } from '@brine/testing';

const BRINE_TOKEN_BIN = join(REPO_ROOT, 'packages/cli/dist/bin/brine-token.js');
const HOOK_SECRET = 'e2e-hook-secret-0123456789';
let cluster: Cluster;
let alice: string;
let ci: string;

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(cluster.endpoints.api + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const hashed = spawnSync(process.execPath, [BRINE_TOKEN_BIN, 'hash-password'], {
    input: 'alice-pw\n',
    encoding: 'utf8',
  });
  expect(hashed.status, hashed.stderr).toBe(0);
  cluster = await new Cluster({
    minions: ['au-a', 'au-b'],
    master: {
      users: { alice: { password_hash: hashed.stdout.trim() }, ci: {} },
      acl: { alice: ['test.*', { '@tokens': ['ci'] }, '@jobs'], ci: [{ 'au-a': ['test.ping'] }] },
      hooks: { deploy: { secret: HOOK_SECRET, job: { target: 'au-b', fun: 'test.ping' } } },
    },
  }).start();
});
afterAll(async () => cluster?.stop());

describe('accounts and tokens on a real master', () => {
  it('logs in with a password hashed by brine-token hash-password', async () => {
    const res = await fetch(`${cluster.endpoints.api}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-pw' }),
    });
    expect(res.status).toBe(200);
    alice = ((await res.json()) as { token: string }).token;
    expect((await api(alice, 'GET', '/api/v1/whoami')).body).toMatchObject({ user: 'alice', admin: false });
  });

  it('makes a CI token with brine-token create, limited to its ACL', async () => {
    const made = await cluster.cli(BRINE_TOKEN_BIN, ['create', '--user', 'ci', '--ttl', '1d'], {
      env: { BRINE_TOKEN: alice },
    });
    expect(made.code, made.stderr).toBe(0);
    ci = made.stdout.trim();
    const ok = await api(ci, 'POST', '/api/v1/jobs?wait=true', { target: 'au-a', fun: 'test.ping' });
    expect(ok.body).toMatchObject({ success: true, summary: { targeted: 1 } });
    expect((await api(ci, 'POST', '/api/v1/jobs', { target: 'au-*', fun: 'test.ping' })).status).toBe(403);
    expect((await api(ci, 'GET', '/api/v1/keys')).status).toBe(403);
  });

  it('keeps the CI token hashed across a master restart, then refuses it once revoked, also after a restart', async () => {
    await cluster.killMaster('SIGTERM');
    await cluster.startMaster();
    expect(readFileSync(join(cluster.masterDir, 'tokens.json'), 'utf8')).not.toContain(ci.split('.')[1]);
    await cluster.waitConnected(['au-a', 'au-b']);
    expect((await api(ci, 'POST', '/api/v1/jobs?wait=true', { target: 'au-a', fun: 'test.ping' })).status).toBe(200);
    const revoked = await cluster.cli(BRINE_TOKEN_BIN, ['revoke', ci]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await api(ci, 'GET', '/api/v1/whoami')).status).toBe(401);
    await cluster.killMaster('SIGTERM');
    await cluster.startMaster();
    expect((await api(ci, 'GET', '/api/v1/whoami')).status).toBe(401);
    const listed = await cluster.cli(BRINE_TOKEN_BIN, ['list']);
    expect(listed.stdout).toMatch(new RegExp(`${ci.split('.')[0]}\\s+ci\\s+api\\s+\\S+\\s+revoked`));
  });

  it('speaks salt-api: login with eauth pam, then a lowstate with X-Auth-Token', async () => {
    await cluster.waitConnected(['au-a', 'au-b']);
    const login = await fetch(`${cluster.endpoints.api}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=alice-pw&eauth=pam',
    });
    const token = login.headers.get('x-auth-token')!;
    const res = await fetch(`${cluster.endpoints.api}/`, {
      method: 'POST',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: JSON.stringify([{ client: 'local', tgt: 'au-*', fun: 'test.ping' }]),
    });
    expect(await res.json()).toEqual({ return: [{ 'au-a': true, 'au-b': true }] });
  });

  it('runs a signed webhook job and writes audit lines without tokens', async () => {
    const body = JSON.stringify({ ref: 'main' });
    // Signed as docs/api.md shows: HMAC-SHA256 of "<unix seconds>.<body>".
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', HOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
    const res = await fetch(`${cluster.endpoints.api}/hooks/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-brine-timestamp': timestamp, 'x-brine-signature': signature },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, minions: ['au-b'] });
    const hookLine = (l: string) =>
      l.includes('"audit":true') && l.includes('"route":"/hooks/:name"') && l.includes('"user":"hook:deploy"');
    const log = await waitFor(
      () => {
        const text = readFileSync(join(cluster.dir, 'master.log'), 'utf8');
        return text.split('\n').some(hookLine) ? text : undefined;
      },
      5000,
      'the hook audit line',
    );
    for (const secret of [alice, ci, cluster.token, HOOK_SECRET, 'alice-pw']) expect(log).not.toContain(secret);
  });
});
