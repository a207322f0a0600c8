import { mayFireTag, type EventBus } from '../core/event-bus.js';
import type { KeyStore } from '../keys/key-store.js';
import { AutomationErrorCode, ReactorError } from './errors.js';
import type { MasterCall } from './reactor.js';

function text(fun: string, kwargs: Record<string, unknown>, name: string): string {
  const v = kwargs[name];
  if (typeof v !== 'string' || v === '') throw new Error(`${fun} needs ${name}`);
  return v;
}

/** Every runner and wheel function a reaction can call (`--check-config` refuses any other). */
export const REACTOR_CALL_NAMES: readonly string[] = [
  'wheel.key.accept',
  'wheel.key.reject',
  'wheel.key.delete',
  'runner.event.send',
  'runner.metrics.drift',
  'runner.state.orchestrate',
  'runner.state.orch',
];

/** The state-drift gauge a reaction sets: changed states per minion in its last `test=True` run. */
export interface DriftGauge {
  setStateDrift(minion: string, changes: number): void;
}

/** What {@link masterCalls} reaches. */
export interface MasterCallDeps {
  keys: Pick<KeyStore, 'accept' | 'reject' | 'delete'>;
  bus: Pick<EventBus, 'publish'>;
  drift: DriftGauge;
  /** `runner.state.orchestrate` (reactorOrchestrate), when the master serves orchestration. @default none */
  orchestrate?: MasterCall;
}

/** A call that takes keyword arguments only: positional ones (`arg: [...]`) are refused, not dropped. */
function keywordsOnly(fun: string, call: (kwargs: Record<string, unknown>) => unknown): MasterCall {
  return (kwargs, args) => {
    if (args.length > 0)
      throw new ReactorError(
        AutomationErrorCode.callArgs,
        `${fun} takes keyword arguments only (args: [{name: value}] or kwarg)`,
      );
    return call(kwargs);
  };
}

/**
 * The master-side functions reactions may call, by their reaction form name:
 * `wheel.key.accept|reject|delete` (`match`), `runner.event.send` (`tag`, `data`: fires an event
 * on the master's bus, never under the master's or a minion's prefixes) and
 * `runner.metrics.drift` (`minion`, `changes`: the `brine_state_drift` gauge), and
 * `runner.state.orchestrate` when given. The identity's ACL is checked by the reactor before a
 * call (`@wheel`, `@runner` or a glob naming it).
 */
export function masterCalls(d: MasterCallDeps): Record<string, MasterCall> {
  return {
    'wheel.key.accept': keywordsOnly('key.accept', (kw) =>
      d.keys.accept(text('key.accept', kw, 'match'), kw['include_rejected'] === true),
    ),
    'wheel.key.reject': keywordsOnly('key.reject', (kw) => d.keys.reject(text('key.reject', kw, 'match'))),
    'wheel.key.delete': keywordsOnly('key.delete', (kw) => d.keys.delete(text('key.delete', kw, 'match'))),
    'runner.event.send': keywordsOnly('event.send', (kw) => {
      const tag = text('event.send', kw, 'tag');
      if (!mayFireTag(tag)) throw new Error(`event.send: a reaction may not fire ${tag}`);
      d.bus.publish(tag, kw['data'] ?? {});
    }),
    'runner.metrics.drift': keywordsOnly('metrics.drift', (kw) => {
      const changes = Number(kw['changes']);
      if (!Number.isInteger(changes) || changes < 0) throw new Error('metrics.drift needs changes: a count');
      d.drift.setStateDrift(text('metrics.drift', kw, 'minion'), changes);
    }),
    ...(d.orchestrate ? { 'runner.state.orchestrate': d.orchestrate, 'runner.state.orch': d.orchestrate } : {}),
  };
}
