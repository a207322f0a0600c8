/**
 * `runner.state.orchestrate` as a reaction across real processes (issue #19): an event from a
 * minion fires the reaction, the master runs the orchestration as the reactor's identity, its
 * `salt.state` step applies a state on the minion, and the file that state manages appears;
 * the run's own events (`brine/run/<jid>/new`, `.../ret`) are on the bus. A `salt.runner` step
 * calls a custom runner from `_runners/` (examples/extending's fleet.roles) as the reactor.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, REPO_ROOT, waitFor } from '@brine/testing';
import { startCli, type LiveCli } from '../cli-helpers.js';

let base: string;
let target: string;
let cluster: Cluster;
let events: LiveCli;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-react-orch-'));
  const roots = join(base, 'srv');
  mkdirSync(join(roots, 'orch'), { recursive: true });
  mkdirSync(join(roots, 'reactor'));
  target = join(base, 'deployed.txt');
  writeFileSync(
    join(roots, 'deployed.sls'),
    `${JSON.stringify(target)}:\n  file.managed:\n    - contents: "version {{ pillar.get('version', 'none') }}"\n`,
  );
  // The orchestration: the state above on the minion the reactor names in its pillar.
  writeFileSync(
    join(roots, 'orch', 'deploy.sls'),
    "deploy:\n  salt.state:\n    - tgt: {{ pillar['minion'] }}\n    - sls: [deployed]\n",
  );
  writeFileSync(
    join(roots, 'reactor', 'deploy.sls'),
    `orchestrate_deploy:
  runner.state.orchestrate:
    - args:
      - mods: orch.deploy
      - pillar:
          minion: {{ data['id'] }}
`,
  );
  // A custom runner on the master, and an orchestration whose salt.runner step calls it.
  mkdirSync(join(roots, '_runners'));
  copyFileSync(join(REPO_ROOT, 'examples/extending/_runners/fleet.ts'), join(roots, '_runners', 'fleet.ts'));
  writeFileSync(
    join(roots, 'orch', 'count.sls'),
    "roles:\n  salt.runner:\n    - name: fleet.roles\n    - target: '*'\n",
  );
  writeFileSync(join(roots, 'reactor', 'count.sls'), 'count:\n  runner.state.orchestrate:\n    - mods: orch.count\n');
  cluster = await new Cluster({
    dir: base,
    master: {
      file_roots: [roots],
      reactor: [
        { 'brine/minion/*/myapp/deploy': ['brine://reactor/deploy.sls'] },
        { 'brine/minion/*/myapp/count': ['brine://reactor/count.sls'] },
      ],
      acl: { reactor: ['@runner', { '*': ['state.sls', 'grains.get'] }] },
    },
  }).start();
  events = startCli(
    cluster,
    BIN.brine,
    ['events', '--json', 'brine/master/reactor/*', 'brine/run/*/new', 'brine/run/*/ret'],
    120_000,
  );
  cluster.startMinion('ro-1');
  await cluster.waitConnected(['ro-1']);
});
afterAll(async () => {
  events?.kill();
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('runner.state.orchestrate reaction', () => {
  it('runs the orchestration on an event: its state applies on the minion and the file appears', async () => {
    // The events stream may attach a moment after start: send until the reaction fires.
    await waitFor(
      async () => {
        await cluster.cli(BIN.brine, ['ro-1', 'event.send', 'myapp/deploy']);
        return events.stdout().includes('brine/master/reactor/fired');
      },
      30_000,
      'the reaction to fire',
    );
    await waitFor(() => existsSync(target), 30_000, 'the file the orchestrated state manages');
    expect(readFileSync(target, 'utf8')).toBe('version none\n');
    const fired = await events.waitFor(/^.*"brine\/master\/reactor\/fired".*$/m, 20_000);
    const outcome = (JSON.parse(fired[0]) as { data: { jid: string; fun: string; ok: boolean } }).data;
    expect(outcome).toMatchObject({ fun: 'runner.state.orchestrate', ok: true });
    const ret = await events.waitFor(new RegExp(`^.*"brine/run/${outcome.jid}/ret".*$`, 'm'), 30_000);
    expect((JSON.parse(ret[0]) as { data: unknown }).data).toMatchObject({ success: true, user: 'reactor' });
    const job = await cluster.api<{ job: { user: string; fun: string } }>('GET', `/api/v1/jobs/${outcome.jid}`);
    expect(job.body.job).toMatchObject({ user: 'reactor', fun: 'state.orchestrate' });
  });

  it('calls a custom runner from a salt.runner step, its job running as the reactor', async () => {
    const before = (events.stdout().match(/brine\/run\/\d+\/ret/g) ?? []).length;
    await cluster.cli(BIN.brine, ['ro-1', 'event.send', 'myapp/count']);
    await waitFor(
      () => (events.stdout().match(/brine\/run\/\d+\/ret/g) ?? []).length > before,
      30_000,
      'the orchestration to end',
    );
    const last = events
      .stdout()
      .split('\n')
      .filter((l) => l.includes('/ret"'))
      .at(-1)!;
    const ret = (JSON.parse(last) as { data: { success: boolean; user: string; return: Record<string, unknown> } })
      .data;
    expect(ret).toMatchObject({ success: true, user: 'reactor' });
    expect(Object.values(ret.return)[0]).toMatchObject({
      result: true,
      comment: "Runner function 'fleet.roles' executed.",
    });
    const jobs = await cluster.api<{ jobs: { fun: string; user: string }[] }>('GET', '/api/v1/jobs?fun=grains.get');
    expect(jobs.body.jobs).toEqual([expect.objectContaining({ fun: 'grains.get', user: 'reactor' })]);
  });
});
