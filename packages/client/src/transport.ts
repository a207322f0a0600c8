import type { Observable } from 'rxjs';

/** One event of a Server-Sent Events stream: its `event:` name (when given) and parsed `data:`. */
export interface SseMessage {
  event?: string;
  data: unknown;
}

/**
 * How the client reaches the master's REST API. The client core owns this interface; the
 * default implementation is {@link fetchTransport}, and tests script one with cold Observables.
 *
 * What an implementation owes:
 * - every method is lazy: nothing is sent until subscription;
 * - unsubscribing aborts the request (and with it the stream's connection);
 * - a non-2xx answer errors with an `ApiResponseError` carrying the API's code;
 * - a request that cannot reach the master errors with `ERR_CLIENT_UNREACHABLE`;
 * - a stream that breaks before its end errors with `ERR_CLIENT_STREAM_LOST`.
 */
export interface Transport {
  /** Sends a request; emits the parsed JSON answer once, then completes. */
  json$(method: string, path: string, body?: unknown): Observable<unknown>;
  /** Sends a request; emits each parsed NDJSON line as it arrives; completes when the answer ends. */
  ndjson$(method: string, path: string, body?: unknown): Observable<unknown>;
  /** Opens an SSE stream; emits each message; completes when the master ends it. */
  sse$(path: string): Observable<SseMessage>;
}
