/**
 * Beacons and a schedule from a minion's pillar across real processes (issue #19): pillar gives
 * the minion a beacon and a schedule entry, both run; the pillar is changed and refreshed
 * (`saltutil.refresh_pillar`), and the change takes effect: the removed beacon stops, the new
 * one starts, and the changed schedule entry runs its new job. A minion restarted while the
 * master is down runs the last pillar's beacons and schedules.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { startCli, type LiveCli } from '../cli-helpers.js';

let base: string;
let cluster: Cluster;
let events: LiveCli;

/** The pillar file every minion gets: a status beacon under `beacon` and a schedule echoing `word`. */
function writePillar(beacon: string, word: string): void {
  writeFileSync(
    join(base, 'pillar', 'auto.sls'),
    JSON.stringify({
      beacons: { [beacon]: { beacon_module: 'status', interval_s: 1 } },
      schedule: { tick: { function: 'test.echo', args: [word], seconds: 1 } },
    }),
  );
}

interface Event {
  tag: string;
  data: Record<string, unknown>;
}

function seen(): Event[] {
  return events
    .stdout()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Event);
}
const beacons = (name: string) => seen().filter((e) => e.tag === `brine/beacon/pa-1/${name}`).length;
const ticks = (word: string) =>
  seen().filter(
    (e) => /^brine\/job\/\d+\/ret\/pa-1$/.test(e.tag) && e.data['schedule'] === 'tick' && e.data['ret'] === word,
  ).length;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-pillar-auto-'));
  mkdirSync(join(base, 'pillar'));
  writeFileSync(join(base, 'pillar', 'top.sls'), "base:\n  '*':\n    - auto\n");
  writePillar('heartbeat', 'one');
  cluster = new Cluster({ dir: base, master: { pillar_roots: { base: [join(base, 'pillar')] } } });
  await cluster.startMaster();
  events = startCli(cluster, BIN.brine, ['events', '--json', 'brine/beacon/*', 'brine/job/*/ret/*'], 120_000);
  cluster.startMinion('pa-1');
  await cluster.waitConnected(['pa-1']);
});
afterAll(async () => {
  events?.kill();
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('beacons and schedules from pillar', () => {
  it('runs what the pillar gives, and follows the pillar when it changes and is refreshed', async () => {
    await waitFor(() => beacons('heartbeat') >= 1 && ticks('one') >= 1, 30_000, 'the pillar beacon and schedule');
    const listed = await cluster.cli(BIN.brine, ['pa-1', 'schedule.list', '--out', 'json']);
    expect(listed.stdout).toContain('"source": "pillar"');

    writePillar('pulse', 'two');
    const refresh = await cluster.cli(BIN.brine, ['pa-1', 'saltutil.refresh_pillar']);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    await waitFor(() => beacons('pulse') >= 1 && ticks('two') >= 1, 30_000, 'the changed beacon and schedule');
    const [heartbeats, ones] = [beacons('heartbeat'), ticks('one')];
    await waitFor(() => beacons('pulse') >= 3 && ticks('two') >= 3, 30_000, 'more of the new ones');
    // The removed beacon and the schedule's old job have stopped.
    expect(beacons('heartbeat')).toBe(heartbeats);
    expect(ticks('one')).toBe(ones);
  });

  it("runs the last pillar's beacons and schedule after a restart while the master is down", async () => {
    await cluster.killMaster('SIGKILL');
    await cluster.killMinion('pa-1', 'SIGTERM');
    const log = join(base, 'minion-pa-1.log');
    const before = readFileSync(log, 'utf8').length;
    cluster.startMinion('pa-1');
    const since = () =>
      readFileSync(log, 'utf8')
        .slice(before)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(
      () =>
        since().some((l) => l['msg'] === 'scheduled job started' && l['schedule'] === 'tick') &&
        since().some((l) => l['beacon'] === 'pulse' && l['change'] === 'started'),
      30_000,
      "the pillar's schedule and beacon running without the master",
    );
  });
});
