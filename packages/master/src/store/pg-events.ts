import { compileGlob, decodeValue, encodeValue } from '@brine/protocol';
import type { Logger } from 'pino';
import {
  Observable,
  Subject,
  Subscription,
  asyncScheduler,
  bufferTime,
  filter,
  interval,
  type SchedulerLike,
} from 'rxjs';
import type { BusEvent, EventBus } from '../core/event-bus.js';
import type { PgAsyncBridge } from './pg-async-bridge.js';
import type { PgBridge, Statement } from './pg-bridge.js';
import { pgNotifications$ } from './pg-listener.js';

/** The channel on which each batch of a master's events is announced (payload: its master id). */
export const EVENTS_CHANNEL = 'brine_events';

/** Event data larger than this (msgpack) crosses to other masters as `{ truncated: true }`. */
const MAX_DATA_BYTES = 64 * 1024;

/** Options for {@link relayEvents}. */
export interface EventRelayOptions {
  db: PgBridge;
  /** The shared database's URL, for the LISTEN connection. */
  url: string;
  bus: Pick<EventBus, 'events$'>;
  masterId: string;
  now: () => number;
  log: Logger;
  /** Longest an event waits for its batch, in ms. @default 50 */
  batchMs?: number;
  /** How long rows are kept for masters to read, in ms. @default 60000 */
  keepMs?: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * A connection of the relay's own for its writes, which then do not block the event loop
   * (at most {@link MAX_WRITES_IN_FLIGHT} batches in flight; past that a batch is dropped and
   * logged). @default none: writes go through `db`, waiting for each commit
   */
  writer?: Pick<PgAsyncBridge, 'transaction' | 'pending'>;
}

/** Batches of events a relay's own connection may have in flight before it drops the next. */
export const MAX_WRITES_IN_FLIGHT = 4;

/** The events of the other masters, and how to stop relaying. */
export interface EventRelay {
  /**
   * Other masters' events whose tag matches any of `globs` (all when empty), as they are read;
   * never completes or errors until `stop`.
   */
  events$(globs?: readonly string[]): Observable<BusEvent>;
  /** Stops writing and reading; `events$` streams complete. */
  stop(): void;
}

/**
 * Spans the bus across masters without a loop: this master's own bus events are written to
 * `bus_events` in batches (one transaction and one NOTIFY each), and the other masters' rows
 * are read on each notification and offered as {@link EventRelay.events$}, a stream beside the
 * local bus, never published on it (so the reactor and the job pipeline of one master never act
 * on another master's events). For the API's event views (`brine events`, SSE).
 */
export function relayEvents(o: EventRelayOptions): EventRelay {
  const scheduler = o.scheduler ?? asyncScheduler;
  const keepMs = o.keepMs ?? 60_000;
  const remote = new Subject<BusEvent>();
  const all = new Subscription();
  const safely = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, what);
    }
  };
  let lastId = 0;
  const reposition = () =>
    safely('could not read the event position', () => {
      lastId = Number(o.db.run([{ text: 'SELECT coalesce(max(id), 0) AS id FROM bus_events' }])[0]!.rows[0]!.id);
    });
  reposition();
  // The LIKE patterns of each open events$ stream (undefined: every tag). With none open, no
  // event is read, only the position moved past them (at a 10,000-minion job the other masters'
  // return events alone are 10,000 rows): a stream opened later starts from the last window, as
  // it did when every event was read (a job's watch for remote connects relies on that).
  const readers = new Map<object, string[] | undefined>();
  const patterns = (): string[] | undefined => {
    const all = new Set<string>();
    for (const p of readers.values()) {
      if (p === undefined) return undefined;
      for (const like of p) all.add(like);
    }
    return [...all];
  };
  all.add(
    o.bus
      .events$()
      .pipe(
        bufferTime(o.batchMs ?? 50, scheduler),
        filter((b) => b.length > 0),
      )
      .subscribe((batch) => {
        if (!o.writer) return safely('could not share events', () => o.db.transaction(writeStatements(o, batch)));
        if (o.writer.pending() >= MAX_WRITES_IN_FLIGHT)
          return o.log.warn({ dropped: batch.length }, 'could not share events: the database is behind');
        o.writer
          .transaction(writeStatements(o, batch))
          .catch((err: unknown) => o.log.warn({ err: (err as Error).message }, 'could not share events'));
      }),
  );
  all.add(
    interval(Math.max(1000, keepMs / 6), scheduler).subscribe(() =>
      safely('could not purge shared events', () =>
        o.db.run([{ text: 'DELETE FROM bus_events WHERE stamp < $1', values: [o.now() - keepMs] }]),
      ),
    ),
  );
  all.add(
    pgNotifications$({ url: o.url, channels: [EVENTS_CHANNEL] })
      .pipe(
        filter((n) => n.payload !== o.masterId),
        // One read for the notifications of a batch window: each master announces a batch per
        // window, so with several masters a read per notification was several per window.
        bufferTime(o.batchMs ?? 50, scheduler),
        filter((b) => b.length > 0),
      )
      .subscribe(() => {
        if (readers.size === 0) return reposition();
        safely('could not read shared events', () => {
          const { events, lastId: last } = read(o, lastId, patterns());
          lastId = Math.max(lastId, last);
          for (const e of events) remote.next(e);
        });
      }),
  );
  return {
    events$: (globs = []) => {
      const tests = globs.map((g) => compileGlob(g));
      const matching$ =
        tests.length === 0 ? remote.asObservable() : remote.pipe(filter((e) => tests.some((t) => t(e.tag))));
      return new Observable<BusEvent>((subscriber) => {
        const key = {};
        readers.set(key, globs.length === 0 ? undefined : globs.map(globToLike));
        const inner = matching$.subscribe(subscriber);
        return () => {
          inner.unsubscribe();
          readers.delete(key);
        };
      });
    },
    stop: () => {
      all.unsubscribe();
      remote.complete();
    },
  };
}

function writeStatements(o: EventRelayOptions, batch: BusEvent[]): Statement[] {
  const data = batch.map((e) => {
    const bytes = encodeValue(e.data);
    return bytes.length > MAX_DATA_BYTES ? encodeValue({ truncated: true }) : bytes;
  });
  return [
    {
      text: `INSERT INTO bus_events (master_id, tag, data, stamp)
        SELECT $1, t.tag, t.data, t.stamp FROM unnest($2::text[], $3::bytea[], $4::bigint[]) AS t(tag, data, stamp)`,
      values: [o.masterId, batch.map((e) => e.tag), data, batch.map((e) => e.stamp)],
    },
    { text: 'SELECT pg_notify($1, $2)', values: [EVENTS_CHANNEL, o.masterId] },
  ];
}

/**
 * A LIKE pattern that matches at least what the glob matches (`*` is `%`, `?` and a `[...]`
 * class are `_`), so the database leaves out the rows no reader wants; the glob itself then
 * decides. Exported for tests.
 */
export function globToLike(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '%';
    else if (c === '?') out += '_';
    else if (c === '[' && glob.indexOf(']', i + 2) > i) {
      out += '_';
      i = glob.indexOf(']', i + 2);
    } else out += c === '%' || c === '_' || c === '\\' ? `\\${c}` : c;
  }
  return out;
}

/**
 * Other masters' events after `afterId` whose tag matches one of `likes` (all when undefined),
 * and the highest id looked at, matching or not, so the next read starts past it.
 */
function read(
  o: EventRelayOptions,
  afterId: number,
  likes: string[] | undefined,
): { events: BusEvent[]; lastId: number } {
  const rows = o.db.run([
    {
      text: `WITH r AS (SELECT id, tag, data, stamp FROM bus_events WHERE id > $1 AND master_id <> $2 ORDER BY id LIMIT 10000)
        SELECT id, tag, data, stamp FROM r WHERE $3::text[] IS NULL OR tag LIKE ANY($3::text[])
        UNION ALL SELECT max(id), NULL, NULL, NULL FROM r`,
      values: [afterId, o.masterId, likes ?? null],
    },
  ])[0]!.rows as { id: number | null; tag: string | null; data: Uint8Array | null; stamp: number | null }[];
  let lastId = afterId;
  const events: { id: number; event: BusEvent }[] = [];
  for (const r of rows) {
    if (r.id === null) continue;
    lastId = Math.max(lastId, Number(r.id));
    if (r.tag === null) continue;
    const decoded = r.data === null ? undefined : decodeValue(r.data);
    events.push({ id: Number(r.id), event: { tag: r.tag, data: decoded?.ok ? decoded.value : null, stamp: r.stamp! } });
  }
  events.sort((a, b) => a.id - b.id);
  return { events: events.map((e) => e.event), lastId };
}
