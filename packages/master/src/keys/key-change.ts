import type { EventBus } from '../core/event-bus.js';
import type { MinionRegistry } from '../core/registry.js';
import type { MinionCache } from '../store/minion-cache.js';
import type { KeyChange } from './key-store.js';

/** Where a key change reaches: the bus, the registry of known minions and the minion cache. */
export interface KeyChangeDeps {
  bus: Pick<EventBus, 'publish'>;
  registry: Pick<MinionRegistry, 'forget' | 'remember' | 'get'>;
  cache: Pick<MinionCache, 'remove'>;
}

/**
 * What a key change does beyond the key store: every change is an event
 * (`brine/key/<id>/<state>`, `.../deleted`); an accepted key makes its minion known (no grains,
 * never seen) until it connects, as the accepted keys are at start, so a target can name it and
 * report it offline, also when it was accepted on another master after this one started; a
 * rejected or denied key drops its minion from the registry (closing its connection), and a
 * deleted one also drops it from the minion cache.
 */
export function keyChangeEffects(deps: KeyChangeDeps): (change: KeyChange) => void {
  return (c) => {
    deps.bus.publish(`brine/key/${c.id}/${c.to ?? 'deleted'}`, c);
    if (c.to === 'accepted' && deps.registry.get(c.id) === undefined) deps.registry.remember(c.id, {}, 0);
    if (c.to === undefined || c.to === 'rejected' || c.to === 'denied') {
      deps.registry.forget(c.id, c.to === undefined ? 'key_deleted' : 'key_rejected');
      if (c.to === undefined) deps.cache.remove(c.id);
    }
  };
}
