import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateLock } from '../state-run/state-lock.js';
import { createRegistry } from './registry.js';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

async function setup(files: Record<string, string>, pillar: Record<string, unknown> = {}): Promise<TestContext> {
  t = await createTestContext({
    grains: { id: 'web1', os: 'Debian', os_family: 'Debian' },
    registry: createRegistry({ state: { pillar: async () => pillar } }),
  });
  for (const [path, text] of Object.entries(files)) {
    const full = join(t.fileRoot, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text.replaceAll('OUT', t.cacheDir));
  }
  return t;
}

type Results = Record<string, { result: boolean | null; changes: Record<string, unknown>; comment: string }>;

const motd = `
{% set greeting = pillar.get('greeting', 'hello') %}
motd:
  file.managed:
    - name: OUT/motd
    - contents: {{ greeting }} from {{ grains['id'] }}
later:
  test.succeed_without_changes:
    - require:
      - file: motd
`;

describe('state.apply', () => {
  it('applies an SLS from the master file server, then finds nothing to change', async () => {
    await setup({ 'app/init.sls': motd });
    const first = await callFunction(t.ctx, 'state.apply', ['app']);
    expect(first.retcode).toBe(0);
    const results = first.ret as Results;
    expect(results['file_|-motd_|-' + join(t.cacheDir, 'motd') + '_|-managed']?.changes).toHaveProperty('diff');
    expect(await readFile(join(t.cacheDir, 'motd'), 'utf8')).toBe('hello from web1\n');
    const second = await callFunction(t.ctx, 'state.apply', ['app']);
    expect(Object.values(second.ret as Results).every((r) => Object.keys(r.changes).length === 0)).toBe(true);
  });

  it('predicts with test=True and changes nothing, with the pillar override', async () => {
    await setup({ 'app/init.sls': motd });
    const out = await callFunction(t.ctx, 'state.apply', ['app'], { test: 'True', pillar: '{"greeting": "hi"}' });
    const results = Object.values(out.ret as Results);
    expect(results.map((r) => r.result)).toContain(null);
    await expect(readFile(join(t.cacheDir, 'motd'), 'utf8')).rejects.toThrow();
    await callFunction(t.ctx, 'state.apply', ['app'], { pillar: { greeting: 'hi' } });
    expect(await readFile(join(t.cacheDir, 'motd'), 'utf8')).toBe('hi from web1\n');
  });

  it('sends each state result as state progress while the run goes on', async () => {
    await setup({ 'app/init.sls': motd });
    await callFunction(t.ctx, 'state.apply', ['app']);
    const states = t.emitted.filter((e) => e.stream === 'state').map((e) => JSON.parse(e.data) as { key: string });
    expect(states.map((s) => s.key.split('_|-')[1])).toEqual(['motd', 'later']);
  });

  it('applies the highstate from top.sls when no SLS is named', async () => {
    await setup({
      'top.sls': "base:\n  'web*':\n    - app\n  'db*':\n    - nothing\n",
      'app/init.sls': motd,
    });
    const out = await callFunction(t.ctx, 'state.apply');
    expect(Object.keys(out.ret as Results)).toHaveLength(2);
    const top = await callFunction(t.ctx, 'state.show_top');
    expect(top.ret).toEqual({ base: ['app'] });
  });

  it('syncs before a highstate, not before named SLS, and runs on when the sync fails', async () => {
    const synced: string[] = [];
    t = await createTestContext({
      grains: { id: 'web1', os: 'Debian', os_family: 'Debian' },
      registry: createRegistry({
        state: {
          beforeHighstate: async (ctx) => {
            synced.push(ctx.jid);
            if (synced.length === 2) throw new Error('master went away');
          },
        },
      }),
    });
    await mkdir(join(t.fileRoot, 'app'), { recursive: true });
    await writeFile(join(t.fileRoot, 'top.sls'), "base:\n  '*':\n    - app\n");
    await writeFile(join(t.fileRoot, 'app', 'init.sls'), motd.replaceAll('OUT', t.cacheDir));
    expect((await callFunction(t.ctx, 'state.apply')).retcode).toBe(0);
    expect(synced).toHaveLength(1);
    expect((await callFunction(t.ctx, 'state.apply', ['app'])).retcode).toBe(0);
    expect(synced).toHaveLength(1);
    const failedSync = await callFunction(t.ctx, 'state.highstate');
    expect(synced).toHaveLength(2);
    expect(failedSync.retcode).toBe(0);
  });

  it('reports a YAML error as a failed return naming file and line', async () => {
    await setup({ 'bad.sls': 'a:\n  test.nop: []\n b: [\n' });
    const out = await callFunction(t.ctx, 'state.apply', ['bad']);
    expect(out.retcode).toBe(1);
    expect(out.success).toBe(false);
    expect((out.ret as string[]).join('\n')).toMatch(/bad\.sls:\d+/);
  });

  it('reports an undefined Jinja variable with file and line', async () => {
    await setup({ 'bad.sls': 'a:\n  test.nop:\n    - name: {{ nope.x }}\n' });
    const out = await callFunction(t.ctx, 'state.apply', ['bad']);
    expect(out.retcode).toBe(1);
    expect((out.ret as string[]).join('\n')).toMatch(/bad\.sls:3/);
  });

  it('fails a state with a wrong argument and returns a non-zero retcode', async () => {
    await setup({ 'bad.sls': 'f:\n  file.managed:\n    - name: relative/path\n' });
    const out = await callFunction(t.ctx, 'state.apply', ['bad']);
    expect(out.retcode).toBe(2);
    const [r] = Object.values(out.ret as Results);
    expect(r?.result).toBe(false);
    expect(r?.comment).toMatch(/bad\.sls:1/);
  });

  it('refuses a second run while one runs, naming its jid, and queues with queue=True', async () => {
    const lock = createStateLock();
    t = await createTestContext({ registry: createRegistry({ state: { lock } }) });
    await writeFile(join(t.fileRoot, 'a.sls'), 'x:\n  test.nop: []\n');
    const held = lock.tryAcquire({ jid: '20250101000000000099', fun: 'state.apply', startedAt: Date.now() });
    if (!held.ok) throw new Error('lock not free');
    const refused = await callFunction(t.ctx, 'state.apply', ['a']);
    expect(refused.retcode).toBe(1);
    expect(String((refused.ret as string[])[0])).toContain('20250101000000000099');
    const running = await callFunction(t.ctx, 'state.running');
    expect((running.ret as string[]).join()).toContain('20250101000000000099');
    const queued = callFunction(t.ctx, 'state.apply', ['a'], { queue: true });
    await expect.poll(() => lock.queued().length).toBe(1);
    held.release();
    expect((await queued).retcode).toBe(0);
  });

  it('runs one state with state.single and shows low states', async () => {
    await setup({ 'app/init.sls': motd });
    const single = await callFunction(t.ctx, 'state.single', ['test.succeed_with_changes', 'x']);
    expect(Object.keys(single.ret as Results)).toEqual(['test_|-x_|-x_|-succeed_with_changes']);
    const low = await callFunction(t.ctx, 'state.show_lowstate', ['app']);
    expect((low.ret as { __id__: string }[]).map((l) => l.__id__)).toEqual(['motd', 'later']);
    const id = await callFunction(t.ctx, 'state.sls_id', ['later', 'app']);
    expect(Object.keys(id.ret as Results)).toHaveLength(1);
  });
});
