/**
 * salt-api clients against a real master and minions, with requests shaped as the clients shape
 * them (issue #14): a browser UI (SaltGUI's Api.js: fetch() with a JSON string body and no
 * Content-Type, the session cookie, /stats polling, EventSource on /events, its runner and wheel
 * calls) and pepper (every option on every call, unset ones null; jobs.lookup_jid by jid; /ws).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cluster, REPO_ROOT, waitFor } from '@brine/testing';

const BRINE_TOKEN_BIN = join(REPO_ROOT, 'packages/cli/dist/bin/brine-token.js');
const MINIONS = ['sc-a', 'sc-b'];
let cluster: Cluster;
let token = '';
let cookie = '';

/** SaltGUI's apiRequest: Accept JSON, X-Auth-Token from storage (empty before login), JSON.stringify body, no Content-Type. */
async function gui(method: 'GET' | 'POST', path: string, params?: unknown) {
  const res = await fetch(cluster.endpoints.api + path, {
    method,
    headers: { accept: 'application/json', 'cache-control': 'no-cache', 'x-auth-token': token },
    ...(method === 'POST' ? { body: JSON.stringify(params) } : {}),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown> & { return: unknown[] },
  };
}

/** pepper's req(): JSON with Content-Type and X-Requested-With, the token in X-Auth-Token. */
async function pepper(lowstate: unknown[]) {
  const res = await fetch(`${cluster.endpoints.api}/`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-requested-with': 'XMLHttpRequest',
      'x-auth-token': token,
    },
    body: JSON.stringify(lowstate),
  });
  return { status: res.status, body: (await res.json()) as { return: unknown[] } };
}

/** A lowstate chunk as pepper's CLI builds it: every option, unset ones null. */
const pepperLow = (client: string, fun: string, extra: Record<string, unknown> = {}) => ({
  client,
  tgt: 'sc-*',
  fun,
  arg: null,
  kwarg: null,
  tgt_type: 'glob',
  timeout: null,
  batch: null,
  ret: null,
  full_return: null,
  ...extra,
});

beforeAll(async () => {
  const hashed = spawnSync(process.execPath, [BRINE_TOKEN_BIN, 'hash-password'], {
    input: 'gui-pw\n',
    encoding: 'utf8',
  });
  expect(hashed.status, hashed.stderr).toBe(0);
  cluster = await new Cluster({
    minions: MINIONS,
    master: {
      users: { gui: { password_hash: hashed.stdout.trim() } },
      acl: { gui: ['test.*', 'sys.*', '@runner', '@wheel', '@events', '@minions'] },
    },
  }).start();
});
afterAll(async () => cluster?.stop());

describe('a browser UI (SaltGUI-shaped requests)', () => {
  it('logs in with fetch() and a text/plain body, and gets the session_id cookie', async () => {
    const login = await gui('POST', '/login', { eauth: 'pam', password: 'gui-pw', username: 'gui' });
    expect(login.status).toBe(200);
    const r = login.body.return[0] as { token: string; perms: unknown[]; expire: number };
    expect(r.perms.length).toBeGreaterThan(0);
    token = r.token;
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict$/);
    cookie = setCookie.split(';')[0]!;
  });

  it('polls GET /stats with its token, and with the cookie alone', async () => {
    expect((await gui('GET', '/stats')).status).toBe(200);
    const byCookie = await fetch(`${cluster.endpoints.api}/stats`, { headers: { cookie } });
    expect(byCookie.status).toBe(200);
    expect(await byCookie.json()).toHaveProperty(['CherryPy Applications', 'Enabled'], true);
    expect((await fetch(`${cluster.endpoints.api}/stats`)).status).toBe(401);
  });

  it('reads its pages: key.list_all, minions.connected, manage.versions, doc.runner, local sys.doc', async () => {
    const keys = await gui('POST', '/', { client: 'wheel', fun: 'key.list_all' });
    expect((keys.body.return[0] as { data: { return: unknown } }).data.return).toMatchObject({
      local: ['master.pem', 'master.pub'],
      minions: MINIONS,
    });
    const connected = await gui('POST', '/', { client: 'wheel', fun: 'minions.connected' });
    expect((connected.body.return[0] as { data: { return: string[] } }).data.return.sort()).toEqual(MINIONS);
    const versions = (await gui('POST', '/', { client: 'runner', fun: 'manage.versions' })).body.return[0];
    expect(versions).toMatchObject({ 'Up to date': { 'sc-a': expect.any(String), 'sc-b': expect.any(String) } });
    const docs = (await gui('POST', '/', { client: 'runner', fun: 'doc.runner' })).body.return[0];
    expect(docs).toHaveProperty(['jobs.lookup_jid']);
    const sysdoc = await gui('POST', '/', {
      client: 'local',
      tgt: '*',
      tgt_type: 'glob',
      fun: 'sys.doc',
      arg: ['test.ping'],
    });
    expect(sysdoc.body.return[0]).toMatchObject({ 'sc-a': { 'test.ping': expect.any(String) } });
  });

  it('follows a job on /events (EventSource: cookie only) by Salt tags', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${cluster.endpoints.api}/events`, { headers: { cookie }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString('utf8');
      }
    })().catch(() => {});
    await waitFor(() => text.startsWith('retry: 400'), 10_000, 'the stream head');
    const started = await gui('POST', '/', { client: 'local_async', tgt: 'sc-a', fun: 'test.ping' });
    const jid = (started.body.return[0] as { jid: string }).jid;
    await waitFor(() => text.includes(`tag: salt/job/${jid}/ret/sc-a\n`), 20_000, 'the ret event');
    const record = text.split('\n\n').find((r) => r.startsWith(`tag: salt/job/${jid}/ret/sc-a`))!;
    const event = JSON.parse(record.split('\ndata: ')[1]!) as { tag: string; data: Record<string, unknown> };
    expect(event.data).toMatchObject({
      id: 'sc-a',
      jid,
      fun: 'test.ping',
      return: true,
      success: true,
      cmd: '_return',
    });
    expect(text).toContain(`tag: salt/job/${jid}/new\n`);
    ctrl.abort();
    await read;
  });
});

describe('pepper-shaped requests', () => {
  it('runs local, local_async and local_batch with every option sent, unset ones null', async () => {
    const ping = await pepper([pepperLow('local', 'test.ping')]);
    expect(ping.body).toEqual({ return: [{ 'sc-a': true, 'sc-b': true }] });
    const batch = await pepper([pepperLow('local_batch', 'test.ping')]);
    expect(Object.assign({}, ...batch.body.return)).toEqual({ 'sc-a': true, 'sc-b': true });
    const started = await pepper([pepperLow('local_async', 'test.echo', { arg: ['hello'] })]);
    const jid = (started.body.return[0] as { jid: string }).jid;
    // pepper's lookup_jid sends jid=...; its runner() sends arg: [jid]. Both wait for the returns.
    const lookup = await waitFor(
      async () => {
        const r = (await pepper([{ client: 'runner', fun: 'jobs.lookup_jid', arg: [jid] }])).body.return[0];
        return Object.keys(r as object).length === 2 ? r : undefined;
      },
      20_000,
      'both returns in the job cache',
    );
    expect(lookup).toEqual({ 'sc-a': 'hello', 'sc-b': 'hello' });
    const raw = await fetch(`${cluster.endpoints.api}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: `[{"client": "runner", "fun": "jobs.lookup_jid", "jid": ${jid}}]`,
    });
    expect(await raw.json()).toEqual({ return: [{ 'sc-a': 'hello', 'sc-b': 'hello' }] });
  });

  it("answers {return: [{}]} for a target that matches nothing, and Salt's words for a missing function", async () => {
    expect((await pepper([pepperLow('local', 'test.ping', { tgt: 'nomatch-*' })])).body).toEqual({ return: [{}] });
    const admin = await fetch(`${cluster.endpoints.api}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.token}` },
      body: JSON.stringify([{ client: 'local', tgt: 'sc-a', fun: 'nosuch.fun' }]),
    });
    expect(await admin.json()).toEqual({ return: [{ 'sc-a': "'nosuch.fun' is not available." }] });
  });

  it('streams events over /ws/<token> once the client is ready', async () => {
    const ws = new WebSocket(`${cluster.endpoints.api.replace(/^http/, 'ws')}/ws/${token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const seen: string[] = [];
    ws.on('message', (m) => seen.push(String(m)));
    ws.send('websocket client ready');
    // The server subscribes when "ready" arrives; start jobs until one shows, not after a fixed wait.
    const jid = await waitFor(
      async () => {
        const found = seen.map((m) => /"tag":"salt\/job\/(\d{20})\/new"/.exec(m)?.[1]).find(Boolean);
        if (!found) await pepper([pepperLow('local_async', 'test.ping', { tgt: 'sc-b' })]);
        return found;
      },
      20_000,
      'a salt/job/<jid>/new message',
    );
    await waitFor(() => seen.some((m) => m.includes(`"tag":"salt/job/${jid}/ret/sc-b"`)), 20_000, 'its ret');
    expect(seen.every((m) => m.startsWith('data: ') && m.endsWith('\n\n'))).toBe(true);
    ws.close();
  });
});
