/**
 * The loop of issue #19 across real processes: a file changed by hand on a minion -> the
 * inotify beacon -> the reactor on the master -> a job (`state.apply motd`: a `file.managed` from
 * `brine://`, run as the reactor identity) -> the file is restored, with every step on the bus.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { startCli, type LiveCli } from '../cli-helpers.js';

const ORIGINAL = 'Welcome to Brine\n';
let cluster: Cluster;
let base: string;
let target: string;
let events: LiveCli;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-restore-'));
  const roots = join(base, 'srv');
  mkdirSync(join(roots, 'reactor'), { recursive: true });
  writeFileSync(join(roots, 'motd'), ORIGINAL);
  target = join(base, 'host', 'motd');
  mkdirSync(join(base, 'host'));
  writeFileSync(target, ORIGINAL);
  // The state the reactor applies: the managed file, from the master's file_roots.
  writeFileSync(join(roots, 'motd.sls'), `${JSON.stringify(target)}:\n  file.managed:\n    - source: brine://motd\n`);
  writeFileSync(
    join(roots, 'reactor', 'restore.sls'),
    `restore_{{ data['id'] }}:
  local.state.apply:
    - tgt: {{ data['id'] }}
    - tgt_type: list
    - arg: [motd]
`,
  );
  cluster = await new Cluster({
    master: {
      file_roots: [roots],
      reactor: [{ 'brine/beacon/*/motd/*': { sls: ['brine://reactor/restore.sls'], key: 'minion' } }],
      acl: { reactor: [{ '*': ['state.apply'] }] },
    },
  }).start();
  events = startCli(
    cluster,
    BIN.brine,
    [
      'events',
      '--json',
      'brine/beacon/*',
      'brine/master/reactor/*',
      'brine/job/*/new',
      'brine/job/*/ret/*',
      'brine/minion/*/myapp/*',
    ],
    120_000,
  );
  cluster.startMinion('drift-1', {
    beacons: { motd: { beacon_module: 'inotify', paths: [target], content_only: true, interval_s: 0.2 } },
  });
  await cluster.waitConnected(['drift-1']);
});
afterAll(async () => {
  events?.kill();
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('event.send', () => {
  it("puts a minion's event on the bus under its own id, with data.id the sender", async () => {
    const run = await cluster.cli(BIN.brine, [
      'drift-1',
      'event.send',
      'myapp/deployed',
      '{"version": "1.2", "id": "other"}',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const m = await events.waitFor(/^.*"brine\/minion\/drift-1\/myapp\/deployed".*$/m, 20_000);
    expect(JSON.parse(m[0]).data).toEqual({ version: '1.2', id: 'drift-1' });
  });
});

describe('beacon -> reactor -> job', () => {
  it('restores a file changed by hand, every step on the bus', async () => {
    // The beacon arms its watcher at its first poll; a change before that is not seen, so change
    // the file until a restore is seen (each edit differs, so each one is a change of content).
    let edits = 0;
    await waitFor(
      async () => {
        if (readFileSync(target, 'utf8') === ORIGINAL && edits > 0) return true;
        writeFileSync(target, `changed by hand ${++edits}\n`);
        await new Promise((r) => setTimeout(r, 1000));
        return readFileSync(target, 'utf8') === ORIGINAL;
      },
      60_000,
      'the file to be restored',
    );
    const lines = () =>
      events
        .stdout()
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { tag: string; data: Record<string, unknown> });
    await waitFor(() => lines().some((e) => /^brine\/job\/\d+\/ret\/drift-1$/.test(e.tag)), 20_000, 'the ret event');
    const all = lines();
    const beacon = all.find((e) => e.tag.startsWith('brine/beacon/drift-1/motd/'));
    expect(beacon?.data).toMatchObject({ id: 'drift-1', path: target });
    const fired = all.find((e) => e.tag === 'brine/master/reactor/fired');
    expect(fired?.data).toMatchObject({ reaction: 'restore_drift-1', fun: 'state.apply', ok: true });
    const jid = fired!.data['jid'] as string;
    expect(all.some((e) => e.tag === `brine/job/${jid}/new`)).toBe(true);
    const ret = all.find((e) => e.tag === `brine/job/${jid}/ret/drift-1`);
    // The state run's own return: the file.managed state, which changed the file back.
    const states = Object.entries((ret?.data['ret'] ?? {}) as Record<string, { result: boolean; changes: object }>);
    expect(states).toHaveLength(1);
    expect(states[0]![0]).toMatch(/^file_\|-/);
    expect(states[0]![1]).toMatchObject({ result: true });
    expect(Object.keys(states[0]![1].changes)).not.toHaveLength(0);
    const job = await cluster.api<{ job: { user: string; fun: string } }>('GET', `/api/v1/jobs/${jid}`);
    expect(job.body.job).toMatchObject({ user: 'reactor', fun: 'state.apply' });
  });
});
