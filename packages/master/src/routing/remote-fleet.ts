import type { TargetFacts } from '@brine/protocol';
import { merge, type Observable } from 'rxjs';
import type { ConnectionChange, MinionLink } from '../core/minion-link.js';
import type { MinionInfo, MinionRegistry } from '../core/registry.js';

/** The registry as the job manager uses it. */
export type Fleet = Pick<MinionRegistry, 'select' | 'isConnected' | 'get' | 'link' | 'changes$'>;

/** What {@link remoteFleet} needs. */
export interface RemoteFleetDeps {
  registry: Fleet;
  /**
   * Which live master holds each minion (`sessionHolders`), this master's own rows included;
   * called before each selection, so it may also bring the registry up to date (shared grains).
   */
  holders(): Map<string, string>;
  masterId: string;
  /** Queues frame bytes for a minion another master holds. */
  send(id: string, bytes: Uint8Array): void;
  /** Connects of minions on other masters (their `brine/minion/<id>/connected` events). */
  remoteConnects$: Observable<ConnectionChange>;
}

/** A fleet across masters, and how to refresh its view of who holds whom. */
export interface RemoteFleet extends Fleet {
  /** Rereads which master holds which minion. */
  refresh(): void;
}

/**
 * This master's registry extended with the minions other live masters hold: a target resolves
 * over all of them (the registry knows their grains from `minion_grains`; one it has no entry
 * for at all matches on its id alone), such a minion counts as connected while its holder's lease runs, and its link hands
 * frames to its holder (see `routed-frames.ts`). A local connection always wins. `select`
 * rereads the holders first, so each job starts from the current sessions.
 */
export function remoteFleet(d: RemoteFleetDeps): RemoteFleet {
  let holders = new Map<string, string>();
  const links = new Map<string, MinionLink>();
  const remoteHolds = (id: string) => {
    const holder = holders.get(id);
    return holder !== undefined && holder !== d.masterId;
  };
  const remoteLink = (id: string): MinionLink => {
    let link = links.get(id);
    if (!link) {
      link = {
        id,
        send: (bytes) => {
          d.send(id, bytes);
          return true;
        },
        // The holder closes its own connections; nothing to do from here.
        close: () => {},
      };
      links.set(id, link);
    }
    return link;
  };
  const refresh = () => {
    holders = d.holders();
    for (const id of links.keys()) if (!remoteHolds(id)) links.delete(id);
  };
  return {
    refresh,
    select: (match: (m: TargetFacts) => boolean) => {
      refresh();
      const ids = d.registry.select(match);
      const known = new Set(ids);
      for (const id of holders.keys())
        if (!known.has(id) && d.registry.get(id) === undefined && match({ id, grains: {} })) ids.push(id);
      return ids.sort();
    },
    isConnected: (id) => d.registry.isConnected(id) || remoteHolds(id),
    get: (id): MinionInfo | undefined =>
      d.registry.get(id) ?? (remoteHolds(id) ? { id, grains: {}, connected: true, lastSeen: 0 } : undefined),
    link: (id) => d.registry.link(id) ?? (remoteHolds(id) ? remoteLink(id) : undefined),
    get changes$() {
      return merge(d.registry.changes$, d.remoteConnects$);
    },
  };
}
