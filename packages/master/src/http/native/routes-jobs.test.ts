import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call, nextChunk } from '../api-call.fixture.js';

let fx: ApiFixture;
let web: string;
let ops: string;
let everywhere: string;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: { os: 'Debian' }, web2: { os: 'Debian' }, db1: { os: 'RedHat' } },
    users: { web: {}, ops: {}, everywhere: {} },
    acl: {
      web: [{ 'web*': ['test.*', { 'cmd.run': { args: ['ls *'] } }] }],
      ops: ['@jobs'],
      everywhere: ['test.ping'],
    },
  });
  web = fx.tokenFor('web');
  ops = fx.tokenFor('ops');
  everywhere = fx.tokenFor('everywhere');
});
afterAll(async () => fx?.close());

const run = (token: string, body: Record<string, unknown>, q = '') =>
  call(fx.app, 'POST', `/api/v1/jobs${q}`, { token, body });

describe('POST /api/v1/jobs with an ACL', () => {
  it('refuses with 403 a target partly outside the ACL, and publishes nothing (CVE-2022-22941)', async () => {
    const before = fx.published.length;
    const jobs = fx.s.store.listJobs({ limit: 1000 }).length;
    const res = await run(web, { target: '*', fun: 'test.ping' });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('ERR_AUTH_FORBIDDEN');
    expect(fx.published.length).toBe(before);
    expect(fx.s.store.listJobs({ limit: 1000 }).length).toBe(jobs);
  });

  it('refuses with 403 a target that selects no minion, unless the grant covers every minion', async () => {
    expect((await run(web, { target: 'nomatch*', fun: 'test.ping' })).status).toBe(403);
    const open = await run(everywhere, { target: 'nomatch*', fun: 'test.ping' });
    expect(open.status).toBe(404);
    expect(open.json.code).toBe('ERR_NO_MINIONS_MATCHED');
    expect((await run(fx.adminToken, { target: 'nomatch*', fun: 'test.ping' })).status).toBe(404);
  });

  it('runs a job whose every target is allowed, and ?wait=true gives every result', async () => {
    const res = await run(web, { target: 'web*', fun: 'test.ping' }, '?wait=true');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: true, summary: { targeted: 2, succeeded: 2 } });
    expect(Object.keys(res.json.minions).sort()).toEqual(['web1', 'web2']);
  });

  it('checks argument patterns: a command outside them is refused', async () => {
    expect((await run(web, { target: 'web1', fun: 'cmd.run', args: ['ls -l'] })).status).toBe(202);
    expect((await run(web, { target: 'web1', fun: 'cmd.run', args: ['rm -rf /'] })).status).toBe(403);
    expect((await run(web, { target: 'web1', fun: 'cmd.run', args: ['ls'], kwargs: { runas: 'root' } })).status).toBe(
      403,
    );
  });

  it('previews only what it would run, with the same refusals', async () => {
    expect((await run(web, { target: 'web*', fun: 'test.ping' }, '?preview=true')).json).toEqual({
      minions: ['web1', 'web2'],
    });
    expect((await run(web, { target: '*', fun: 'test.ping' }, '?preview=true')).status).toBe(403);
  });

  it('answers 400 with a stable code for a bad body or target', async () => {
    const bad = await run(fx.adminToken, { target: '*', fun: 'nodot' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'ERR_REQUEST_INVALID', message: expect.stringContaining('body.fun') });
    const syntax = await run(fx.adminToken, { target: 'G@os:Debian and (', targetType: 'compound', fun: 'test.ping' });
    expect(syntax.json.code).toBe('ERR_TARGET_SYNTAX');
    const json = await call(fx.app, 'POST', '/api/v1/jobs', {
      token: fx.adminToken,
      raw: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect((await call(fx.app, 'GET', '/api/v1/nothing', { token: fx.adminToken })).json).toEqual({
      code: 'ERR_NOT_FOUND',
      message: 'no such route',
    });
  });

  it('streams NDJSON from job.started to job.done', async () => {
    const res = await call(fx.app, 'POST', '/api/v1/jobs?stream=ndjson', {
      token: web,
      body: { target: 'web1', fun: 'test.echo', args: ['hi'] },
      keepStream: true,
    });
    let text = '';
    while (!text.includes('job.done')) text += await nextChunk(res.stream!);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['job.started', 'minion.result', 'job.done']);
    res.close!();
  });
});

describe('job visibility', () => {
  it('lists only your own jobs without @jobs, and every job with it', async () => {
    await run(fx.adminToken, { target: 'db1', fun: 'test.ping' });
    const mine = (await call(fx.app, 'GET', '/api/v1/jobs?user=root', { token: web })).json.jobs as { user: string }[];
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((j) => j.user))).toEqual(new Set(['web']));
    const all = (await call(fx.app, 'GET', '/api/v1/jobs', { token: ops })).json.jobs as { user: string }[];
    expect(new Set(all.map((j) => j.user))).toEqual(new Set(['web', 'root']));
  });

  it("refuses another user's job and its cancel with 403", async () => {
    const root = await run(fx.adminToken, { target: 'db1', fun: 'test.sleep' });
    expect((await call(fx.app, 'GET', `/api/v1/jobs/${root.json.jid}`, { token: web })).status).toBe(403);
    expect((await call(fx.app, 'DELETE', `/api/v1/jobs/${root.json.jid}`, { token: web })).status).toBe(403);
    expect((await call(fx.app, 'GET', `/api/v1/jobs/active`, { token: web })).json.jobs).toEqual([]);
    expect((await call(fx.app, 'DELETE', `/api/v1/jobs/${root.json.jid}`, { token: ops })).json).toEqual({
      jid: root.json.jid,
      cancelled: true,
    });
    expect((await call(fx.app, 'GET', '/api/v1/jobs/123', { token: ops })).status).toBe(400);
  });

  it('streams to a user only the events of its own jobs; minion events need @events', async () => {
    const stream = await call(fx.app, 'GET', '/api/v1/events', { token: web, keepStream: true });
    await nextChunk(stream.stream!);
    await run(fx.adminToken, { target: 'db1', fun: 'test.ping' }, '?wait=true');
    fx.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    const own = await run(web, { target: 'web1', fun: 'test.ping' }, '?wait=true');
    let text = '';
    while (!text.includes(`brine/job/${own.json.jid}/done`)) text += await nextChunk(stream.stream!);
    stream.close!();
    const tags = [...text.matchAll(/"tag":"([^"]+)"/g)].map((m) => m[1]!);
    expect(tags.length).toBeGreaterThan(2);
    expect(tags.every((t) => t.startsWith(`brine/job/${own.json.jid}/`))).toBe(true);
  });
});
