import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { firstValueFrom, from } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { loadMinionConfig } from '../config.js';
import { beaconsConfigSchema, createBeacons } from './beacons-config.js';
import { loadBeacon, memusageBeacon } from './host-beacons.js';
import { inotifyBeacon } from './inotify-beacon.js';
import { serviceBeacon } from './service-beacon.js';

const quiet = pino({ level: 'silent' });
const poll = async (b: { poll(): unknown }) => firstValueFrom(from(b.poll() as never)) as Promise<unknown[]>;

describe('beacon config', () => {
  it('names the beacon and the option that is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-beacon-cfg-'));
    try {
      writeFileSync(join(dir, 'm.yaml'), 'beacons:\n  disk:\n    beacon_module: diskusage\n    mounts: {"/": 120}\n');
      expect(() => loadMinionConfig(join(dir, 'm.yaml'), {})).toThrow(/beacons\.disk\.mounts\.\/: .*100/);
      writeFileSync(join(dir, 'm.yaml'), 'beacons:\n  odd:\n    beacon_module: "no such"\n');
      expect(() => loadMinionConfig(join(dir, 'm.yaml'), {})).toThrow(/beacons\.odd: unknown beacon module/);
      // Any other plain name may be a custom beacon synced later: its own schema checks it then.
      writeFileSync(join(dir, 'm.yaml'), 'beacons:\n  disk_free:\n    min_free_pct: 5\n');
      expect(loadMinionConfig(join(dir, 'm.yaml'), {}).beacons).toEqual({ disk_free: { min_free_pct: 5 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds each module with its default interval, and one module twice under two names', () => {
    const config = beaconsConfigSchema.parse({
      status: {},
      root_disk: { beacon_module: 'diskusage', mounts: { '/': 99 }, interval_s: 5 },
      tmp_disk: { beacon_module: 'diskusage', mounts: { '/tmp': 99 } },
    });
    const beacons = createBeacons(config, { log: quiet });
    expect(beacons.map((b) => [b.name, b.intervalMs])).toEqual([
      ['status', 60_000],
      ['root_disk', 5000],
      ['tmp_disk', 60_000],
    ]);
  });
});

describe('host beacons', () => {
  it('load and memusage report only at or over their thresholds', async () => {
    const high = loadBeacon('load', 1000, { '5m': 2 }, () => [0.5, 2.5, 1]);
    const low = loadBeacon('load', 1000, { '5m': 3 }, () => [0.5, 2.5, 1]);
    expect(await poll(high)).toEqual([{ tag: '', data: { '1m': 0.5, '5m': 2.5, '15m': 1 } }]);
    expect(await poll(low)).toEqual([]);
    const mem = memusageBeacon('memusage', 1000, 75, () => ({ total: 100, free: 20 }));
    expect(await poll(mem)).toEqual([{ tag: '', data: { memusage: 80, threshold: 75 } }]);
  });

  it('service reports a change of state only, unless asked for the state at startup', async () => {
    let running = true;
    const b = serviceBeacon('service', 1000, { services: ['nginx'], emitAtStartup: false, probe: async () => running });
    expect(await poll(b)).toEqual([]);
    expect(await poll(b)).toEqual([]);
    running = false;
    expect(await poll(b)).toEqual([{ tag: 'nginx', data: { service: 'nginx', running: false } }]);
  });
});

describe('inotify beacon', () => {
  it('reports a changed file once per poll, even when it is replaced by rename, and a restore with content_only not at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-inotify-'));
    const file = join(dir, 'motd');
    writeFileSync(file, 'hello\n');
    const logs: string[] = [];
    const log = pino({}, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
    const sentinel = join(dir, 'sentinel');
    writeFileSync(sentinel, '0');
    const b = inotifyBeacon('motd', 100, { paths: [file, sentinel], contentOnly: true, log });
    try {
      expect(await poll(b)).toEqual([]);
      writeFileSync(join(dir, 'motd.new'), 'changed by hand\n');
      const { renameSync } = await import('node:fs');
      renameSync(join(dir, 'motd.new'), file);
      const seen: unknown[] = [];
      await vi.waitFor(async () => {
        seen.push(...(await poll(b)));
        expect(seen).toHaveLength(1);
      });
      expect(seen[0]).toMatchObject({ tag: `${dir.slice(1)}/motd`, data: { path: file } });
      // Restored to what it was: a change of content again, reported once.
      writeFileSync(file, 'hello\n');
      await vi.waitFor(async () => expect(await poll(b)).toHaveLength(1));
      // The same content written again (a restore that finds nothing to do): nothing. The
      // sentinel, written after it, shows when the watcher has seen both writes.
      writeFileSync(file, 'hello\n');
      writeFileSync(sentinel, '1');
      const later: { data: { path: string } }[] = [];
      await vi.waitFor(async () => {
        later.push(...((await poll(b)) as typeof later));
        expect(later.some((e) => e.data.path === sentinel)).toBe(true);
      });
      expect(later.filter((e) => e.data.path === file)).toEqual([]);
    } finally {
      b.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
