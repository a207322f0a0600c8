import { RESERVED_TAG_PREFIXES, type EventBus } from '../core/event-bus.js';
import type { KeyStore } from '../keys/key-store.js';
import type { MasterCall } from './reactor.js';

function text(fun: string, kwargs: Record<string, unknown>, name: string): string {
  const v = kwargs[name];
  if (typeof v !== 'string' || v === '') throw new Error(`${fun} needs ${name}`);
  return v;
}

/** Tags a reaction may not fire: the master's own, and those that speak for a minion. */
const FORBIDDEN_PREFIXES = [...RESERVED_TAG_PREFIXES, 'brine/minion/', 'brine/beacon/'];

/** The state-drift gauge a reaction sets: changed states per minion in its last `test=True` run. */
export interface DriftGauge {
  setStateDrift(minion: string, changes: number): void;
}

/** What {@link masterCalls} reaches. */
export interface MasterCallDeps {
  keys: Pick<KeyStore, 'accept' | 'reject' | 'delete'>;
  bus: Pick<EventBus, 'publish'>;
  drift: DriftGauge;
}

/**
 * The master-side functions reactions may call, by their reaction form name:
 * `wheel.key.accept|reject|delete` (`match`), `runner.event.send` (`tag`, `data`: fires an event
 * on the master's bus, never under the master's or a minion's prefixes) and
 * `runner.metrics.drift` (`minion`, `changes`: the `brine_state_drift` gauge). The identity's
 * ACL is checked by the reactor before a call (`@wheel`, `@runner` or a glob naming it).
 */
export function masterCalls(d: MasterCallDeps): Record<string, MasterCall> {
  return {
    'wheel.key.accept': (kw) => d.keys.accept(text('key.accept', kw, 'match'), kw['include_rejected'] === true),
    'wheel.key.reject': (kw) => d.keys.reject(text('key.reject', kw, 'match')),
    'wheel.key.delete': (kw) => d.keys.delete(text('key.delete', kw, 'match')),
    'runner.event.send': (kw) => {
      const tag = text('event.send', kw, 'tag');
      if (FORBIDDEN_PREFIXES.some((p) => tag.startsWith(p)) || tag.split('/').some((s) => s === '' || s === '..'))
        throw new Error(`event.send: a reaction may not fire ${tag}`);
      d.bus.publish(tag, kw['data'] ?? {});
    },
    'runner.metrics.drift': (kw) => {
      const changes = Number(kw['changes']);
      if (!Number.isInteger(changes) || changes < 0) throw new Error('metrics.drift needs changes: a count');
      d.drift.setStateDrift(text('metrics.drift', kw, 'minion'), changes);
    },
  };
}
