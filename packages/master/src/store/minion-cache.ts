import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

  /** Saves a minion's grains when they changed since the last save. */
  save(id: string, grains: Record<string, unknown>, lastSeen: number): void {
    const text = JSON.stringify(grains);
    if (this.#last.get(id) === text) return;
    this.#last.set(id, text);
    const file = join(this.#dir, `${id}.json`);
    writeFileSync(file + '.tmp', JSON.stringify({ grains, lastSeen }), { mode: 0o600 });
    renameSync(file + '.tmp', file);
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
