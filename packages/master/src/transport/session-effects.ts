import type { Frame } from '@brine/protocol';
import type { EventBus } from '../core/event-bus.js';
import type { MinionLink } from '../core/minion-link.js';
import type { MinionRegistry } from '../core/registry.js';
import type { AckPiggyback } from './ack-piggyback.js';
import type { ConnectionDeps } from './minion-connection.js';

/** Where a minion session's start and end reach. */
export interface SessionEffectDeps {
  piggyback: Pick<AckPiggyback, 'wrap' | 'wrapperOf'>;
  registry: Pick<MinionRegistry, 'attach' | 'detach'>;
  /** Remembers the minion's grains and when it was seen (MinionCache.save). */
  remember(id: string, grains: Record<string, unknown>): void;
  /** Sends the minion its pillar, when a pillar source is configured. */
  pushPillar?(link: MinionLink): void;
  /** Forgets the minion's event-rate state. */
  forgetEvents(id: string): void;
  bus: Pick<EventBus, 'publish'>;
}

/**
 * What happens when a minion is authenticated and when its connection closes. The registry holds
 * the link wrapped so that pending return acks ride with the next job sent to it, and the same
 * wrapper leaves the registry at close; each is announced on the bus
 * (`brine/minion/<id>/connected` with its address, running jobs and version, `.../disconnected`).
 */
export function sessionEffects(deps: SessionEffectDeps): Pick<ConnectionDeps, 'onAuthenticated' | 'onClosed'> {
  return {
    onAuthenticated: (plainLink, hello: Frame<'hello'>, auth: Frame<'auth'>, address) => {
      const link = deps.piggyback.wrap(plainLink);
      deps.registry.attach(link, auth.grains, address);
      deps.remember(link.id, auth.grains);
      deps.pushPillar?.(link);
      deps.bus.publish(`brine/minion/${link.id}/connected`, {
        id: link.id,
        address,
        running: auth.running,
        version: hello.version,
      });
    },
    onClosed: (link) => {
      deps.registry.detach(deps.piggyback.wrapperOf(link));
      deps.forgetEvents(link.id);
      deps.bus.publish(`brine/minion/${link.id}/disconnected`, { id: link.id });
    },
  };
}
