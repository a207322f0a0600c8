import type { FastifyReply } from 'fastify';

/** An open Server-Sent Events response. */
export interface SseStream {
  /** Writes one event: optional `event:` and extra fields (salt-api's `tag:`), then `data:`. */
  send(data: string, event?: string, extra?: Readonly<Record<string, string>>): void;
  /** Ends the response (the stream completed). */
  end(): void;
  /** Runs once when the response closes, whoever closed it. */
  onClose(fn: () => void): void;
}

/** Keeps proxies from timing out an idle stream. */
const KEEPALIVE_MS = 15_000;

/** A field value on one line: SSE has no escaping, so a newline would start a forged field. */
const oneLine = (v: string) => v.replace(/[\r\n]/g, ' ');

/**
 * Takes over a reply as an SSE stream: writes the head and a `retry:` hint, and sends a comment
 * every 15 s. The keepalive timer is cleared when the response closes, so nothing outlives it.
 */
export function openSse(reply: FastifyReply, retryMs = 400): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(`retry: ${retryMs}\n\n`);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  res.once('close', () => clearInterval(keepalive));
  return {
    send: (data, event, extra = {}) => {
      let head = event === undefined ? '' : `event: ${oneLine(event)}\n`;
      for (const [k, v] of Object.entries(extra)) head += `${k}: ${oneLine(v)}\n`;
      res.write(`${head}data: ${data}\n\n`);
    },
    end: () => res.end(),
    onClose: (fn) => void res.once('close', fn),
  };
}
