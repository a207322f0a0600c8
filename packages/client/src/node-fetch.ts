import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import type { FetchLike } from './fetch-transport.js';

/**
 * A {@link FetchLike} over node:http(s), for Node scripts that must choose how the master's
 * certificate is trusted: pass an `https.Agent` with the master's CA or certificate (`ca`), or
 * one that pins its fingerprint (as the CLI's does). Node's global fetch takes no agent.
 * Aborting the signal destroys the request and its response.
 */
export function nodeFetch(options: { agent?: HttpAgent | HttpsAgent } = {}): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: init.method,
          headers: init.headers,
          ...(options.agent ? { agent: options.agent as HttpAgent } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 500;
          const headers = Object.entries(res.headers).flatMap(([k, v]): [string, string][] =>
            v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]],
          );
          const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(new Response(body, { status, headers }));
        },
      );
      const abort = () => req.destroy(new Error('aborted'));
      if (init.signal.aborted) abort();
      else init.signal.addEventListener('abort', abort, { once: true });
      req.on('error', reject);
      req.end(init.body);
    });
}
