import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Subscription } from 'rxjs';
import type { EventBus } from '../core/event-bus.js';
import type { KeyStore } from '../keys/key-store.js';
import type { PgBridge } from './pg-bridge.js';
import { followSharedKeys } from './pg-follow.js';
import { trackSessions } from './pg-sessions.js';

/** What {@link shareWithMasters} needs. */
export interface SharingOptions {
  /** The shared database's URL, for the LISTEN connection. */
  url: string;
  db: PgBridge;
  keys: Pick<KeyStore, 'refresh'>;
  bus: Pick<EventBus, 'events$'>;
  /** How long a minion session holds without a heartbeat, in ms. */
  leaseMs: number;
  now: () => number;
  log: Logger;
}

/**
 * Everything a master does to work beside others on one database: follow their key changes
 * and keep `minion_sessions` for the minions it holds under a lease (a fresh master id per
 * start). Unsubscribe on stop: it releases this master's sessions.
 */
export function shareWithMasters(o: SharingOptions): Subscription {
  const masterId = randomUUID();
  const log = o.log.child({ component: 'sharing', masterId });
  log.info({ leaseMs: o.leaseMs }, 'sharing the database with other masters');
  const all = new Subscription();
  all.add(followSharedKeys(o.url, o.keys, log));
  all.add(trackSessions({ db: o.db, bus: o.bus, masterId, leaseMs: o.leaseMs, now: o.now, log }));
  return all;
}
