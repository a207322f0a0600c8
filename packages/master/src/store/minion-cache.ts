import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateMinionId } from '@brine/protocol';

/** A cached minion: its last grains and when it was last seen. */
export interface CachedMinion {
  id: string;
  grains: Record<string, unknown>;
  lastSeen: number;
}

/**
 * The master's cache of minion grains, one JSON file per minion (as Salt's minion data cache),
 * so that targets select accepted minions by grain while they are offline.
 */
export class MinionCache {
  readonly #dir: string;
  readonly #last = new Map<string, string>();
  #dirty = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Every cached minion; unreadable files are skipped. */
  load(): CachedMinion[] {
    const out: CachedMinion[] = [];
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (!validateMinionId(id).ok) continue;
      try {
        const text = readFileSync(join(this.#dir, name), 'utf8');
        const data = JSON.parse(text) as { grains?: Record<string, unknown>; lastSeen?: number };
        this.#last.set(id, JSON.stringify(data.grains ?? {}));
        out.push({ id, grains: data.grains ?? {}, lastSeen: data.lastSeen ?? 0 });
      } catch {
        continue;
      }
    }
    return out;
  }

  /**
   * Saves a minion's grains when they changed since the last save. The write happens off the hot
   * path, a second later and batched with others: ten thousand minions reconnecting after a
   * restart must not mean ten thousand synchronous file writes in the handshake. A lost write only
   * costs a stale grains cache for an offline minion, refreshed at its next connect.
   */
  save(id: string, grains: Record<string, unknown>, lastSeen: number): void {
    const text = JSON.stringify(grains);
    if (this.#last.get(id) === text) return;
    this.#last.set(id, text);
    this.#dirty.set(id, JSON.stringify({ grains, lastSeen }));
    this.#timer ??= setTimeout(() => void this.flush(), 1000);
  }

  /** Writes the grains saved since the last flush (each file atomically, by rename). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const dirty = this.#dirty;
    this.#dirty = new Map();
    for (const [id, text] of dirty) {
      const file = join(this.#dir, `${id}.json`);
      try {
        await writeFile(file + '.tmp', text, { mode: 0o600 });
        await rename(file + '.tmp', file);
      } catch {
        // The cache is advisory: the next connect rewrites it.
      }
    }
  }

  /** Writes what is pending synchronously (shutdown). */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [id, text] of this.#dirty) {
      const file = join(this.#dir, `${id}.json`);
      writeFileSync(file + '.tmp', text, { mode: 0o600 });
      renameSync(file + '.tmp', file);
    }
    this.#dirty.clear();
  }

  /** Forgets a minion (its key was deleted). */
  remove(id: string): void {
    this.#last.delete(id);
    try {
      renameSync(join(this.#dir, `${id}.json`), join(this.#dir, `.${id}.deleted`));
    } catch {
      // Not cached: nothing to remove.
    }
  }
}
