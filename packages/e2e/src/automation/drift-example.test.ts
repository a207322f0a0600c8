/**
 * examples/drift across real processes (issue #19): the example's master.yaml, its schedule run
 * once with `schedule.run_job` (`state.apply test=True`), and its reactor on the returns: a clean
 * host sets `brine_state_drift` to 0, a file changed by hand sets it to 1 and fires
 * `drift/<id>/detected`, and the test run leaves the file as it was.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { startCli, type LiveCli } from '../cli-helpers.js';

const EXAMPLE = join(fileURLToPath(import.meta.url), '../../../../../examples/drift');
const SERVED = readFileSync(join(EXAMPLE, 'srv', 'motd'), 'utf8');
let cluster: Cluster;
let base: string;
let target: string;
let events: LiveCli;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-drift-'));
  target = join(base, 'motd');
  writeFileSync(target, SERVED);
  const example = parse(readFileSync(join(EXAMPLE, 'master.yaml'), 'utf8')) as {
    schedule: { drift_check: { kwargs: Record<string, unknown> } & Record<string, unknown> };
  } & Record<string, unknown>;
  const check = example.schedule.drift_check;
  cluster = await new Cluster({
    master: {
      ...example,
      // Absolute roots (the example's are relative to the repository root), and the managed
      // file moved out of /etc through the state's pillar.
      file_roots: [join(EXAMPLE, 'srv')],
      schedule: { drift_check: { ...check, kwargs: { ...check.kwargs, pillar: { motd_path: target } } } },
      // The pillar= above is an override: the scheduler's identity needs the grant, as an API user would.
      acl: { ...(example['acl'] as Record<string, unknown[]>), scheduler: ['state.apply', '@pillar_override'] },
    },
  }).start();
  events = startCli(cluster, BIN.brine, ['events', '--json', 'drift/*', 'brine/master/reactor/*'], 120_000);
  cluster.startMinion('drift-1');
  await cluster.waitConnected(['drift-1']);
});
afterAll(async () => {
  events?.kill();
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

async function driftMetric(): Promise<string | undefined> {
  const res = await fetch(`${cluster.endpoints.api}/metrics`, {
    headers: { authorization: `Bearer ${cluster.token}` },
  });
  const text = await res.text();
  return /^brine_state_drift\{minion="drift-1"\} (\d+)$/m.exec(text)?.[1];
}

async function runCheck(): Promise<void> {
  const run = await cluster.cli(BIN.brineRun, ['schedule.run_job', 'drift_check']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

describe('the drift example', () => {
  it('reports no drift on a clean host, then the metric and event after a hand change', async () => {
    await runCheck();
    await waitFor(async () => (await driftMetric()) === '0', 60_000, 'brine_state_drift 0');
    expect(events.stdout()).not.toMatch(/drift\/drift-1\/detected/);

    writeFileSync(target, 'changed by hand\n');
    await runCheck();
    await waitFor(async () => (await driftMetric()) === '1', 60_000, 'brine_state_drift 1');
    const m = await events.waitFor(/^.*"drift\/drift-1\/detected".*$/m, 20_000);
    const event = JSON.parse(m[0]) as { data: { jid: string; states: string[] } };
    expect(event.data.states).toEqual([`file_|-${target}_|-${target}_|-managed`]);
    const job = await cluster.api<{ job: { user: string; fun: string } }>('GET', `/api/v1/jobs/${event.data.jid}`);
    expect(job.body.job).toMatchObject({ user: 'scheduler', fun: 'state.apply' });
    // test=True: the run predicted the change and made none.
    expect(readFileSync(target, 'utf8')).toBe('changed by hand\n');
  });
});
