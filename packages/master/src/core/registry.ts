import { Observable, Subject } from 'rxjs';
import type { TargetFacts } from '@brine/protocol';
import { GrainsInterner } from './grains-intern.js';
import type { ConnectionChange, MinionLink } from './minion-link.js';

/** What the master knows of one accepted minion. */
export interface MinionInfo {
  id: string;
  grains: Record<string, unknown>;
  connected: boolean;
  /** When the minion last connected or disconnected, ms since epoch; 0 if never seen. */
  lastSeen: number;
  /** Remote address of the current connection. */
  address?: string;
}

interface Entry {
  info: MinionInfo;
  link?: MinionLink | undefined;
  /** The last compiled pillar, for `I@`/`J@` targets only; kept out of `info`, which the API lists. */
  pillar?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The registry of accepted minions, connected or not, with the live link of each connected one.
 * Targets are resolved against it. Connection changes are published on `changes$`.
 */
export class MinionRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #changes = new Subject<ConnectionChange>();
  readonly #grainsUpdates = new Subject<string>();
  readonly #now: () => number;
  readonly #grains = new GrainsInterner();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Adds or updates a known (accepted) minion that is not connected, e.g. from the cache at start. */
  remember(id: string, received: Record<string, unknown>, lastSeen: number): void {
    const grains = this.#grains.intern(received);
    const e = this.#entries.get(id);
    if (e) {
      e.info.grains = grains;
      return;
    }
    this.#entries.set(id, { info: { id, grains, connected: false, lastSeen } });
  }

  /** Records an authenticated connection; an older link of the same minion is closed. */
  attach(link: MinionLink, received: Record<string, unknown>, address?: string): void {
    const grains = this.#grains.intern(received);
    const old = this.#entries.get(link.id);
    if (old?.link && old.link !== link) old.link.close('replaced');
    const info: MinionInfo = { id: link.id, grains, connected: true, lastSeen: this.#now() };
    if (address !== undefined) info.address = address;
    this.#entries.set(link.id, { info, link, pillar: old?.pillar });
    this.#changes.next({ id: link.id, connected: true });
  }

  /** Records that a link closed; ignored if the minion has reconnected on a newer link since. */
  detach(link: MinionLink): void {
    const e = this.#entries.get(link.id);
    if (!e || e.link !== link) return;
    e.link = undefined;
    e.info.connected = false;
    e.info.lastSeen = this.#now();
    this.#changes.next({ id: link.id, connected: false });
  }

  /** Replaces a connected minion's grains (after a refresh), and says so on {@link grainsUpdates$}. */
  updateGrains(id: string, grains: Record<string, unknown>): void {
    const e = this.#entries.get(id);
    if (!e) return;
    e.info.grains = this.#grains.intern(grains);
    this.#grainsUpdates.next(id);
  }

  /**
   * Records a minion's last compiled pillar (or `undefined` when its compile failed or was
   * cleared), which `I@`/`J@` targets match against. Never listed by {@link list} or {@link get}.
   */
  setPillar(id: string, pillar: Readonly<Record<string, unknown>> | undefined): void {
    const e = this.#entries.get(id);
    if (e) e.pillar = pillar;
  }

  /**
   * The top-level keys of a minion's last compiled pillar, never its values (the console's minion
   * page); undefined when none is known (no pillar configured, not compiled yet, or it failed).
   */
  pillarKeys(id: string): string[] | undefined {
    const pillar = this.#entries.get(id)?.pillar;
    return pillar === undefined ? undefined : Object.keys(pillar).sort();
  }

  /** Forgets a minion whose key was deleted or rejected, closing its link. */
  forget(id: string, reason: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#entries.delete(id);
    if (e.link) {
      e.link.close(reason);
      this.#changes.next({ id, connected: false });
    }
  }

  /** The live link of a connected minion. */
  link(id: string): MinionLink | undefined {
    return this.#entries.get(id)?.link;
  }

  isConnected(id: string): boolean {
    return this.#entries.get(id)?.link !== undefined;
  }

  get(id: string): MinionInfo | undefined {
    return this.#entries.get(id)?.info;
  }

  /** Every known minion, in id order. */
  list(): MinionInfo[] {
    return [...this.#entries.values()].map((e) => e.info).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Ids of known minions the predicate selects, in id order. */
  select(match: (m: TargetFacts) => boolean): string[] {
    const ids: string[] = [];
    for (const e of this.#entries.values()) {
      const facts = e.pillar === undefined ? e.info : { id: e.info.id, grains: e.info.grains, pillar: e.pillar };
      if (match(facts)) ids.push(e.info.id);
    }
    return ids.sort();
  }

  get connectedCount(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.link) n++;
    return n;
  }

  /** Every connection change, as it happens. Never completes before `close`. */
  get changes$(): Observable<ConnectionChange> {
    return this.#changes.asObservable();
  }

  /**
   * The id of each minion whose grains {@link updateGrains} replaced while connected (a
   * `grains.update` frame), as it happens. Never completes before `close`.
   */
  get grainsUpdates$(): Observable<string> {
    return this.#grainsUpdates.asObservable();
  }

  /** Closes every link and completes `changes$` and `grainsUpdates$`. */
  close(reason: string): void {
    for (const e of this.#entries.values()) e.link?.close(reason);
    this.#changes.complete();
    this.#grainsUpdates.complete();
  }
}
