import { Writable } from 'node:stream';
import pino from 'pino';
import { firstValueFrom, from } from 'rxjs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { BeaconDefinition } from '@brine/extend';
import { beaconsConfigSchema, createBeacons } from '../beacons/beacons-config.js';
import { customBeacons } from './custom-beacon.js';

const poll = async (b: { poll(): unknown }) => firstValueFrom(from(b.poll() as never)) as Promise<unknown[]>;

function logged() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({}, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
  return { log, lines };
}

const diskFree: BeaconDefinition = {
  name: 'disk_free',
  doc: '',
  config: z.object({ path: z.string().default('/'), min_free_pct: z.number().max(100) }),
  intervalMs: 60_000,
  check: ({ config, grains }) => [
    { data: { path: (config as { path: string }).path, id: grains['id'] } },
    { tag: '../escape', data: {} },
    { tag: 'var/log', data: { n: 1 } },
  ],
};

describe('custom beacons in the beacon runner', () => {
  it('builds a configured custom beacon with its own schema, interval and grains, dropping bad tags', async () => {
    const { log, lines } = logged();
    const config = beaconsConfigSchema.parse({
      disk_free: { min_free_pct: 10 },
      root: { beacon_module: 'disk_free', min_free_pct: 5, interval_s: 2 },
    });
    const beacons = createBeacons(config, {
      log,
      custom: customBeacons(() => [diskFree], { grains: () => ({ id: 'web1' }), log }),
    });
    expect(beacons.map((b) => [b.name, b.intervalMs])).toEqual([
      ['disk_free', 60_000],
      ['root', 2000],
    ]);
    expect(await poll(beacons[0]!)).toEqual([
      { tag: '', data: { path: '/', id: 'web1' } },
      { tag: 'var/log', data: { n: 1 } },
    ]);
    expect(lines.find((l) => l['tag'] === '../escape')?.['msg']).toMatch(/dropped/);
  });

  it('leaves out, and logs, a beacon that is not loaded or whose options do not fit its schema', () => {
    const { log, lines } = logged();
    const config = beaconsConfigSchema.parse({ disk_free: { min_free_pct: 120 }, nosuch: {} });
    const beacons = createBeacons(config, {
      log,
      custom: customBeacons(() => [diskFree], { grains: () => ({}), log }),
    });
    expect(beacons).toEqual([]);
    expect(lines.map((l) => l['beacon'])).toEqual(['disk_free', 'nosuch']);
    expect(String(lines[0]!['err'])).toContain('beacons.disk_free: min_free_pct');
  });

  it('fails a poll whose check overruns its interval', async () => {
    const { log } = logged();
    const slow: BeaconDefinition = { ...diskFree, name: 'slow', intervalMs: 50, check: () => new Promise(() => {}) };
    const [b] = createBeacons(beaconsConfigSchema.parse({ slow: { min_free_pct: 1 } }), {
      log,
      custom: customBeacons(() => [slow], { grains: () => ({}), log }),
    });
    await expect(poll(b!)).rejects.toThrow(/overran its interval/);
  });
});
