import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ApiError } from '@brine/protocol';
import { CliError, UnreachableError } from './errors.js';
import type { Credentials } from './credentials.js';
import { TlsTrustError, isCertificateError, pinnedAgent } from './tls-trust.js';

/** An API answer that was not 2xx: its status and `{code, message}` body. */
export class ApiCallError extends CliError {
  constructor(
    readonly status: number,
    body: ApiError,
  ) {
    super(body.code, body.message, body.data);
  }
}

/** Connect errors after which the request never reached a master: safe to send to the next one. */
const NOT_REACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** A master that could not be connected to at all; the request may go to the next URL. */
class NotReachedError extends UnreachableError {}

/**
 * A small client for the master's REST API on node:http (cheaper to load than fetch, which
 * matters for `brine` start-up time). The URL may list several masters sharing one database,
 * comma-separated (docs/scale.md): a request goes to the last one that answered, and to the
 * next when a master cannot be connected to at all (never after a request may have reached one).
 */
export class ApiClient {
  readonly #urls: string[];
  #current = 0;

  constructor(private readonly creds: Credentials) {
    const urls = creds.url
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter((u) => u !== '');
    this.#urls = urls.length > 0 ? urls : [creds.url];
  }

  /** Sends a request and parses a JSON answer; throws ApiCallError or UnreachableError. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body);
    const text = await readAll(res);
    const parsed = text ? (JSON.parse(text) as unknown) : {};
    if ((res.statusCode ?? 500) >= 300) throw new ApiCallError(res.statusCode ?? 500, parsed as ApiError);
    return parsed as T;
  }

  /** Sends a request and yields each NDJSON line of the answer as it arrives. */
  async *lines(method: string, path: string, body?: unknown): AsyncGenerator<unknown> {
    const res = await this.#send(method, path, body);
    if ((res.statusCode ?? 500) >= 300) {
      throw new ApiCallError(res.statusCode ?? 500, JSON.parse((await readAll(res)) || '{}') as ApiError);
    }
    res.setEncoding('utf8');
    let buf = '';
    for await (const chunk of res) {
      buf += chunk as string;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) yield JSON.parse(line);
      }
    }
    if (buf.trim()) yield JSON.parse(buf);
  }

  /** Sends a request and yields each SSE `data:` payload, parsed as JSON. */
  async *events(path: string): AsyncGenerator<unknown> {
    const res = await this.#send('GET', path);
    if ((res.statusCode ?? 500) >= 300)
      throw new ApiCallError(res.statusCode ?? 500, JSON.parse((await readAll(res)) || '{}') as ApiError);
    res.setEncoding('utf8');
    let buf = '';
    for await (const chunk of res) {
      buf += chunk as string;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data) yield JSON.parse(data);
      }
    }
  }

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
            ? new TlsTrustError(base, err.code === 'ERR_CLI_TLS_PIN' ? err.message : err.code!)
            : NOT_REACHED.has(err.code ?? '')
              ? new NotReachedError(base, err.code!)
              : new UnreachableError(base, err.code ?? err.message),
        ),
      );
      req.end(payload);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
