import { statfs } from 'node:fs/promises';
import { freemem, loadavg, totalmem, uptime } from 'node:os';
import type { Beacon, BeaconEvent } from './beacon.js';

/** A tag part from a path: `/var/log` -> `var/log`, `/` -> `root`. */
export function pathTag(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length === 0 ? 'root' : parts.join('/');
}

/** `diskusage`: a mount whose use is at or over its threshold (percent), each poll while it is. */
export function diskusageBeacon(name: string, intervalMs: number, mounts: Readonly<Record<string, number>>): Beacon {
  return {
    name,
    intervalMs,
    poll: async () => {
      const events: BeaconEvent[] = [];
      for (const [mount, threshold] of Object.entries(mounts)) {
        const s = await statfs(mount);
        const total = s.blocks * s.bsize;
        const used = total - s.bfree * s.bsize;
        const percent = total === 0 ? 0 : Math.round((used / total) * 1000) / 10;
        if (percent >= threshold) events.push({ tag: pathTag(mount), data: { mount, diskusage: percent, threshold } });
      }
      return events;
    },
  };
}

/** The load average over 1, 5 and 15 minutes. */
export type LoadAverages = { '1m': number; '5m': number; '15m': number };

/** `load`: the load average, when any of the averages given is at or over its threshold. */
export function loadBeacon(
  name: string,
  intervalMs: number,
  thresholds: Partial<LoadAverages>,
  read: () => number[] = loadavg,
): Beacon {
  return {
    name,
    intervalMs,
    poll: () => {
      const [one = 0, five = 0, fifteen = 0] = read();
      const now: LoadAverages = { '1m': one, '5m': five, '15m': fifteen };
      const over = (Object.keys(thresholds) as (keyof LoadAverages)[]).some((k) => now[k] >= thresholds[k]!);
      return [over ? [{ tag: '', data: { ...now } }] : []];
    },
  };
}

/** `memusage`: used memory in percent, when it is at or over `percent`. */
export function memusageBeacon(
  name: string,
  intervalMs: number,
  percent: number,
  read: () => { total: number; free: number } = () => ({ total: totalmem(), free: freemem() }),
): Beacon {
  return {
    name,
    intervalMs,
    poll: () => {
      const { total, free } = read();
      const used = total === 0 ? 0 : Math.round(((total - free) / total) * 1000) / 10;
      return [used >= percent ? [{ tag: '', data: { memusage: used, threshold: percent } }] : []];
    },
  };
}

/** `status`: a snapshot of the host every interval (load, memory, uptime), like Salt's status beacon. */
export function statusBeacon(name: string, intervalMs: number): Beacon {
  return {
    name,
    intervalMs,
    poll: () => {
      const [one = 0, five = 0, fifteen = 0] = loadavg();
      return [
        [
          {
            tag: '',
            data: {
              loadavg: { '1m': one, '5m': five, '15m': fifteen },
              mem: { total: totalmem(), free: freemem() },
              uptimeS: Math.round(uptime()),
            },
          },
        ],
      ];
    },
  };
}
