import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, firstValueFrom, Subject, type Observable, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { RunnerFunctionSpec } from '@brine/extend';
import { apiFixture, type ApiFixture } from '../http/api.fixture.js';
import { masterCalls } from './master-calls.js';
import { reactorOrchestrate } from './reactor-orchestrate.js';
import { renderReactions } from './reactor-files.js';
import { startReactor, type MasterCall, type ReactionOutcome } from './reactor.js';

let fx: ApiFixture | undefined;
let reactor: Subscription | undefined;
let dir: string | undefined;

afterEach(async () => {
  reactor?.unsubscribe();
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  fx = reactor = dir = undefined;
});

/** An orchestration that pings the minion named by its pillar. */
const DEPLOY = `ping_{{ pillar.who }}:
  salt.function:
    - name: test.ping
    - tgt: {{ pillar.who }}
`;

/** A custom runner as `_runners/notify.ts` would define it: pings a minion as the caller. */
const NOTIFY: RunnerFunctionSpec = {
  doc: 'Ping a minion and say who asked.',
  params: ['who'],
  schema: z.object({ who: z.string() }),
  run: async (input: { who: string }, ctx) => ({
    user: ctx.user,
    pinged: await ctx.client.run({ target: input.who, targetType: 'list', fun: 'test.ping' }),
  }),
};

async function setUp(
  reaction: string,
  acl: unknown,
  stop$?: Observable<unknown>,
  runners?: Record<string, RunnerFunctionSpec>,
) {
  dir = mkdtempSync(join(tmpdir(), 'brine-reactor-orch-'));
  mkdirSync(join(dir, 'orch'));
  writeFileSync(join(dir, 'orch', 'deploy.sls'), DEPLOY);
  writeFileSync(
    join(dir, 'orch', 'wait.sls'),
    'first:\n  test.nop: []\nwait:\n  salt.wait_for_event:\n    - name: never/happens\n    - id_list: [web1]\n    - timeout: 600\n    - require:\n      - test: first\n',
  );
  writeFileSync(
    join(dir, 'orch', 'notify.sls'),
    'notify:\n  salt.runner:\n    - name: notify.ping\n    - who: {{ pillar.who }}\n',
  );
  writeFileSync(join(dir, 'react.sls'), reaction);
  const f = (fx = await apiFixture({ minions: { web1: {} }, acl: { reactor: acl } }));
  const s = f.s;
  const identity = { user: 'reactor', grants: s.acl.grantsFor('reactor', []) };
  const start = { manager: s.manager, registry: s.registry, audit: s.log };
  let n = 0;
  const calls: Record<string, MasterCall> = masterCalls({
    keys: s.keys,
    bus: s.bus,
    drift: s.metrics,
    orchestrate: reactorOrchestrate({
      run: {
        store: s.store,
        bus: s.bus,
        now: s.now,
        services: {
          fileRoots: [dir],
          newJid: () => `2026120700000000${String(++n).padStart(4, '0')}`,
          masterId: 'm_master',
        },
      },
      start,
      identity,
      bus: s.bus,
      manager: s.manager,
      calls: () => calls,
      ...(runners ? { runners: { runners: { find: async (fun) => runners[fun] }, log: s.log } } : {}),
      ...(stop$ ? { stop$ } : {}),
    }),
  });
  reactor = startReactor({
    bus: s.bus,
    start,
    identity,
    entries: [{ 'myapp/deploy': [join(dir, 'react.sls')] }],
    loopLimit: { max: 10, windowMs: 60_000 },
    concurrency: 4,
    scheduler: asyncScheduler,
    render: (file, context) => renderReactions(file, context, { fileRoots: [] }),
    calls,
    log: s.log,
  });
  return f;
}

const outcome = async (f: ApiFixture) =>
  (await firstValueFrom(f.s.bus.events$(['brine/master/reactor/fired', 'brine/master/reactor/refused'])))
    .data as ReactionOutcome;
const runRet = (f: ApiFixture) => firstValueFrom(f.s.bus.events$(['brine/run/*/ret']));

describe('runner.state.orchestrate reactions', () => {
  it("runs the orchestration as the reactor's identity, its steps under that ACL, the run on the bus", async () => {
    const f = await setUp(
      'deploy:\n  runner.state.orchestrate:\n    - args:\n      - mods: orch.deploy\n      - pillar: { who: {{ data.id }} }\n',
      ['@runner', 'test.*'],
    );
    const [fired, ret] = [outcome(f), runRet(f)];
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    const o = await fired;
    expect(o).toMatchObject({ ok: true, fun: 'runner.state.orchestrate', reaction: 'deploy' });
    const done = await ret;
    expect(done.tag).toBe(`brine/run/${o.jid}/ret`);
    expect(done.data).toMatchObject({ success: true, user: 'reactor', fun: 'state.orchestrate' });
    const step = Object.values((done.data as { return: Record<string, { changes: { ret: unknown } }> }).return)[0];
    expect(step?.changes.ret).toEqual({ web1: true });
    expect(f.s.store.lookupJob(o.jid!)?.job).toMatchObject({ user: 'reactor', fun: 'state.orchestrate' });
    // The step's job: as the reactor, audited as the reactor's.
    expect(f.published.map((j) => j.fun)).toEqual(['test.ping']);
    expect(
      f.logs.find((l) => l['audit'] === true && l['source'] === 'reactor' && l['fun'] === 'test.ping'),
    ).toMatchObject({ user: 'reactor', outcome: 'ok', detail: `state.orchestrate ${o.jid}` });
    expect(f.logs.find((l) => l['audit'] === true && l['fun'] === 'runner.state.orchestrate')).toMatchObject({
      user: 'reactor',
      outcome: 'ok',
      jid: o.jid,
    });
  });

  it("takes Salt's kwarg and positional forms, and fails a step its ACL does not allow", async () => {
    const f = await setUp(
      'deploy:\n  runner.state.orchestrate:\n    - arg: [orch.deploy]\n    - kwarg: { pillar: { who: web1 } }\n',
      ['@runner'],
    );
    const [fired, ret] = [outcome(f), runRet(f)];
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    expect(await fired).toMatchObject({ ok: true });
    expect((await ret).data).toMatchObject({ success: false });
    expect(f.published).toHaveLength(0);
  });

  it("calls a custom runner from a salt.runner step as the reactor, its jobs under the reactor's ACL", async () => {
    const f = await setUp(
      'notify:\n  runner.state.orchestrate:\n    - mods: orch.notify\n    - pillar: { who: {{ data.id }} }\n',
      ['@runner', 'test.*'],
      undefined,
      { 'notify.ping': NOTIFY },
    );
    const [fired, ret] = [outcome(f), runRet(f)];
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    const o = await fired;
    expect(o).toMatchObject({ ok: true });
    const done = (await ret).data as { success: boolean; return: Record<string, { changes: { return?: unknown } }> };
    expect(done.success).toBe(true);
    expect(Object.values(done.return)[0]?.changes.return).toEqual({
      user: 'reactor',
      pinged: [{ id: 'web1', outcome: 'returned', ret: true, success: true }],
    });
    expect(f.published.map((j) => j.fun)).toEqual(['test.ping']);
    expect(
      f.logs.find((l) => l['audit'] === true && l['source'] === 'reactor' && l['fun'] === 'test.ping'),
    ).toMatchObject({ user: 'reactor', outcome: 'ok', detail: `state.orchestrate ${o.jid} runner notify.ping` });
  });

  it('fails a custom runner step that @runner does not name, and one whose arguments do not validate', async () => {
    const f = await setUp(
      'notify:\n  runner.state.orchestrate:\n    - mods: orch.notify\n    - pillar: { who: web1 }\n',
      [{ '@runner': ['state.orchestrate'] }, 'test.*'],
      undefined,
      { 'notify.ping': NOTIFY },
    );
    const ret = runRet(f);
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    const done = (await ret).data as { success: boolean; return: Record<string, { comment: string }> };
    expect(done.success).toBe(false);
    expect(Object.values(done.return)[0]?.comment).toContain('ERR_AUTH_FORBIDDEN');
    expect(f.published).toHaveLength(0);
    reactor?.unsubscribe();
    await fx?.close();
    rmSync(dir!, { recursive: true, force: true });

    const g = await setUp(
      'notify:\n  runner.state.orchestrate:\n    - mods: orch.notify\n    - pillar: { who: 7 }\n',
      ['@runner', 'test.*'],
      undefined,
      { 'notify.ping': NOTIFY },
    );
    const bad = runRet(g);
    g.s.bus.publish('myapp/deploy', { id: 'web1' });
    const failed = (await bad).data as { success: boolean; return: Record<string, { comment: string }> };
    expect(failed.success).toBe(false);
    expect(Object.values(failed.return)[0]?.comment).toContain('ERR_REQUEST_INVALID');
  });

  it('ends a run still going when the master stops, recording it as unfinished', async () => {
    const stop$ = new Subject<void>();
    const f = await setUp('wait:\n  runner.state.orchestrate:\n    - mods: orch.wait\n', ['@runner'], stop$);
    const [fired, ret] = [outcome(f), runRet(f)];
    const firstStep = firstValueFrom(f.s.bus.events$(['brine/run/*/step']));
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    const o = await fired;
    // The run is under way (its first step is done, the second waits) when the master stops.
    expect((await firstStep).data).toMatchObject({ jid: o.jid, key: 'test_|-first_|-first_|-nop' });
    stop$.next();
    expect((await ret).data).toMatchObject({ jid: o.jid, success: false });
    expect(f.s.store.lookupJob(o.jid!)?.job.endedAt).toBeDefined();
  });

  it('refuses an orchestration without @runner, and one that names no mods', async () => {
    const f = await setUp('deploy:\n  runner.state.orchestrate:\n    - mods: orch.deploy\n', ['test.*']);
    const refused = outcome(f);
    f.s.bus.publish('myapp/deploy', { id: 'web1' });
    expect(await refused).toMatchObject({ ok: false, code: 'ERR_AUTH_FORBIDDEN' });
    reactor?.unsubscribe();
    await fx?.close();
    rmSync(dir!, { recursive: true, force: true });

    const g = await setUp('deploy:\n  runner.state.orchestrate:\n    - kwarg: { saltenv: base }\n', ['@runner']);
    const bad = outcome(g);
    g.s.bus.publish('myapp/deploy', { id: 'web1' });
    expect(await bad).toMatchObject({ ok: false, code: 'ERR_REACTOR_CALL_ARGS' });
    expect(g.s.store.listJobs()).toEqual([]);
  });

  it("holds the reaction's concurrency slot until the call it started has ended", async () => {
    dir = mkdtempSync(join(tmpdir(), 'brine-reactor-orch-'));
    writeFileSync(join(dir, 'react.sls'), 'go:\n  runner.state.orchestrate:\n    - mods: orch.long\n');
    const f = (fx = await apiFixture({ acl: { reactor: ['@runner'] } }));
    const finish: (() => void)[] = [];
    let n = 0;
    const long: MasterCall = () => ({
      jid: `2026120700000000000${++n}`,
      done: new Promise<void>((r) => finish.push(r)),
    });
    const fired: string[] = [];
    const counting = f.s.bus
      .events$(['brine/master/reactor/fired'])
      .subscribe((e) => fired.push((e.data as ReactionOutcome).jid!));
    reactor = startReactor({
      bus: f.s.bus,
      start: { manager: f.s.manager, registry: f.s.registry, audit: f.s.log },
      identity: { user: 'reactor', grants: f.s.acl.grantsFor('reactor', []) },
      entries: [{ 'myapp/deploy': [join(dir, 'react.sls')] }],
      loopLimit: { max: 10, windowMs: 60_000 },
      concurrency: 1,
      scheduler: asyncScheduler,
      render: (file, context) => renderReactions(file, context, { fileRoots: [] }),
      calls: { 'runner.state.orchestrate': long },
      log: f.s.log,
    });
    f.s.bus.publish('myapp/deploy', {});
    f.s.bus.publish('myapp/deploy', {});
    await vi.waitFor(() => expect(fired).toHaveLength(1));
    // The second event waits while the first orchestration runs, and reacts once it has ended.
    await new Promise((r) => setTimeout(r, 100));
    expect(fired).toHaveLength(1);
    finish[0]!();
    await vi.waitFor(() => expect(fired).toHaveLength(2));
    finish[1]!();
    counting.unsubscribe();
  });
});
