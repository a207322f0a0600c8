import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** How {@link call} sends a request. */
export interface CallOptions {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `application/x-www-form-urlencoded`; arrays repeat the key. */
  form?: Record<string, string | string[]>;
  /** Sent as is, with the headers given. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

/** An answer; streams (SSE, NDJSON) are cut after their first chunk. */
export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers freely
  json: any;
  /** For a kept stream: the open body, to read more from. */
  stream?: Readable;
  /** For a kept stream: closes the response, as a client hanging up. */
  close?: () => void;
}

function encodeForm(form: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) q.append(k, x);
  return q.toString();
}

/** Reads the next chunk of a stream as text, or '' after `ms`. */
export function nextChunk(stream: Readable, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => done(''), ms);
    const onData = (c: Buffer) => done(c.toString('utf8'));
    const done = (s: string) => {
      clearTimeout(t);
      stream.off('data', onData);
      stream.pause();
      resolve(s);
    };
    stream.on('data', onData);
    stream.resume();
  });
}

/**
 * Calls the API in process with fastify's `inject` (no socket). Streaming answers resolve at
 * their head; with `keepStream` their body stays open, otherwise it is read once and closed.
 */
export async function call(
  app: FastifyInstance,
  method: string,
  url: string,
  opts: CallOptions & { keepStream?: boolean } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...opts.headers,
  };
  let payload: string | Buffer | undefined;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  } else if (opts.form !== undefined) {
    payload = encodeForm(opts.form);
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (opts.raw !== undefined) payload = opts.raw;
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
    payloadAsStream: true,
  });
  const stream = res.stream();
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream') || type.startsWith('application/x-ndjson')) {
    const close = () => (res.raw.res as unknown as { destroy(): void }).destroy();
    if (opts.keepStream)
      return { status: res.statusCode, headers: res.headers, text: '', json: undefined, stream, close };
    const text = await nextChunk(stream, 200);
    close();
    return { status: res.statusCode, headers: res.headers, text, json: undefined };
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}
