import { readFile, statfs } from 'node:fs/promises';
import { loadavg, uptime } from 'node:os';
import { z } from 'zod';
import { withFileErrors } from './fs-errors.js';
import { absolutePath } from './schemas.js';
import { defineFunction, type ModuleFunction } from './types.js';

const uptimeFn = defineFunction({
  name: 'status.uptime',
  doc: `Returns how long the host has been up: {seconds, days, since} with since as an ISO time.

CLI Example:

    brine '*' status.uptime`,
  params: [],
  schema: z.object({}),
  run: async () => {
    const seconds = Math.floor(uptime());
    const since = new Date(Date.now() - seconds * 1000).toISOString();
    return { ret: { seconds, days: Math.floor(seconds / 86400), since } };
  },
});

const loadavgFn = defineFunction({
  name: 'status.loadavg',
  doc: `Returns the load averages as {"1-min", "5-min", "15-min"}.

CLI Example:

    brine '*' status.loadavg`,
  params: [],
  schema: z.object({}),
  run: async () => {
    const [one, five, fifteen] = loadavg();
    return { ret: { '1-min': one, '5-min': five, '15-min': fifteen } };
  },
});

const diskusage = defineFunction({
  name: 'status.diskusage',
  doc: `Returns disk usage in bytes, {path: {total, used, available, capacity}}, for the given paths
or, with none, for every mounted real (device-backed) file system in /proc/mounts.

CLI Example:

    brine '*' status.diskusage
    brine '*' status.diskusage / /var`,
  params: [],
  rest: 'paths',
  schema: z.object({ paths: z.array(absolutePath).default([]) }),
  run: async ({ paths }) => {
    const targets = paths.length > 0 ? paths : await realMounts();
    const out: Record<string, unknown> = {};
    for (const path of targets) {
      const fs = await withFileErrors(path, () => statfs(path));
      const used = (fs.blocks - fs.bfree) * fs.bsize;
      const available = fs.bavail * fs.bsize;
      out[path] = {
        total: fs.blocks * fs.bsize,
        used,
        available,
        // As df computes Use%: used over what a non-root user could have.
        capacity: `${used + available === 0 ? 0 : Math.ceil((used / (used + available)) * 100)}%`,
      };
    }
    return { ret: out };
  },
});

/** Mount points whose file system type is not `nodev` in /proc/filesystems (no proc, tmpfs, cgroup...). */
async function realMounts(): Promise<string[]> {
  const [mounts, filesystems] = await Promise.all([
    readFile('/proc/mounts', 'utf8'),
    readFile('/proc/filesystems', 'utf8'),
  ]);
  const virtual = new Set(
    filesystems
      .split('\n')
      .filter((l) => l.startsWith('nodev'))
      .map((l) => l.split('\t')[1]),
  );
  const points = new Set<string>();
  for (const line of mounts.split('\n')) {
    const [, point, type] = line.split(' ');
    if (point === undefined || type === undefined || virtual.has(type)) continue;
    // /proc/mounts escapes space, tab, newline and backslash as octal (\040).
    points.add(point.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return [...points].sort();
}

/** The `status.*` functions: uptime, loadavg, diskusage. */
export const statusFunctions: readonly ModuleFunction[] = [uptimeFn, loadavgFn, diskusage];
