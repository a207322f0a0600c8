import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call, nextChunk } from '../api-call.fixture.js';
import { ADMIN_USER } from '../auth/auth.js';

let fx: ApiFixture;
let roots: string;
const MASTER = 'box_master';

const DEPLOY = `
ping_web:
  salt.function:
    - name: test.ping
    - tgt: 'web*'
break_db:
  salt.function:
    - name: test.fail
    - tgt: db1
    - require:
      - salt: ping_web
after_db:
  test.nop:
    - require:
      - salt: break_db
`;

beforeAll(async () => {
  fx = await apiFixture({
    minions: Object.fromEntries(['web1', 'web2', 'db1'].map((id) => [id, { id }])),
    users: { alice: { password: 'alice' } },
    acl: { alice: [{ 'web*': ['test.*'] }] },
  });
  roots = mkdtempSync(join(tmpdir(), 'orch-roots-'));
  mkdirSync(join(roots, 'orch'));
  writeFileSync(join(roots, 'orch', 'deploy.sls'), DEPLOY);
  writeFileSync(
    join(roots, 'orch', 'custom.sls'),
    'echo:\n  salt.runner:\n    - name: demo.echo\n    - text: hi\nup:\n  salt.runner:\n    - name: manage.up\n',
  );
  writeFileSync(join(roots, 'orch', 'slow.sls'), "nap:\n  salt.function:\n    - name: test.sleep\n    - tgt: 'web*'\n");
  writeFileSync(join(roots, 'orch', 'db.sls'), 'ping_db:\n  salt.function:\n    - name: test.ping\n    - tgt: db1\n');
  let n = 0;
  fx.s.orchestrate = {
    fileRoots: [roots],
    newJid: () => `2026120700000000${String(++n).padStart(4, '0')}`,
    masterId: MASTER,
  };
});
afterAll(async () => {
  await fx?.close();
  rmSync(roots, { recursive: true, force: true });
});

const runner = (token: string, chunk: Record<string, unknown>) =>
  call(fx.app, 'POST', '/', {
    headers: { 'x-auth-token': token, accept: 'application/json' },
    body: [{ client: 'runner', ...chunk }],
  });

describe('state.orchestrate in the runner client', () => {
  it('runs the steps, skips the dependants of a failed step, and stores the run as a job', async () => {
    const steps: string[] = [];
    const sub = fx.s.bus.events$(['brine/run/*/step']).subscribe((e) => steps.push(e.tag));
    const res = await runner(fx.adminToken, { fun: 'state.orchestrate', mods: 'salt://orch/deploy.sls' });
    sub.unsubscribe();
    expect(res.status).toBe(200);
    const ret = res.json.return[0];
    expect(ret).toMatchObject({ outputter: 'highstate', retcode: 1 });
    const states = ret.data[MASTER] as Record<
      string,
      { __id__: string; result: boolean; comment: string; changes: unknown }
    >;
    const byId = Object.fromEntries(Object.values(states).map((r) => [r.__id__, r]));
    expect(byId['ping_web']).toMatchObject({ result: true, changes: { ret: { web1: true, web2: true } } });
    expect(byId['break_db']).toMatchObject({
      result: false,
      comment: 'Running function test.fail failed on minions: db1',
    });
    expect(byId['after_db']!.result).toBe(false);
    expect(byId['after_db']!.comment).toContain('break_db');
    expect(steps).toHaveLength(3);
    const stored = fx.s.store.lookupJob(ret.jid)!;
    expect(stored.job).toMatchObject({
      fun: 'state.orchestrate',
      target: MASTER,
      user: ADMIN_USER,
      args: ['salt://orch/deploy.sls'],
    });
    expect(stored.minions[0]).toMatchObject({ id: MASTER, outcome: 'returned', success: false });
  });

  it('answers the same under the alias state.orch, and runs no job under test=True', async () => {
    const before = fx.s.store.listJobs({ fun: 'test.*' }).length;
    const res = await runner(fx.adminToken, { fun: 'state.orch', mods: 'orch.deploy', test: true });
    const ret = res.json.return[0];
    expect(ret.retcode).toBe(0);
    const results = Object.values(ret.data[MASTER] as Record<string, { result: unknown }>).map((r) => r.result);
    expect(results).toEqual([null, null, true]);
    expect(fx.s.store.listJobs({ fun: 'test.*' }).length).toBe(before);
  });

  it("fails a step the caller's ACL refuses, naming the refusal", async () => {
    const res = await runner(fx.tokenFor('alice'), { fun: 'state.orchestrate', mods: 'orch.db' });
    expect(res.status).toBe(200);
    const ret = res.json.return[0];
    const [step] = Object.values(ret.data[MASTER] as Record<string, { result: boolean; comment: string }>);
    expect(step).toMatchObject({ result: false });
    expect(step!.comment).toMatch(/^ERR_AUTH_FORBIDDEN: /);
    expect(ret.retcode).toBe(1);
  });

  it("streams a run's step events to its caller, who lacks @events, and not another user's", async () => {
    const alice = fx.tokenFor('alice');
    const res = await call(fx.app, 'GET', `/api/v1/events?tags=${encodeURIComponent('brine/run/**')}`, {
      headers: { authorization: `Bearer ${alice}` },
      keepStream: true,
    });
    await nextChunk(res.stream!);
    await runner(fx.adminToken, { fun: 'state.orchestrate', mods: 'orch.db' });
    const mine = await runner(alice, { fun: 'state.orchestrate', mods: 'orch.db' });
    const chunk = await nextChunk(res.stream!);
    expect(chunk).toContain(`brine/run/${mine.json.return[0].jid}/new`);
    res.stream!.destroy();
  });

  it("runs built-in and custom _runners/ runners in salt.runner steps, refused without the caller's @runner", async () => {
    const res = await runner(fx.adminToken, { fun: 'state.orchestrate', mods: 'orch.custom' });
    const steps = Object.values(
      res.json.return[0].data[MASTER] as Record<
        string,
        { __id__: string; result: boolean; changes: unknown; comment: string }
      >,
    );
    const byId = Object.fromEntries(steps.map((r) => [r.__id__, r]));
    expect(byId['echo']).toMatchObject({ result: true, changes: { return: { text: 'hi', user: ADMIN_USER } } });
    expect(byId['up']).toMatchObject({ result: true });
    const refused = await runner(fx.tokenFor('alice'), { fun: 'state.orchestrate', mods: 'orch.custom' });
    const aliceSteps = Object.values(
      refused.json.return[0].data[MASTER] as Record<string, { __id__: string; comment: string }>,
    );
    expect(aliceSteps.find((r) => r.__id__ === 'echo')!.comment).toMatch(/ERR_AUTH_FORBIDDEN: .*demo\.echo/);
  });

  it('stops the run and cancels its step jobs when the caller disconnects', async () => {
    const url = await fx.app.listen({ host: '127.0.0.1', port: 0 });
    const abort = new AbortController();
    const answered = fetch(url + '/', {
      method: 'POST',
      headers: { 'x-auth-token': fx.adminToken, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify([{ client: 'runner', fun: 'state.orchestrate', mods: 'orch.slow' }]),
      signal: abort.signal,
    }).catch(() => 'aborted');
    await vi.waitFor(() => expect(fx.s.manager.active().some((j) => j.fun === 'test.sleep')).toBe(true), {
      timeout: 10_000,
    });
    const run = fx.s.store.listJobs({ fun: 'state.orchestrate' })[0]!;
    abort.abort();
    expect(await answered).toBe('aborted');
    await vi.waitFor(() => expect(fx.s.manager.active().some((j) => j.fun === 'test.sleep')).toBe(false), {
      timeout: 10_000,
    });
    await vi.waitFor(
      () => expect(fx.s.store.lookupJob(run.jid)!.minions[0]).toMatchObject({ outcome: 'returned', success: false }),
      { timeout: 10_000 },
    );
  });

  it('shows the high data with state.orchestrate_show_sls', async () => {
    const res = await runner(fx.adminToken, { fun: 'state.orchestrate_show_sls', mods: 'orch.db' });
    expect(res.json.return[0][MASTER]['ping_db']).toMatchObject({
      __sls__: 'orch.db',
      __env__: 'base',
      salt: expect.arrayContaining(['function', { name: 'test.ping' }, { tgt: 'db1' }]),
    });
  });
});
