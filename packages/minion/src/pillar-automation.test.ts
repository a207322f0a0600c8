import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { automationFromPillar, readLastPillarAutomation, writeLastPillarAutomation } from './pillar-automation.js';

describe('automationFromPillar', () => {
  it('keeps the valid beacons and schedules of a pillar and names each bad entry', () => {
    const a = automationFromPillar({
      role: 'web',
      beacons: {
        status: { interval_s: 5 },
        disk: { beacon_module: 'diskusage', mounts: { '/': 120 } },
        nosuch: { beacon_module: 'no such' },
        my_check: { threshold: 3 },
      },
      schedule: {
        tick: { function: 'test.ping', seconds: 30 },
        bad: { function: 'test.ping', cron: '61 * * * *' },
      },
    });
    // A name that is not built in may be a custom beacon synced from the master: kept, its
    // options checked by its own schema once synced.
    expect(a.beacons).toEqual({ status: { interval_s: 5 }, my_check: { threshold: 3 } });
    expect(Object.keys(a.schedule)).toEqual(['tick']);
    expect(a.schedule['tick']).toMatchObject({ function: 'test.ping', seconds: 30, max_running: 1 });
    expect(a.problems).toEqual([
      expect.stringMatching(/^pillar beacons\.disk: mounts\.\/: .*100/),
      expect.stringMatching(/^pillar beacons\.nosuch: unknown beacon module 'no such'/),
      expect.stringMatching(/^pillar schedule\.bad: cron: invalid cron expression/),
    ]);
  });

  it('gives nothing for a pillar without the sections, and refuses sections that are not mappings', () => {
    expect(automationFromPillar({})).toEqual({ beacons: {}, schedule: {}, problems: [] });
    expect(automationFromPillar({ beacons: ['status'], schedule: 'hourly' }).problems).toEqual([
      'pillar beacons: a mapping of names to options',
      'pillar schedule: a mapping of names to options',
    ]);
  });

  it("keeps the last pillar's beacons and schedules for a start without the master, and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-pillar-auto-'));
    try {
      const file = join(dir, 'pillar-automation.json');
      expect(readLastPillarAutomation(file)).toEqual({});
      const a = automationFromPillar({
        secret: 'not kept',
        beacons: { status: {} },
        schedule: { tick: { function: 'test.ping', seconds: 30 } },
      });
      writeLastPillarAutomation(file, a);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const again = automationFromPillar(readLastPillarAutomation(file));
      expect(again).toEqual({ beacons: a.beacons, schedule: a.schedule, problems: [] });
      expect(JSON.stringify(readLastPillarAutomation(file))).not.toContain('not kept');
      writeFileSync(file, '{ torn');
      expect(readLastPillarAutomation(file)).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
