import { NEVER, of, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from './client.js';
import type { Io } from './common.js';
import { ExitCode } from './exit-codes.js';
import { createPalette } from './output/ansi.js';
import { orchestrateChunk, runOrchestrate } from './orchestrate-command.js';

const KEY = 'salt_|-ping_web_|-test.ping_|-function';
const STEP = {
  __id__: 'ping_web',
  __sls__: 'orch.deploy',
  __run_num__: 0,
  name: 'test.ping',
  result: false,
  comment: 'Running function test.ping failed on minions: web2',
  changes: {},
  start_time: '00:00:00.000000',
  duration: 1,
};

function fakeClient(answer: unknown, events$: Observable<unknown>) {
  const sent: unknown[] = [];
  const client = {
    json: async (_m: string, _p: string, body: unknown) => {
      sent.push(body);
      return { return: [answer] };
    },
    sdk: { transport: { sse$: () => events$ } },
  } as unknown as ApiClient;
  return { client, sent };
}

function fakeIo(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env: {},
    exitCode: 0,
    stdout: { write: (s: string) => (io.out += s) },
    stderr: { write: (s: string) => (io.err += s) },
  };
  return io;
}

describe('brine-run state.orchestrate', () => {
  it('sends the first word as mods and the key=value words as kwargs', () => {
    expect(orchestrateChunk('state.orch', ['orch.deploy'], { test: true })).toEqual({
      client: 'runner',
      fun: 'state.orch',
      mods: 'orch.deploy',
      test: true,
    });
  });

  it('prints the run with the highstate outputter, each step live on stderr, and exits 1 when a step failed', async () => {
    const answer = { outputter: 'highstate', data: { box_master: { [KEY]: STEP } }, retcode: 1, jid: '1' };
    const events$ = of(
      { data: { tag: 'brine/run/9/new', data: { jid: '9', mods: ['other'] } } },
      { data: { tag: 'brine/run/1/new', data: { jid: '1', mods: ['orch.deploy'] } } },
      { data: { tag: 'brine/run/9/step', data: { result: { __id__: 'elsewhere', result: true } } } },
      { data: { tag: 'brine/run/1/step', data: { result: STEP } } },
      { data: { tag: 'brine/run/1/ret', data: {} } },
    );
    const { client, sent } = fakeClient(answer, events$);
    const io = fakeIo();
    const code = await runOrchestrate(
      client,
      io,
      { fun: 'state.orchestrate', args: ['orch.deploy'], kwargs: {} },
      { json: false, palette: createPalette(false) },
    );
    expect(sent).toEqual([[{ client: 'runner', fun: 'state.orchestrate', mods: 'orch.deploy' }]]);
    expect(io.err).toBe('[orchestrate] ping_web: failed\n');
    expect(io.out).toContain('box_master:');
    expect(io.out).toContain('Running function test.ping failed on minions: web2');
    expect(code).toBe(ExitCode.JOB_FAILED);
  });

  it('exits 0 when every step succeeded', async () => {
    const answer = { outputter: 'highstate', data: { box_master: { [KEY]: { ...STEP, result: true } } }, retcode: 0 };
    const { client } = fakeClient(answer, NEVER);
    const code = await runOrchestrate(
      client,
      fakeIo(),
      { fun: 'state.orch', args: ['orch.deploy'], kwargs: {} },
      { json: true, palette: createPalette(false) },
    );
    expect(code).toBe(ExitCode.OK);
  });
});
