import { Observable, type Subscriber } from 'rxjs';
import { ApiResponseError, BrineClientError, ClientErrorCode, StreamLostError } from './errors.js';
import { lineSplitter, sseParser } from './line-splitter.js';
import { masterList, notReached, parseMasterUrls } from './master-list.js';
import type { SseMessage, Transport } from './transport.js';

/** The part of `fetch` the client uses; pass your own to pin a certificate, proxy, or log. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<Response>;

/** Where the master's REST API is and how to call it. */
export interface FetchTransportOptions {
  /**
   * The master's API base URL, e.g. `http://127.0.0.1:4505`; or several masters sharing one
   * database (a list, or comma-separated): a request goes to the last one that could be
   * reached, and to the next when a master cannot be connected to at all.
   */
  url: string | readonly string[];
  /** A Brine API token (`brine-token create`). */
  token: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
}

/**
 * The {@link Transport} over `fetch` and `ReadableStream`: runs on Node 20+ and in browsers.
 * Each subscription makes one request with its own AbortController; unsubscribing aborts it.
 */
export function fetchTransport(options: FetchTransportOptions): Transport {
  const masters = masterList(parseMasterUrls(options.url));
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const send = async (method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    for (let tried = 1; ; tried++) {
      const base = masters.current();
      try {
        res = await doFetch(base + path, {
          method,
          headers,
          signal,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        break;
      } catch (err) {
        // Only a master never reached is skipped: a request that may have arrived is not sent twice.
        if (!signal.aborted && notReached(err) && tried < masters.size) {
          masters.skip(base);
          continue;
        }
        if (notReached(err)) masters.skip(base);
        const where = masters.size > 1 ? `any of the ${masters.size} masters (last ${base})` : `the master at ${base}`;
        throw new BrineClientError(ClientErrorCode.unreachable, `cannot reach ${where}`, undefined, { cause: err });
      }
    }
    if (res.status >= 300) throw new ApiResponseError(res.status, await errorBody(res));
    return res;
  };
  const lines$ = <T>(method: string, path: string, body: unknown, parse: (line: string) => T | undefined) =>
    new Observable<T>((subscriber) => {
      const ac = new AbortController();
      send(method, path, body, ac.signal)
        .then((res) => pump(res, subscriber, parse, ac.signal))
        .catch((err: unknown) => {
          if (!ac.signal.aborted) subscriber.error(err);
        });
      return () => ac.abort();
    });
  return {
    json$: (method, path, body) =>
      new Observable<unknown>((subscriber) => {
        const ac = new AbortController();
        send(method, path, body, ac.signal)
          .then(async (res) => {
            const text = await res.text();
            subscriber.next(text ? parseJson(text) : {});
            subscriber.complete();
          })
          .catch((err: unknown) => {
            if (!ac.signal.aborted) subscriber.error(err);
          });
        return () => ac.abort();
      }),
    ndjson$: (method, path, body) => lines$(method, path, body, (line) => (line.trim() ? parseJson(line) : undefined)),
    sse$: (path) => {
      return new Observable<SseMessage>((subscriber) => {
        const parse = sseParser();
        return lines$('GET', path, undefined, (line): SseMessage | undefined => {
          const msg = parse(line);
          return msg && { ...(msg.event === undefined ? {} : { event: msg.event }), data: parseJson(msg.data) };
        }).subscribe(subscriber);
      });
    },
  };
}

/** Reads a body line by line into `subscriber`; a read that fails before the end is a lost stream. */
async function pump<T>(
  res: Response,
  subscriber: Subscriber<T>,
  parse: (line: string) => T | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (!res.body) return subscriber.complete();
  const reader = res.body.getReader();
  const split = lineSplitter();
  const emit = (lines: string[]) => {
    for (const line of lines) {
      const value = parse(line);
      if (value !== undefined) subscriber.next(value);
    }
  };
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (err) {
      if (!signal.aborted) subscriber.error(new StreamLostError(undefined, err));
      return;
    }
    if (chunk.done) break;
    emit(split.push(chunk.value));
    if (subscriber.closed) {
      void reader.cancel().catch(() => undefined);
      return;
    }
  }
  emit(split.end());
  subscriber.complete();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BrineClientError(ClientErrorCode.badResponse, 'the master sent a line that is not JSON', undefined, {
      cause: err,
    });
  }
}

async function errorBody(res: Response): Promise<{ code: string; message: string; data?: unknown }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; data?: unknown; return?: unknown };
    if (typeof body.code === 'string' && typeof body.message === 'string')
      return { code: body.code, message: body.message, ...(body.data === undefined ? {} : { data: body.data }) };
    // The salt-api dialect (`POST /`, which brine-run's schedule.* use) answers Salt's shape.
    if (typeof body.code === 'string' && typeof body.return === 'string')
      return { code: body.code, message: body.return };
  } catch {
    // Not the API's error body (a proxy's HTML page): the status says what happened.
  }
  return { code: ClientErrorCode.badResponse, message: `the master answered HTTP ${res.status}` };
}
