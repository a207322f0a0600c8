import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One minion's mine: function (or alias) → its last result. */
export type MineEntries = Record<string, unknown>;

/** Most mine entries one minion may hold: each `mine.send` of a new name adds one. */
export const MAX_MINE_ENTRIES = 256;

/**
 * The mine on the master: each minion's entries, kept in memory and written whole to one JSON
 * file in the state dir (`mine.json`, 0600) by rename, so a crash leaves the old file or the new
 * one. Writes are gathered for `saveDelayMs`: 10,000 minions updating their mine make a few
 * writes, not 10,000 of the whole file. Entries are only ever written under the id of the
 * connection that sent them (the frame has no id field).
 */
export class MineStore {
  readonly #file: string;
  readonly #data = new Map<string, MineEntries>();
  readonly #saveDelayMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(file: string, saveDelayMs = 1000) {
    this.#file = file;
    this.#saveDelayMs = saveDelayMs;
    if (existsSync(file)) {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null)
        for (const [id, entries] of Object.entries(parsed)) this.#data.set(id, entries as MineEntries);
    }
  }

  /**
   * Stores a minion's entries; `clear` replaces all of them (Salt's `mine.update` with
   * `clear=True`). Returns false, storing nothing, when the minion would hold more than
   * {@link MAX_MINE_ENTRIES}.
   */
  update(id: string, entries: MineEntries, clear = false): boolean {
    const next: MineEntries = clear ? {} : { ...this.#data.get(id) };
    for (const [fun, value] of Object.entries(entries))
      Object.defineProperty(next, fun, { value, enumerable: true, writable: true, configurable: true });
    if (Object.keys(next).length > MAX_MINE_ENTRIES) return false;
    this.#data.set(id, next);
    this.#save();
    return true;
  }

  /** Drops one entry of a minion, or all of them without `fun`; returns whether anything went. */
  delete(id: string, fun?: string): boolean {
    const entries = this.#data.get(id);
    if (entries === undefined) return false;
    if (fun === undefined) this.#data.delete(id);
    else if (Object.hasOwn(entries, fun)) delete entries[fun];
    else return false;
    this.#save();
    return true;
  }

  /** A minion's entry for `fun`, or `undefined`. */
  read(id: string, fun: string): unknown {
    const entries = this.#data.get(id);
    return entries !== undefined && Object.hasOwn(entries, fun) ? entries[fun] : undefined;
  }

  /** Writes pending changes now (at shutdown). */
  flush(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write();
  }

  #save(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#write();
    }, this.#saveDelayMs);
    this.#timer.unref();
  }

  #write(): void {
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(Object.fromEntries(this.#data)), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
