import {
  asyncScheduler,
  repeat,
  retry,
  throwError,
  timer,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { ApiResponseError, BrineClientError, ClientErrorCode } from './errors.js';

/**
 * Connect errors after which a request never reached a master, so it is safe to send it to the
 * next one: refused, no route, no such host, or no connection within the connect timeout.
 */
const NOT_REACHED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The masters' API base URLs from a list or a comma-separated string (`BRINE_URL=a,b`), without
 * trailing slashes or empty entries.
 */
export function parseMasterUrls(url: string | readonly string[]): string[] {
  const list = typeof url === 'string' ? url.split(',') : url;
  const urls = list.map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
  // Nothing given: requests go to relative paths, as a single empty URL always did.
  return urls.length > 0 ? urls : [''];
}

/**
 * Whether a failed `fetch` never reached the master. Looks through the wrappers fetch
 * implementations put around the socket's error: undici's `TypeError('fetch failed', {cause})`
 * and the `AggregateError` of a connect tried on several addresses.
 */
export function notReached(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NOT_REACHED.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => notReached(x, depth + 1))) return true;
  return notReached(e.cause, depth + 1);
}

/** The masters a client may send to, and which one it sends to now. */
export interface MasterList {
  readonly size: number;
  /** The master requests go to: the last one that could be reached. */
  current(): string;
  /** Moves on from `base` after it could not be reached (a no-op if another request moved already). */
  skip(base: string): void;
}

/** A {@link MasterList} starting at the first URL. */
export function masterList(urls: readonly string[]): MasterList {
  let at = 0;
  return {
    size: urls.length,
    current: () => urls[at]!,
    skip: (base) => {
      if (urls[at] === base) at = (at + 1) % urls.length;
    },
  };
}

/** Whether a stream's failure is one another master may not share: lost, unreachable, or a master stopping. */
function worthReconnecting(err: unknown): boolean {
  if (err instanceof ApiResponseError) return err.status === 503;
  return (
    err instanceof BrineClientError &&
    (err.code === ClientErrorCode.streamLost || err.code === ClientErrorCode.unreachable)
  );
}

/** Options for {@link reconnectAcrossMasters}. */
export interface ReconnectOptions {
  /** How many masters the client knows. */
  masters: number;
  /** Wait before opening the stream again, in ms. @default 250 */
  delayMs?: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Keeps a stream open across masters: when it ends or breaks (lost, refused, a master answering
 * 503 while it stops), it is opened again after `delayMs`, and the transport sends it to the
 * next master that can be reached. Gives up with the last error after `2 x masters` tries in a
 * row that brought nothing; any error of another kind (401, 403...) passes at once. Events of
 * the gap between two streams are not replayed.
 */
export function reconnectAcrossMasters<T>(o: ReconnectOptions): MonoTypeOperatorFunction<T> {
  const delayMs = o.delayMs ?? 250;
  const scheduler = o.scheduler ?? asyncScheduler;
  return (source) =>
    source.pipe(
      repeat({ delay: () => timer(delayMs, scheduler) }),
      retry({
        resetOnSuccess: true,
        delay: (err: unknown, count) =>
          worthReconnecting(err) && count <= 2 * o.masters ? timer(delayMs, scheduler) : throwError(() => err),
      }),
    );
}
