import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fetchTransport, type FetchLike } from './fetch-transport.js';

const enc = new TextEncoder();

/** A fetch that answers with a body fed chunk by chunk, and records what it was asked. */
function fakeFetch(status: number, chunks: (string | Error)[]) {
  const asked: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  let cancelled = false;
  const fetch: FetchLike = async (url, init) => {
    asked.push({ url, init });
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks[i++];
        if (next === undefined) controller.close();
        else if (next instanceof Error) controller.error(next);
        else controller.enqueue(enc.encode(next));
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, { status });
  };
  return { fetch, asked, cancelled: () => cancelled };
}

describe('fetchTransport', () => {
  it('sends the token and JSON body, and parses NDJSON lines split across chunks', async () => {
    const f = fakeFetch(200, ['{"a":1}\n{"b"', ':2}\n', '\n{"c":"é', '"}']);
    const t = fetchTransport({ url: 'http://m:4505/', token: 'tok', fetch: f.fetch });
    const lines = await lastValueFrom(
      t.ndjson$('POST', '/api/v1/jobs?stream=ndjson', { fun: 'test.ping' }).pipe(toArray()),
    );
    expect(lines).toEqual([{ a: 1 }, { b: 2 }, { c: 'é' }]);
    expect(f.asked[0]!.url).toBe('http://m:4505/api/v1/jobs?stream=ndjson');
    expect(f.asked[0]!.init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
    expect(f.asked[0]!.init.body).toBe('{"fun":"test.ping"}');
  });

  it("errors with the API's code and status for a non-2xx answer", async () => {
    const f = fakeFetch(403, ['{"code":"ERR_AUTH_FORBIDDEN","message":"no"}']);
    const t = fetchTransport({ url: 'http://m', token: 't', fetch: f.fetch });
    await expect(lastValueFrom(t.json$('GET', '/api/v1/minions'))).rejects.toMatchObject({
      code: 'ERR_AUTH_FORBIDDEN',
      status: 403,
    });
  });

  it('errors with the code and message of a salt-api dialect answer ({status, return, code})', async () => {
    const f = fakeFetch(400, ['{"status":400,"return":"nightly is in the config","code":"ERR_SCHEDULE_NAME"}']);
    const t = fetchTransport({ url: 'http://m', token: 't', fetch: f.fetch });
    await expect(lastValueFrom(t.json$('POST', '/', [{ client: 'runner' }]))).rejects.toMatchObject({
      code: 'ERR_SCHEDULE_NAME',
      message: 'nightly is in the config',
      status: 400,
    });
  });

  it('errors with ERR_CLIENT_UNREACHABLE when fetch rejects', async () => {
    const t = fetchTransport({
      url: 'http://m',
      token: 't',
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(lastValueFrom(t.json$('GET', '/x'))).rejects.toMatchObject({ code: 'ERR_CLIENT_UNREACHABLE' });
  });

  it('errors with ERR_CLIENT_STREAM_LOST when the body breaks mid-stream', async () => {
    const f = fakeFetch(200, ['{"a":1}\n', new TypeError('terminated')]);
    const t = fetchTransport({ url: 'http://m', token: 't', fetch: f.fetch });
    const seen: unknown[] = [];
    await expect(lastValueFrom(t.ndjson$('POST', '/x').pipe(tap((v) => seen.push(v))))).rejects.toMatchObject({
      code: 'ERR_CLIENT_STREAM_LOST',
    });
    expect(seen).toEqual([{ a: 1 }]);
  });

  it('aborts the request when the subscriber unsubscribes', async () => {
    const f = fakeFetch(200, ['{"a":1}\n', '{"b":2}\n', '{"c":3}\n']);
    const t = fetchTransport({ url: 'http://m', token: 't', fetch: f.fetch });
    await lastValueFrom(t.ndjson$('POST', '/x').pipe(take(1)));
    expect(f.asked[0]!.init.signal.aborted).toBe(true);
  });

  it('parses SSE messages with their event names, skipping comments', async () => {
    const f = fakeFetch(200, [': hi\n\nevent: minion.result\ndata: {"x":', '1}\n\n', 'data: 2\r\n\r\n']);
    const t = fetchTransport({ url: 'http://m', token: 't', fetch: f.fetch });
    expect(await lastValueFrom(t.sse$('/e').pipe(toArray()))).toEqual([
      { event: 'minion.result', data: { x: 1 } },
      { data: 2 },
    ]);
  });
});
