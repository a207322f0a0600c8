import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateMinionId } from '@brine/protocol';

/** A cached minion: its last grains and when it was last seen. */
export interface CachedMinion {
  id: string;
  grains: Record<string, unknown>;
  lastSeen: number;
}

/** The journal's name inside the cache directory. */
export const GRAINS_JOURNAL = 'grains.jsonl';

/**
 * The master's cache of minion grains (Salt's minion data cache), so that targets select
 * accepted minions by grain while they are offline.
 *
 * It is one journal, `grains.jsonl`: a line per change (`{id, grains, lastSeen}`, or
 * `{id, deleted: true}`), the last line for an id winning. Changes are gathered for a second
 * and appended in one write: ten thousand minions connecting to a fresh master cost one append a
 * second, where a file per minion cost three file operations each (open, write, rename), which
 * were 9 % of the master's CPU while they ran. The journal is compacted when it is loaded, at
 * start-up. A lost append only costs a stale grains cache for an offline minion, refreshed at its
 * next connect.
 */
export class MinionCache {
  readonly #file: string;
  /** A digest of the last grains saved per minion: unchanged grains are not written again. */
  readonly #saved = new Map<string, string>();
  #dirty = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#file = join(dir, GRAINS_JOURNAL);
  }

  /** Every cached minion, and rewrites the journal with just those; unreadable lines are skipped. */
  load(): CachedMinion[] {
    const live = new Map<string, CachedMinion>();
    if (existsSync(this.#file)) {
      for (const line of readFileSync(this.#file, 'utf8').split('\n')) {
        const entry = parseLine(line);
        if (!entry) continue;
        if ('deleted' in entry) live.delete(entry.id);
        else live.set(entry.id, entry);
      }
    }
    const text = [...live.values()].map((m) => JSON.stringify(m) + '\n').join('');
    writeFileSync(this.#file + '.tmp', text, { mode: 0o600 });
    renameSync(this.#file + '.tmp', this.#file);
    for (const m of live.values()) this.#saved.set(m.id, digest(JSON.stringify(m.grains)));
    return [...live.values()];
  }

  /** Saves a minion's grains when they changed since the last save; written within a second. */
  save(id: string, grains: Record<string, unknown>, lastSeen: number): void {
    const text = JSON.stringify(grains);
    const d = digest(text);
    if (this.#saved.get(id) === d) return;
    this.#saved.set(id, d);
    this.#dirty.set(id, `{"id":${JSON.stringify(id)},"grains":${text},"lastSeen":${lastSeen}}\n`);
    this.#timer ??= setTimeout(() => void this.flush(), 1000);
  }

  /** Forgets a minion (its key was deleted). */
  remove(id: string): void {
    this.#saved.delete(id);
    this.#dirty.set(id, `{"id":${JSON.stringify(id)},"deleted":true}\n`);
    this.#timer ??= setTimeout(() => void this.flush(), 1000);
  }

  /** Appends the changes gathered since the last flush, in one write; appends never overlap. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return this.#writing;
    const text = [...this.#dirty.values()].join('');
    this.#dirty = new Map();
    this.#writing = this.#writing.then(() =>
      appendFile(this.#file, text, { mode: 0o600 }).catch(() => {
        // The cache is advisory: the next connect rewrites it.
      }),
    );
    return this.#writing;
  }

  /** Appends what is pending synchronously (shutdown). */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return;
    appendFileSync(this.#file, [...this.#dirty.values()].join(''), { mode: 0o600 });
    this.#dirty.clear();
  }
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

function parseLine(line: string): CachedMinion | { id: string; deleted: true } | undefined {
  if (!line) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { id, grains, lastSeen, deleted } = data as Record<string, unknown>;
  if (typeof id !== 'string' || !validateMinionId(id).ok) return undefined;
  if (deleted === true) return { id, deleted: true };
  if (typeof grains !== 'object' || grains === null || Array.isArray(grains)) return undefined;
  return { id, grains: grains as Record<string, unknown>, lastSeen: typeof lastSeen === 'number' ? lastSeen : 0 };
}
