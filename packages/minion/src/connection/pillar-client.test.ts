import { PROTOCOL_VERSION } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { PillarClient } from './pillar-client.js';

describe('PillarClient', () => {
  it('emits each pillar the master sends that compiled, pushed or answered, and not one that failed', async () => {
    const sent: { reqId: number }[] = [];
    const client = new PillarClient((frame) => {
      sent.push(frame as { reqId: number });
      return true;
    });
    const seen: unknown[] = [];
    const sub = client.changes$.subscribe((p) => seen.push(p));
    client.onFrame({ v: PROTOCOL_VERSION, type: 'pillar.data', reqId: 0, pillar: { a: 1 } });
    client.onFrame({
      v: PROTOCOL_VERSION,
      type: 'pillar.data',
      reqId: 0,
      pillar: {},
      error: { code: 'ERR_PILLAR_RENDER', message: 'x' },
    });
    const refreshed = client.refresh();
    client.onFrame({ v: PROTOCOL_VERSION, type: 'pillar.data', reqId: sent[0]!.reqId, pillar: { a: 2 } });
    await expect(refreshed).resolves.toEqual({ a: 2 });
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
    sub.unsubscribe();
  });
});
