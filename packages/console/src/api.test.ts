import { describe, expect, it } from 'vitest';
import { ApiError, session, type BusEvent, type JobStreamEvent } from './api.js';

/** A fetch that answers one body, sent in the given chunks, and records what it was asked. */
function fakeFetch(chunks: string[], status = 200) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });
    return new Response(body, { status });
  }) as unknown as typeof fetch;
  return { f, calls };
}

describe('the console API module', () => {
  it('sends the token as a bearer header and never in the URL', async () => {
    const { f, calls } = fakeFetch(['{"minions":[]}']);
    await session('tok-123', 'ops', '', f).minions(['os']);
    expect(calls[0]!.url).toBe('/api/v1/minions?grains=os');
    expect(calls[0]!.url).not.toContain('tok-123');
    expect((calls[0]!.init.headers as Record<string, string>)['authorization']).toBe('Bearer tok-123');
    expect(calls[0]!.init.credentials).toBeUndefined();
  });

  it('reads NDJSON job events split anywhere across chunks', async () => {
    const lines = [
      { type: 'job.started', jid: '1', fun: 'test.ping', minions: ['a', 'b'] },
      { type: 'minion.result', jid: '1', result: { id: 'a', outcome: 'returned', success: true } },
      { type: 'job.done', jid: '1', summary: { success: true } },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const { f } = fakeFetch([text.slice(0, 7), text.slice(7, 60), text.slice(60)]);
    const seen: JobStreamEvent[] = [];
    await session('t', 'u', '', f).run(
      { target: '*', targetType: 'glob', fun: 'test.ping', args: [], kwargs: {} },
      (e) => seen.push(e),
    );
    expect(seen.map((e) => e.type)).toEqual(['job.started', 'minion.result', 'job.done']);
  });

  it('reads SSE events across chunks, skipping the retry hint and keepalive comments', async () => {
    const { f, calls } = fakeFetch([
      'retry: 400\n\n: keepalive\n\nda',
      'ta: {"tag":"brine/job/1/new","data":{"a":1},"stamp":1}\n',
      '\ndata: {"tag":"x","data":null,"stamp":2}\r\n\r\n',
    ]);
    const seen: BusEvent[] = [];
    await session('t', 'u', '', f).events('brine/job/*', (e) => seen.push(e), new AbortController().signal);
    expect(calls[0]!.url).toBe('/api/v1/events?tags=brine%2Fjob%2F*');
    expect(seen.map((e) => e.tag)).toEqual(['brine/job/1/new', 'x']);
  });

  it('turns an error answer into an ApiError with its stable code', async () => {
    const { f } = fakeFetch(['{"code":"ERR_AUTH_FORBIDDEN","message":"no"}'], 403);
    const err = await session('t', 'u', '', f)
      .keys()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, code: 'ERR_AUTH_FORBIDDEN', message: 'no' });
  });
});
