import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, NEVER, of, Subject, toArray, type Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { JobRequest, MinionResult } from '@brine/protocol';
import { runStates$, type StateResult } from '@brine/state';
import type { BusEvent } from '../core/event-bus.js';
import type { JobEvent } from '../core/job-plan.js';
import { compileOrchestration, orchestrateRegistry, slsName } from './orchestrate.js';
import type { StepDeps, StepJobStart } from './salt-steps.js';

/** A fake job starter: each minion answers what `answer` says; refuses targets named `secret*`. */
function fakeDeps(answer: (req: JobRequest, id: string) => MinionResult, bus$ = new Subject<BusEvent>()) {
  const started: JobRequest[] = [];
  const cancelled: string[] = [];
  const deps: StepDeps = {
    start: (req): StepJobStart => {
      started.push(req);
      const target = String(req.target);
      if (target.startsWith('secret')) return { ok: false, code: 'ERR_AUTH_FORBIDDEN', message: 'alice may not' };
      const ids = target.split(',');
      if (req.fun === 'test.sleep')
        return { ok: true, job: { jid: '20261207000000000002', minions: ids, events$: NEVER } };
      const events: JobEvent[] = ids.map((id) => ({
        type: 'result',
        result: answer(req, id),
        attempt: 0,
        fromMinion: true,
      }));
      return { ok: true, job: { jid: '20261207000000000001', minions: ids, events$: of(...events) } };
    },
    runner: async (fun, kwargs) => {
      if (fun === 'no.such') throw new Error('ERR_RUNNER_UNKNOWN: no runner no.such');
      return { fun, kwargs };
    },
    wheel: async (fun) => ({ fun }),
    events$: (): Observable<BusEvent> => bus$,
    cancel: (jid) => cancelled.push(jid),
  };
  return { deps, started, bus$, cancelled };
}

const ok = (id: string, ret: unknown = true): MinionResult => ({ id, outcome: 'returned', success: true, ret });

async function orchestrate(
  sls: string,
  deps: StepDeps,
  options: { test?: boolean; pillar?: Record<string, unknown> } = {},
): Promise<Record<string, StateResult>> {
  const root = mkdtempSync(join(tmpdir(), 'orch-'));
  mkdirSync(join(root, 'orch'));
  writeFileSync(join(root, 'orch', 'run.sls'), sls);
  const compiled = await compileOrchestration([root], {
    mods: ['salt://orch/run.sls'],
    ...(options.pillar ? { pillar: options.pillar } : {}),
  });
  if (!compiled.ok) throw new Error(compiled.problems.map((p) => p.message).join('; '));
  const events = await lastValueFrom(
    runStates$(compiled.plan, orchestrateRegistry(deps), { test: options.test === true }).pipe(toArray()),
  );
  const last = events.at(-1)!;
  if (last.type !== 'return') throw new Error('no return');
  return Object.fromEntries(Object.values(last.results).map((r) => [r.__id__, r]));
}

describe('orchestration steps', () => {
  it('runs salt.function on the target and keeps each minion return under changes.ret', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id, `hello from ${id}`));
    const r = await orchestrate(
      'say:\n  salt.function:\n    - name: cmd.run\n    - tgt: a,b\n    - tgt_type: list\n    - arg:\n      - echo hi\n    - timeout: 30\n',
      deps,
    );
    expect(started[0]).toMatchObject({
      fun: 'cmd.run',
      target: 'a,b',
      targetType: 'list',
      args: ['echo hi'],
      timeoutMs: 30_000,
    });
    expect(r['say']).toMatchObject({
      result: true,
      changes: { ret: { a: 'hello from a', b: 'hello from b' } },
      comment: 'Function ran successfully. Function cmd.run ran on a, b.',
    });
  });

  it('fails a salt.function step when a minion fails or does not return, unless fail_minions names it', async () => {
    const answer = (_r: JobRequest, id: string): MinionResult =>
      id === 'a'
        ? { id, outcome: 'returned', success: false, retcode: 1, ret: 'boom' }
        : { id, outcome: 'timed_out', success: false, reason: 'job_timeout_running' };
    const { deps } = fakeDeps(answer);
    const r = await orchestrate(
      'one:\n  salt.function:\n    - name: cmd.run\n    - tgt: a,b\n    - tgt_type: list\n' +
        'two:\n  salt.function:\n    - name: cmd.run\n    - tgt: a,b\n    - tgt_type: list\n    - fail_minions: a,b\n',
      deps,
    );
    expect(r['one']).toMatchObject({ result: false, comment: 'Running function cmd.run failed on minions: a, b' });
    expect((r['one']!.changes as { ret: Record<string, unknown> }).ret['b']).toBe(
      'Minion did not return. [timed out, still running]',
    );
    expect(r['two']!.result).toBe(true);
  });

  it('runs salt.state as state.sls or state.highstate with pillar and test, failed when a minion failed', async () => {
    const stateRet = (changed: boolean) => ({
      'pkg_|-nginx_|-nginx_|-installed': { result: true, changes: changed ? { nginx: {} } : {} },
    });
    const { deps, started } = fakeDeps((req, id) =>
      id === 'db' ? { id, outcome: 'returned', success: false, ret: {} } : ok(id, stateRet(id === 'web1')),
    );
    const r = await orchestrate(
      'web:\n  salt.state:\n    - tgt: web1,web2\n    - tgt_type: list\n    - sls:\n      - nginx\n      - users\n    - pillar: {port: 8080}\n' +
        'hs:\n  salt.state:\n    - tgt: db\n    - tgt_type: list\n    - highstate: True\n',
      deps,
    );
    expect(started[0]).toMatchObject({ fun: 'state.sls', args: ['nginx,users'], kwargs: { pillar: { port: 8080 } } });
    expect(started[1]).toMatchObject({ fun: 'state.highstate' });
    expect(r['web']).toMatchObject({
      result: true,
      comment: 'States ran successfully. Updating web1. No changes made to web2.',
    });
    expect(Object.keys(r['web']!.changes)).toEqual(['web1']);
    expect(r['hs']).toMatchObject({ result: false, comment: 'Run failed on minions: db' });
  });

  it('fails a salt.state step with neither sls nor highstate, and a salt.function step with fail_function', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate(
      'x:\n  salt.state:\n    - tgt: a\n' +
        'y:\n  salt.function:\n    - name: test.ping\n    - tgt: a\n    - fail_function: mod.check\n',
      deps,
    );
    expect(r['x']).toMatchObject({ result: false, comment: 'No highstate or sls specified, no execution made' });
    expect(r['y']).toMatchObject({ result: false, comment: 'fail_function is not supported by Brine' });
    expect(started).toEqual([]);
  });

  it("cancels a running step's job when the run is unsubscribed", async () => {
    const { deps, started, cancelled } = fakeDeps((_r, id) => ok(id));
    const root = mkdtempSync(join(tmpdir(), 'orch-'));
    writeFileSync(join(root, 'slow.sls'), 'x:\n  salt.function:\n    - name: test.sleep\n    - tgt: a\n');
    const compiled = await compileOrchestration([root], { mods: ['slow'] });
    if (!compiled.ok) throw new Error('compile');
    const sub = runStates$(compiled.plan, orchestrateRegistry(deps)).subscribe();
    await vi.waitFor(() => expect(started).toHaveLength(1));
    sub.unsubscribe();
    expect(cancelled).toEqual(['20261207000000000002']);
  });

  it('reports a step the ACL refuses as a failed step naming the refusal', async () => {
    const { deps } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate('x:\n  salt.function:\n    - name: test.ping\n    - tgt: secret1\n', deps);
    expect(r['x']).toMatchObject({ result: false, comment: 'ERR_AUTH_FORBIDDEN: alice may not' });
  });

  it('stops the dependants of a failing step with a comment naming it', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate(
      'broken:\n  test.fail_without_changes: []\n' +
        'after:\n  salt.function:\n    - name: test.ping\n    - tgt: a\n    - require:\n      - test: broken\n' +
        'rescue:\n  test.succeed_with_changes:\n    - onfail:\n      - test: broken\n',
      deps,
    );
    expect(r['broken']!.result).toBe(false);
    expect(r['after']!.result).toBe(false);
    expect(r['after']!.comment).toContain('broken');
    expect(r['rescue']!.result).toBe(true);
    expect(started).toEqual([]);
  });

  it('starts no salt.function job under test=True and says what would run', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate(
      'x:\n  salt.function:\n    - name: cmd.run\n    - tgt: a\n    - arg: [reboot]\n',
      deps,
      { test: true },
    );
    expect(started).toEqual([]);
    expect(r['x']).toMatchObject({ result: null, comment: 'Function cmd.run would be executed on target a' });
  });

  it('passes test=True to the minions of a salt.state step under test=True', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id, {}));
    await orchestrate('x:\n  salt.state:\n    - tgt: a\n    - sls: nginx\n', deps, { test: true });
    expect(started[0]!.kwargs).toMatchObject({ test: true });
  });

  it('runs salt.runner and salt.wheel with the remaining kwargs, failed when the call rejects', async () => {
    const { deps } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate(
      'r:\n  salt.runner:\n    - name: manage.up\n    - tgt: web*\n' +
        'bad:\n  salt.runner:\n    - name: no.such\n' +
        'w:\n  salt.wheel:\n    - name: key.list_all\n',
      deps,
    );
    expect(r['r']).toMatchObject({ result: true, changes: { return: { fun: 'manage.up', kwargs: { tgt: 'web*' } } } });
    expect(r['bad']).toMatchObject({
      result: false,
      comment: "Runner function 'no.such' failed: ERR_RUNNER_UNKNOWN: no runner no.such",
    });
    expect(r['w']).toMatchObject({ result: true, comment: "Wheel function 'key.list_all' executed." });
  });

  it('waits in salt.wait_for_event until every id in id_list sent a matching event', async () => {
    const bus$ = new Subject<BusEvent>();
    const { deps } = fakeDeps((_r, id) => ok(id), bus$);
    const done = orchestrate(
      'w:\n  salt.wait_for_event:\n    - name: brine/minion/*/deployed\n    - id_list: [a, b]\n    - timeout: 20\n',
      deps,
    );
    const fire = (tag: string, data: unknown) => bus$.next({ tag, data, stamp: 0 });
    // Fired until the step listens: the bus is hot, as the master's is.
    const timer = setInterval(() => {
      fire('brine/minion/a/deployed', {});
      fire('brine/minion/c/deployed', {});
      fire('brine/other', { id: 'b' });
      fire('brine/minion/x/deployed', { data: { id: 'b' } });
    }, 5);
    const r = await done;
    clearInterval(timer);
    expect(r['w']!.result).toBe(true);
    expect((r['w']!.changes as { minions_seen: string[] }).minions_seen.sort()).toEqual(['a', 'b']);
  });

  it('fails salt.wait_for_event at its timeout', async () => {
    const { deps } = fakeDeps((_r, id) => ok(id));
    const r = await orchestrate(
      'w:\n  salt.wait_for_event:\n    - name: never\n    - id_list: [a]\n    - timeout: 0.05\n',
      deps,
    );
    expect(r['w']).toMatchObject({ result: false, comment: 'Timeout value reached.' });
  });

  it('renders the SLS with the request pillar', async () => {
    const { deps, started } = fakeDeps((_r, id) => ok(id));
    await orchestrate('x:\n  salt.function:\n    - name: test.ping\n    - tgt: {{ pillar["group"] }}\n', deps, {
      pillar: { group: 'db*' },
    });
    expect(started[0]!.target).toBe('db*');
  });

  it('names salt:// paths and plain names as SLS names', () => {
    expect(slsName('salt://orch/deploy.sls')).toBe('orch.deploy');
    expect(slsName('brine://orch/init.sls')).toBe('orch');
    expect(slsName('orch.deploy')).toBe('orch.deploy');
    expect(slsName('orch/deploy')).toBe('orch.deploy');
  });
});
