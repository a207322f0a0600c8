import { statfs } from 'node:fs/promises';
import { defineBeacon } from '@brine/extend';
import { z } from 'zod';

/** A beacon that fires when the free space of a file system falls below a percentage. */
export default defineBeacon({
  name: 'disk_free',
  doc: `Fires {path, free_pct} when \`path\`'s file system has less than \`min_free_pct\` free.

Minion config:

    beacons:
      disk_free:
        path: /
        min_free_pct: 10`,
  config: z.object({ path: z.string().default('/'), min_free_pct: z.number().min(0).max(100).default(10) }),
  intervalMs: 60_000,
  check: async ({ config }) => {
    const st = await statfs(config.path);
    const free_pct = Math.round((st.bavail / st.blocks) * 1000) / 10;
    return free_pct < config.min_free_pct ? [{ data: { path: config.path, free_pct } }] : [];
  },
});
