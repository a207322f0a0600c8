import type { JobStreamEvent, JobSummary, MinionResult, TargetTypeValue } from '@brine/protocol';
import {
  EMPTY,
  Observable,
  catchError,
  concat,
  defer,
  finalize,
  lastValueFrom,
  map,
  from,
  mergeMap,
  reduce,
  takeWhile,
  tap,
  throwError,
} from 'rxjs';
import { ApiErrorCode } from '@brine/protocol/errors';
import { BrineClientError, ClientErrorCode, StreamLostError } from './errors.js';
import { fetchTransport, type FetchTransportOptions } from './fetch-transport.js';
import { summarize, type JobOutcome } from './job-events.js';
import type { JobOptions } from './job-options.js';
import { parseMasterUrls, reconnectAcrossMasters, type ReconnectOptions } from './master-list.js';
import type { Transport } from './transport.js';

/** One event of the master's event bus, as `events$` emits it. */
export interface BusEvent {
  tag: string;
  data: unknown;
  /** When it happened, ms since the epoch. */
  stamp: number;
}

/** Which minions a target selects, without running anything. */
export interface PreviewTarget {
  target: string | string[];
  /** @default 'glob' */
  targetType?: TargetTypeValue;
}

/** A connected Brine client: jobs, results and events as Observables. Made by {@link connect}. */
export interface BrineClient {
  /**
   * Runs a job. Subscribing sends it; emits `job.started`, each minion's progress and result as
   * they arrive, then `job.done` with the summary, then completes. Unsubscribing before
   * `job.done` cancels the job on the master for the minions still running, so `take(1)`,
   * `first()`, `takeUntil()` and `timeout()` stop the job too. Errors with the API's code when
   * the master refuses the job (`ERR_NO_MINIONS_MATCHED`, `ERR_AUTH_FORBIDDEN`...), and with
   * `ERR_CLIENT_STREAM_LOST` (naming the jid) when the connection breaks: the job goes on, and
   * `job$(jid)` re-attaches.
   */
  run$<F extends string>(job: JobOptions<F>): Observable<JobStreamEvent>;
  /** Runs a job to its end and resolves with its summary and every minion's result. */
  run<F extends string>(job: JobOptions<F>): Promise<JobOutcome>;
  /**
   * Attaches to a job by jid: a running one replays its results from its start and goes on to
   * `job.done`; a finished one emits its stored results and summary. Completes after `job.done`.
   * Unsubscribing only stops watching (the job is not this subscription's to cancel).
   */
  job$(jid: string): Observable<JobStreamEvent>;
  /**
   * The master's event bus, filtered by tag globs (`brine/job/*`; none for everything the
   * token may see). Emits each event as it happens; never completes on its own; errors when
   * the connection breaks (`ERR_CLIENT_STREAM_LOST`). Connected to several masters, it opens
   * the stream again on the next master instead (every master's stream shows every master's
   * events; those of the switch itself may be missed), and errors only when none answers.
   */
  events$(globs?: readonly string[]): Observable<BusEvent>;
  /** The minions a target selects now, without running anything. */
  preview(target: PreviewTarget | string): Promise<string[]>;
  /** Cancels a running job; its minions kill its processes. */
  cancel(jid: string): Promise<void>;
  /** The transport this client sends through. */
  readonly transport: Transport;
}

/** How to reach a master: its URL and a token, and optionally your own `fetch`. */
export type ConnectOptions = FetchTransportOptions;

/**
 * Connects to a master's REST API, or to several masters sharing one database (`url` as a list
 * or comma-separated; docs/sdk.md). Nothing is sent until a method is used.
 */
export function connect(options: ConnectOptions): BrineClient {
  const masters = parseMasterUrls(options.url).length;
  return createClient(fetchTransport(options), masters > 1 ? { reconnect: { masters } } : {});
}

/** How {@link createClient} behaves beyond its transport. */
export interface ClientOptions {
  /** Reopen event streams across several masters (see {@link reconnectAcrossMasters}). @default none */
  reconnect?: ReconnectOptions;
}

const jobPath = (jid: string) => `/api/v1/jobs/${encodeURIComponent(jid)}`;

/** Builds a client over any {@link Transport} (a scripted one in tests). */
export function createClient(transport: Transport, options: ClientOptions = {}): BrineClient {
  const cancel$ = (jid: string) => transport.json$('DELETE', jobPath(jid));
  const run$ = (job: JobOptions<string>): Observable<JobStreamEvent> =>
    defer(() => {
      let jid: string | undefined;
      let ended = false;
      return transport.ndjson$('POST', '/api/v1/jobs?stream=ndjson', job).pipe(
        map((line) => line as JobStreamEvent),
        tap((e) => {
          jid = e.jid;
          if (e.type === 'job.done') ended = true;
        }),
        takeWhile((e) => e.type !== 'job.done', true),
        // The answer ended without `job.done`: the master closed the stream (a restart).
        (source) =>
          concat(
            source,
            defer(() => (ended ? EMPTY : throwError(() => new StreamLostError(jid, null)))),
          ),
        catchError((err: unknown) => {
          // Past this point the job is not ours to cancel: the master runs it on.
          ended = true;
          if (err instanceof BrineClientError && err.code === ClientErrorCode.streamLost && jid !== undefined)
            return throwError(() => new StreamLostError(jid, err.cause));
          return throwError(() => err);
        }),
        finalize(() => {
          // Unsubscribed before the end: cancel the job for the minions still running.
          if (!ended && jid !== undefined) cancel$(jid).subscribe({ error: () => undefined });
        }),
      );
    });
  return {
    transport,
    run$,
    run: (job) => lastValueFrom(run$(job).pipe(collectOutcome())),
    job$: (jid) =>
      transport.sse$(`${jobPath(jid)}/events`).pipe(
        map((m) => m.data as JobStreamEvent),
        takeWhile((e) => e.type !== 'job.done', true),
        catchError((err: unknown) =>
          // Not active (any more): read what the job cache holds.
          err instanceof BrineClientError && err.code === ApiErrorCode.notFound
            ? storedJob$(transport, jid)
            : throwError(() => err),
        ),
      ),
    events$: (globs = []) => {
      const events$ = transport
        .sse$(`/api/v1/events?tags=${encodeURIComponent(globs.join(','))}`)
        .pipe(map((m) => m.data as BusEvent));
      return options.reconnect ? events$.pipe(reconnectAcrossMasters(options.reconnect)) : events$;
    },
    preview: async (t) => {
      const body = typeof t === 'string' ? { target: t } : t;
      const res = (await lastValueFrom(
        transport.json$('POST', '/api/v1/jobs?preview=true', { ...body, fun: 'test.ping' }),
      )) as { minions: string[] };
      return res.minions;
    },
    cancel: async (jid) => {
      await lastValueFrom(cancel$(jid));
    },
  };
}

interface StoredJob {
  job: { jid: string; fun: string; minions: string[]; startedAt: number; endedAt?: number; summary?: JobSummary };
  minions: (Omit<MinionResult, 'outcome'> & { outcome: MinionResult['outcome'] | null })[];
}

/** A finished job from the cache as a stream: started, each known result, done. */
function storedJob$(transport: Transport, jid: string): Observable<JobStreamEvent> {
  return transport.json$('GET', jobPath(jid)).pipe(
    mergeMap((raw) => {
      const { job, minions } = raw as StoredJob;
      const known = minions.filter((m): m is MinionResult => m.outcome !== null).map(stripNulls);
      const summary = job.summary ?? summarize(jid, job.fun, known, (job.endedAt ?? job.startedAt) - job.startedAt);
      const events: JobStreamEvent[] = [
        { type: 'job.started', jid, fun: job.fun, minions: job.minions },
        ...known.map((result): JobStreamEvent => ({ type: 'minion.result', jid, result })),
        { type: 'job.done', jid, summary },
      ];
      return from(events);
    }),
  );
}

/** The cache answers `null` for fields a result does not have; a result omits them. */
function stripNulls(row: MinionResult): MinionResult {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as unknown as MinionResult;
}

/** Folds a job stream into its outcome; errors when the stream ends without `job.done`. */
function collectOutcome() {
  return (source: Observable<JobStreamEvent>): Observable<JobOutcome> =>
    source.pipe(
      reduce(
        (acc, e) => {
          if (e.type === 'minion.result') acc.results[e.result.id] = e.result;
          else if (e.type === 'job.done') acc.summary = e.summary;
          acc.jid = e.jid;
          return acc;
        },
        { jid: '', results: {} } as { jid: string; results: Record<string, MinionResult>; summary?: JobSummary },
      ),
      map((acc) => {
        if (!acc.summary) throw new StreamLostError(acc.jid || undefined, null);
        return { jid: acc.jid, summary: acc.summary, results: acc.results };
      }),
    );
}
