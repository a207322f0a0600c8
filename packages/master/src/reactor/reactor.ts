import type { Logger } from 'pino';
import { ApiErrorCode } from '@brine/protocol';
import {
  type Observable,
  type SchedulerLike,
  type Subscription,
  concat,
  concatMap,
  from,
  ignoreElements,
  merge,
  mergeMap,
  of,
} from 'rxjs';
import type { ReactorEntryConfig } from '../config-automation.js';
import type { BusEvent, EventBus } from '../core/event-bus.js';
import type { Reaction } from '../core/reactor/reactions.js';
import { reactor$, type ReactorPacing } from '../core/reactor/reactor-pipeline.js';
import { auditEntry } from '../audit/audit-trail.js';
import { AutomationErrorCode } from './errors.js';
import { startJobAs, type Identity, type StartAsDeps } from './start-as.js';
import { MasterErrorCode } from '../errors.js';

/**
 * A master-side function a `runner.*` or `wheel.*` reaction may call, by `runner.<fun>` /
 * `wheel.<fun>`, with the reaction's keyword and positional arguments. It throws to refuse (the
 * error's `code` is published). A call that goes on after it returns (an orchestration) returns
 * a {@link RunningCall}.
 */
export type MasterCall = (kwargs: Record<string, unknown>, args: readonly unknown[]) => unknown;

/** What a master call that goes on in the background returns: its jid, and when it ends. */
export interface RunningCall {
  jid: string;
  /** Settles when the call has ended; the reaction holds its `concurrency` slot until then. */
  done: Promise<unknown>;
}

function isRunning(v: unknown): v is RunningCall {
  const r = v as Partial<RunningCall> | null;
  return typeof r === 'object' && r !== null && typeof r.jid === 'string' && r.done instanceof Promise;
}

/** What one reaction did, as published on `brine/master/reactor/{fired,refused}`. */
export interface ReactionOutcome {
  /** The event's tag. */
  tag: string;
  sls: string;
  reaction: string;
  fun: string;
  ok: boolean;
  jid?: string;
  code?: string;
  message?: string;
}

/** Everything the reactor needs, injected by main.ts. */
export interface ReactorDeps {
  bus: Pick<EventBus, 'events$' | 'publish'>;
  start: StartAsDeps;
  identity: Identity;
  entries: readonly ReactorEntryConfig[];
  loopLimit: { max: number; windowMs: number };
  concurrency: number;
  scheduler: SchedulerLike;
  /** Renders a reactor SLS with `tag` and `data` into reactions (renderReactions). */
  render(file: string, context: { tag: string; data: unknown }): Promise<Reaction[]>;
  /** Runner and wheel functions by `runner.<fun>` / `wheel.<fun>`. */
  calls: Readonly<Record<string, MasterCall>>;
  log: Logger;
}

/** The minion an event is about: `data.id`, else the third part of the tag (`brine/minion/<id>/...`). */
function minionOf(e: BusEvent): string {
  const id = (e.data as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : (e.tag.split('/')[2] ?? e.tag);
}

/**
 * Starts one reactor pipeline per configured entry on the bus and returns their owner: unsubscribe
 * to stop them all. Each reaction is published on the bus as `brine/master/reactor/fired` (or
 * `refused`, when the ACL or the target refuses it, or its SLS fails), logged and audited;
 * a loop-limited tag as `brine/master/reactor/limited` and a warning.
 */
export function startReactor(d: ReactorDeps): Subscription {
  const log = d.log;
  const pipelines = d.entries.map((entry) => {
    const [glob, value] = Object.entries(entry)[0]!;
    const options = Array.isArray(value) ? { sls: value, key: 'tag' as const } : value;
    const keyOf = options.key === 'minion' ? minionOf : (e: BusEvent) => e.tag;
    const pacing: ReactorPacing | undefined =
      'throttle_ms' in options && options.throttle_ms !== undefined
        ? { mode: 'throttle', ms: options.throttle_ms, keyOf }
        : 'debounce_ms' in options && options.debounce_ms !== undefined
          ? { mode: 'debounce', ms: options.debounce_ms, keyOf }
          : undefined;
    return reactor$(d.bus.events$([glob]), {
      tags: [glob],
      ...(pacing ? { pacing } : {}),
      loopLimit: d.loopLimit,
      concurrency: ('concurrency' in options ? options.concurrency : undefined) ?? d.concurrency,
      scheduler: d.scheduler,
      // Outcomes are published as they come; an orchestration holds the slot until it ends.
      react: (event) =>
        from(options.sls).pipe(
          concatMap((sls) => react(d, event, sls)),
          mergeMap(({ outcome, done }) =>
            done ? concat(of(outcome), from(done).pipe(ignoreElements())) : of(outcome),
          ),
        ),
      limited: (tag, windowMs) => {
        log.warn({ tag, windowMs, max: d.loopLimit.max }, 'reactor loop limit hit; events of this tag dropped');
        d.bus.publish('brine/master/reactor/limited', { tag, glob, windowMs, max: d.loopLimit.max });
      },
      failed: (event, err) => log.error({ tag: event.tag, err: (err as Error).message }, 'reaction failed'),
    });
  });
  return merge(...pipelines).subscribe((o) => {
    d.bus.publish(`brine/master/reactor/${o.ok ? 'fired' : 'refused'}`, o);
    if (o.ok) log.info({ tag: o.tag, sls: o.sls, reaction: o.reaction, fun: o.fun, jid: o.jid }, 'reaction fired');
    else log.warn({ tag: o.tag, sls: o.sls, reaction: o.reaction, code: o.code, msg: o.message }, 'reaction refused');
  });
}

/** What carrying out one reaction gave: its outcome, and when a call it started ends. */
interface Carried {
  outcome: ReactionOutcome;
  done?: Promise<unknown>;
}

/** Renders one SLS for an event and carries out its reactions in file order. */
function react(d: ReactorDeps, event: BusEvent, sls: string): Observable<Carried> {
  const base = { tag: event.tag, sls };
  return from(
    d.render(sls, { tag: event.tag, data: event.data }).then(
      (reactions) => reactions.map((r) => carryOut(d, event, sls, r)),
      (err: unknown): Carried[] => [
        {
          outcome: {
            ...base,
            reaction: '',
            fun: '',
            ok: false,
            code: (err as { code?: string }).code ?? AutomationErrorCode.sls,
            message: (err as Error).message,
          },
        },
      ],
    ),
  ).pipe(mergeMap((carried) => of(...carried)));
}

function carryOut(d: ReactorDeps, event: BusEvent, sls: string, r: Reaction): Carried {
  const base = { tag: event.tag, sls, reaction: r.id };
  const audit = { source: 'reactor', detail: `${sls}#${r.id} on ${event.tag}` };
  if (r.kind === 'local') {
    const started = startJobAs(d.start, d.identity, r.request, audit);
    return {
      outcome: started.ok
        ? { ...base, fun: r.request.fun, ok: true, jid: started.job.jid }
        : { ...base, fun: r.request.fun, ok: false, code: started.code, message: started.message },
    };
  }
  const name = `${r.kind}.${r.fun}`;
  const call = d.calls[name];
  const allowed = d.identity.grants.special(r.kind, r.fun);
  const carried: Carried = !call
    ? {
        outcome: {
          ...base,
          fun: name,
          ok: false,
          code: AutomationErrorCode.unknownFunction,
          message: `no ${r.kind} ${r.fun}`,
        },
      }
    : !allowed
      ? {
          outcome: {
            ...base,
            fun: name,
            ok: false,
            code: ApiErrorCode.forbidden,
            message: `${d.identity.user} may not call ${name}`,
          },
        }
      : runCall(d, call, r, { ...base, fun: name });
  const outcome = carried.outcome;
  const line = {
    source: audit.source,
    user: d.identity.user,
    fun: name,
    outcome: outcome.ok ? 'ok' : outcome.code === ApiErrorCode.forbidden ? 'denied' : 'error',
    code: outcome.code,
    ...(outcome.jid === undefined ? {} : { jid: outcome.jid }),
    detail: audit.detail,
  };
  d.start.audit.info({ audit: true, ...line }, 'reactor call');
  d.start.trail?.record(auditEntry(d.scheduler.now(), line));
  return carried;
}

function runCall(d: ReactorDeps, call: MasterCall, r: Reaction, base: Omit<ReactionOutcome, 'ok'>): Carried {
  try {
    const ret = call(r.kind === 'local' ? {} : r.kwargs, r.kind === 'local' ? [] : r.args);
    if (!isRunning(ret)) return { outcome: { ...base, ok: true } };
    const done = ret.done.catch((err: unknown) =>
      d.log.error({ jid: ret.jid, fun: base.fun, err: (err as Error).message }, 'reactor call failed after it started'),
    );
    return { outcome: { ...base, ok: true, jid: ret.jid }, done };
  } catch (err) {
    return {
      outcome: {
        ...base,
        ok: false,
        code: (err as { code?: string }).code ?? MasterErrorCode.reactorCall,
        message: (err as Error).message,
      },
    };
  }
}
