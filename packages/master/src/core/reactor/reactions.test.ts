import { describe, expect, it } from 'vitest';
import { compileReactions } from './reactions.js';

describe('compileReactions', () => {
  it("compiles Salt's local form with tgt, tgt_type, arg, kwarg and args", () => {
    const r = compileReactions({
      restart: {
        'local.cmd.run': [
          { tgt: 'web*' },
          { tgt_type: 'glob' },
          { arg: ['systemctl restart nginx'] },
          { kwarg: { cwd: '/' } },
          { args: [{ runas: 'root' }] },
        ],
      },
    });
    expect(r).toMatchObject({
      ok: true,
      reactions: [
        {
          kind: 'local',
          id: 'restart',
          request: {
            target: 'web*',
            targetType: 'glob',
            fun: 'cmd.run',
            args: ['systemctl restart nginx'],
            kwargs: { cwd: '/', runas: 'root' },
          },
        },
      ],
    });
  });

  it('compiles runner and wheel forms, old style (direct keywords) and new style (args)', () => {
    const r = compileReactions({
      orch: { 'runner.state.orchestrate': [{ args: [{ mods: 'orch.deploy' }] }] },
      accept: { 'wheel.key.accept': [{ match: 'web1' }] },
    });
    expect(r).toEqual({
      ok: true,
      reactions: [
        { kind: 'runner', id: 'orch', fun: 'state.orchestrate', args: [], kwargs: { mods: 'orch.deploy' } },
        { kind: 'wheel', id: 'accept', fun: 'key.accept', args: [], kwargs: { match: 'web1' } },
      ],
    });
  });

  it("compiles a runner's arguments in each of Salt's forms: args, kwarg, arg, and direct keywords", () => {
    const r = compileReactions({
      a: { 'runner.state.orchestrate': [{ args: [{ mods: 'orch.a' }, { pillar: { x: 1 } }] }] },
      b: { 'runner.state.orchestrate': [{ kwarg: { mods: 'orch.b', pillar: { x: 2 } } }] },
      c: { 'runner.state.orchestrate': [{ arg: ['orch.c'] }, { kwarg: { saltenv: 'prod' } }] },
      d: { 'runner.state.orchestrate': [{ mods: 'orch.d' }, { pillar: { x: 4 } }] },
      e: { 'runner.state.orchestrate': [{ kwarg: ['mods', 'orch.e'] }] },
    });
    expect(r).toEqual({ ok: false, problem: { id: 'e', message: 'runner.state.orchestrate: kwarg is a mapping' } });
    const ok = compileReactions({
      a: { 'runner.state.orchestrate': [{ args: [{ mods: 'orch.a' }, { pillar: { x: 1 } }] }] },
      b: { 'runner.state.orchestrate': [{ kwarg: { mods: 'orch.b', pillar: { x: 2 } } }] },
      c: { 'runner.state.orchestrate': [{ arg: ['orch.c'] }, { kwarg: { saltenv: 'prod' } }] },
      d: { 'runner.state.orchestrate': [{ mods: 'orch.d' }, { pillar: { x: 4 } }] },
    });
    const runner = (id: string, args: unknown[], kwargs: Record<string, unknown>) => ({
      kind: 'runner',
      id,
      fun: 'state.orchestrate',
      args,
      kwargs,
    });
    expect(ok).toEqual({
      ok: true,
      reactions: [
        runner('a', [], { mods: 'orch.a', pillar: { x: 1 } }),
        runner('b', [], { mods: 'orch.b', pillar: { x: 2 } }),
        runner('c', ['orch.c'], { saltenv: 'prod' }),
        runner('d', [], { mods: 'orch.d', pillar: { x: 4 } }),
      ],
    });
  });

  it('compiles the native brine.job form with the API names', () => {
    const r = compileReactions({
      fix: { 'brine.job': { target: 'web1', target_type: 'list', fun: 'test.ping', timeout_ms: 5000 } },
    });
    expect(r).toMatchObject({
      ok: true,
      reactions: [
        { kind: 'local', request: { target: 'web1', targetType: 'list', fun: 'test.ping', timeoutMs: 5000 } },
      ],
    });
  });

  it('takes an empty render (every reaction skipped by Jinja) as no reactions', () => {
    expect(compileReactions(null)).toEqual({ ok: true, reactions: [] });
  });

  it.each([
    [{ r: { 'loca.cmd.run': [] } }, 'r', /unknown form/],
    [{ r: { 'local.cmd.run': [{ arg: ['x'] }] } }, 'r', /target/],
    [{ r: { 'local.cmd.run': [{ tgt: 'a' }, { bogus: 1 }] } }, 'r', /unknown parameter 'bogus'/],
    [{ r: { 'local.cmd.run': 'tgt' } }, 'r', /one-key mappings/],
    [{ r: { 'local.cmd.run': [], 'local.test.ping': [] } }, 'r', /exactly one form/],
  ])('names the reaction and the problem in %j', (data, id, message) => {
    const r = compileReactions(data);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.id).toBe(id);
      expect(r.problem.message).toMatch(message);
    }
  });
});
