import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One minion's mine: function (or alias) → its last result. */
export type MineEntries = Record<string, unknown>;

/**
 * The mine on the master: each minion's entries, kept in memory and written whole to one JSON
 * file in the state dir (`mine.json`, 0600) after each change, by rename so a crash leaves the
 * old file or the new one. Entries are only ever written under the id of the connection that
 * sent them (the frame has no id field).
 */
export class MineStore {
  readonly #file: string;
  readonly #data = new Map<string, MineEntries>();

  constructor(file: string) {
    this.#file = file;
    if (existsSync(file)) {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null)
        for (const [id, entries] of Object.entries(parsed)) this.#data.set(id, entries as MineEntries);
    }
  }

  /** Stores a minion's entries; `clear` replaces all of them (Salt's `mine.update` with `clear=True`). */
  update(id: string, entries: MineEntries, clear = false): void {
    const next: MineEntries = clear ? {} : { ...this.#data.get(id) };
    for (const [fun, value] of Object.entries(entries))
      Object.defineProperty(next, fun, { value, enumerable: true, writable: true, configurable: true });
    this.#data.set(id, next);
    this.#save();
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

  #save(): void {
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(Object.fromEntries(this.#data)), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
