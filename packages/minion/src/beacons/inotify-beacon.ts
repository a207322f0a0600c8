import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Beacon, BeaconEvent } from './beacon.js';
import { pathTag } from './host-beacons.js';

/** What the inotify beacon is given. */
export interface InotifyOptions {
  /** Files and directories to watch. A file is watched through its directory, so a file replaced by rename (editors, `cp`) is still seen. */
  paths: readonly string[];
  /**
   * Files only: report a change only when the content differs from the last content reported
   * (sha256). A job that restores a file to what it was reports nothing, so a restore does not
   * trigger itself forever.
   */
  contentOnly: boolean;
  log: Logger;
}

async function digest(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * `inotify`: file changes under the watched paths (fs.watch), gathered between polls and sent
 * once per path per poll, tagged with the path (`beacon/<name>/etc/motd`). A path that cannot be
 * watched yet (it does not exist) is logged and tried again at each poll.
 */
export function inotifyBeacon(name: string, intervalMs: number, o: InotifyOptions): Beacon {
  const watchers = new Map<string, FSWatcher>();
  const changed = new Map<string, string>();
  const hashes = new Map<string, string | undefined>();
  const failedBefore = new Set<string>();

  const arm = async (path: string): Promise<void> => {
    if (watchers.has(path)) return;
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch {
      // A missing file is watched through its directory: its creation is a change too.
    }
    const dir = isDir ? path : dirname(path);
    const file = isDir ? undefined : basename(path);
    try {
      const w = watch(dir, { persistent: false }, (event, filename) => {
        const name = filename?.toString();
        if (file !== undefined && name !== file) return;
        changed.set(file !== undefined ? path : name ? join(path, name) : path, event);
      });
      w.on('error', (err) => {
        o.log.warn({ path, err: err.message }, 'inotify watch failed; retried at the next poll');
        w.close();
        watchers.delete(path);
      });
      watchers.set(path, w);
      failedBefore.delete(path);
      if (file !== undefined && o.contentOnly && !hashes.has(path)) hashes.set(path, await digest(path));
    } catch (err) {
      if (!failedBefore.has(path))
        o.log.warn({ path, err: (err as Error).message }, 'cannot watch path; retried at each poll');
      failedBefore.add(path);
    }
  };

  return {
    name,
    intervalMs,
    poll: async () => {
      for (const p of o.paths) await arm(p);
      const events: BeaconEvent[] = [];
      const batch = [...changed];
      changed.clear();
      for (const [path, change] of batch) {
        if (o.contentOnly && o.paths.includes(path)) {
          const now = await digest(path);
          if (hashes.get(path) === now) continue;
          hashes.set(path, now);
        }
        events.push({ tag: pathTag(path), data: { path, change } });
      }
      return events;
    },
    close: () => {
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
