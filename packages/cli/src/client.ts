import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import {
  ApiResponseError,
  BrineClientError,
  connect,
  eachValue,
  type BrineClient,
  type FetchLike,
} from '@brine/client';
import type { ApiError } from '@brine/protocol';
import { lastValueFrom, map } from 'rxjs';
import { CliError, CliErrorCode, UnreachableError, forwardedCode } from './errors.js';
import type { Credentials } from './credentials.js';
import { TlsTrustError, isCertificateError, pinnedAgent } from './tls-trust.js';

/** An API answer that was not 2xx: its status and `{code, message}` body. */
export class ApiCallError extends CliError {
  constructor(
    readonly status: number,
    body: ApiError,
  ) {
    super(forwardedCode(body.code), body.message, body.data);
  }
}

/** Connect errors after which the request never reached a master: safe to send to the next one. */
const NOT_REACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** A master that could not be connected to at all; the request may go to the next URL. */
class NotReachedError extends UnreachableError {}

/**
 * The CLI's adapter to `@brine/client`, the one REST client: requests go through the SDK, which
 * sends them with `#fetch`, a fetch over node:http(s) (cheaper to load than undici's fetch,
 * which matters for `brine` start-up time, and where the master's certificate is checked). The
 * URL may list several masters sharing one database, comma-separated (docs/scale.md): a request
 * goes to the last one that answered, and to the next when a master cannot be connected to at
 * all (never after a request may have reached one).
 */
export class ApiClient {
  /** The SDK client, for the commands that run jobs as Observables. */
  readonly sdk: BrineClient;
  readonly #urls: string[];
  #current = 0;

  constructor(private readonly creds: Credentials) {
    const urls = creds.url
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter((u) => u !== '');
    this.#urls = urls.length > 0 ? urls : [creds.url];
    // The SDK sees one base URL; #fetch takes the path off it and sends it to the current master.
    this.sdk = connect({ url: this.#urls[0]!, token: creds.token, fetch: this.#fetch });
  }

  /** Sends a request and parses a JSON answer; throws ApiCallError or UnreachableError. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return (await lastValueFrom(this.sdk.transport.json$(method, path, body))) as T;
    } catch (err) {
      throw asCliError(err);
    }
  }

  /** Sends a request and yields each NDJSON line of the answer as it arrives. */
  lines(method: string, path: string, body?: unknown): AsyncGenerator<unknown> {
    return cliErrors(eachValue(this.sdk.transport.ndjson$(method, path, body)));
  }

  /** Sends a request and yields each SSE `data:` payload, parsed as JSON. */
  events(path: string): AsyncGenerator<unknown> {
    return cliErrors(eachValue(this.sdk.transport.sse$(path).pipe(map((m) => m.data))));
  }

  /** `fetch` for the SDK over `#send`, which sends the JSON body it is given (so it parses it back). */
  readonly #fetch: FetchLike = async (url, init) => {
    const body = init.body === undefined ? undefined : (JSON.parse(init.body) as unknown);
    const res = await this.#send(init.method, url.slice(this.#urls[0]!.length), body);
    init.signal.addEventListener('abort', () => res.destroy(), { once: true });
    const status = res.statusCode ?? 500;
    const headers = Object.entries(res.headers).flatMap(([k, v]): [string, string][] =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]],
    );
    const stream = status === 204 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
    return new Response(stream, { status, headers });
  };

  async #send(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    for (let tried = 1; ; tried++) {
      try {
        return await this.#sendTo(this.#urls[this.#current]!, method, path, body);
      } catch (err) {
        if (!(err instanceof NotReachedError) || tried >= this.#urls.length) throw err;
        this.#current = (this.#current + 1) % this.#urls.length;
      }
    }
  }

  #sendTo(base: string, method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const url = new URL(base + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    // Verification stays on: a pinned fingerprint, a CA file, or else the system's CAs.
    const trust = !https
      ? {}
      : this.creds.fingerprint
        ? { agent: pinnedAgent(this.creds.fingerprint) }
        : this.creds.ca
          ? { ca: this.creds.ca }
          : {};
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          ...trust,
          method,
          headers: {
            authorization: `Bearer ${this.creds.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          isCertificateError(err.code)
            ? new TlsTrustError(base, err.code === CliErrorCode.tlsPin ? err.message : err.code!)
            : NOT_REACHED.has(err.code ?? '')
              ? new NotReachedError(base, err.code!)
              : new UnreachableError(base, err.code ?? err.message),
        ),
      );
      req.end(payload);
    });
  }
}

/** The SDK's errors as the CLI's: the API's code keeps its exit code, a failed send its own error. */
function asCliError(err: unknown): unknown {
  if (err instanceof ApiResponseError) return new ApiCallError(err.status, err);
  if (err instanceof BrineClientError)
    return err.cause instanceof CliError
      ? err.cause
      : new CliError(forwardedCode(err.code), err.message, err.data, { cause: err });
  return err;
}

async function* cliErrors<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw asCliError(err);
  }
}
