import { encodeFrame, decodeFrame, type Frame } from '@brine/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { MinionLink } from '../core/minion-link.js';
import type { PillarResult } from './compile-pillar.js';
import { answerPillarRequest, pushPillar } from './pillar-delivery.js';
import { PillarService } from './pillar-service.js';

function fakeRegistry(grains: Record<string, Record<string, unknown>>) {
  const pillars = new Map<string, unknown>();
  return {
    pillars,
    get: (id: string) => (grains[id] ? { id, grains: grains[id], connected: true, lastSeen: 0 } : undefined),
    setPillar: (id: string, p: unknown) => pillars.set(id, p),
    select: (match: (m: { id: string; grains: Record<string, unknown> }) => boolean) =>
      Object.keys(grains)
        .filter((id) => match({ id, grains: grains[id]! }))
        .sort(),
  };
}

function service(grains: Record<string, Record<string, unknown>>, changed = false) {
  const compiled: string[] = [];
  const registry = fakeRegistry(grains);
  const svc = new PillarService({
    compiler: {
      compile: async (m) => {
        compiled.push(m.id);
        return { ok: true, pillar: { role: m.grains['role'] }, stamps: new Map(), cacheable: true };
      },
    },
    registry,
    stampsChanged: async () => changed,
  });
  return { svc, compiled, registry };
}

/** A link that records what it was sent, decoded. */
function link(id: string): MinionLink & { sent: Frame[] } {
  const sent: Frame[] = [];
  return {
    id,
    sent,
    send: (bytes: Uint8Array) => {
      const d = decodeFrame(bytes);
      if (d.ok) sent.push(d.frame);
      return true;
    },
    close: () => {},
  } as unknown as MinionLink & { sent: Frame[] };
}

function memoryLog() {
  const lines: string[] = [];
  return { lines, log: pino({ level: 'trace' }, { write: (s: string) => lines.push(s) }) };
}

describe('PillarService', () => {
  it('serves the cached pillar until the grains object or a file changes', async () => {
    const grains = { m1: { role: 'web' } };
    const { svc, compiled, registry } = service(grains);
    await svc.get('m1');
    await svc.get('m1');
    expect(compiled).toEqual(['m1']);
    expect(registry.pillars.get('m1')).toEqual({ role: 'web' });
    grains.m1 = { role: 'db' };
    expect(await svc.get('m1')).toMatchObject({ pillar: { role: 'db' } });
    expect(compiled).toEqual(['m1', 'm1']);
    expect(svc.clear()).toBe(1);
    await svc.get('m1');
    expect(compiled).toEqual(['m1', 'm1', 'm1']);
  });

  it('compiles again when a file it read has changed', async () => {
    const { svc, compiled } = service({ m1: {} }, true);
    await svc.get('m1');
    await svc.get('m1');
    expect(compiled).toEqual(['m1', 'm1']);
  });

  it('compiles at most maxConcurrent pillars at once and serves every request', async () => {
    let now = 0;
    let peak = 0;
    const grains = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}`, {}]));
    const svc = new PillarService({
      compiler: {
        compile: async () => {
          peak = Math.max(peak, ++now);
          await new Promise((r) => setTimeout(r, 1));
          now--;
          return { ok: true, pillar: {}, stamps: new Map(), cacheable: true };
        },
      },
      registry: fakeRegistry(grains),
      stampsChanged: async () => false,
      maxConcurrent: 3,
    });
    const results = await Promise.all(Object.keys(grains).map((id) => svc.get(id)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(3);
  });

  it("compiles the pillar of minions held elsewhere into the registry's facts, for pillar targets", async () => {
    const { svc, compiled, registry } = service({ r1: { role: 'web' }, r2: { role: 'db' } });
    await svc.prime(['r1', 'r2']);
    expect(compiled).toEqual(['r1', 'r2']);
    expect([...registry.pillars]).toEqual([
      ['r1', { role: 'web' }],
      ['r2', { role: 'db' }],
    ]);
  });

  it('shares one compile between concurrent requests', async () => {
    const { svc, compiled } = service({ m1: {} });
    await Promise.all([svc.get('m1'), svc.get('m1'), svc.get('m1')]);
    expect(compiled).toEqual(['m1']);
  });
});

describe('pillar delivery', () => {
  const secret = 'TOP-SECRET-VALUE';
  const result: PillarResult = { ok: true, pillar: { secret }, stamps: new Map(), cacheable: true };

  it("refuses and audits a request for another minion's pillar, without compiling it", async () => {
    const { lines, log } = memoryLog();
    let asked = 0;
    const l = link('a');
    const deps = { service: { get: async () => (asked++, result) }, log, configured: true, maxFrameBytes: 1 << 20 };
    answerPillarRequest(l, { v: 1, type: 'pillar.get', reqId: 5, id: 'b' }, deps);
    expect(asked).toBe(0);
    expect(l.sent).toEqual([
      expect.objectContaining({
        type: 'pillar.data',
        reqId: 5,
        pillar: {},
        error: expect.objectContaining({ code: 'ERR_PILLAR_FORBIDDEN' }),
      }),
    ]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ audit: true, minionId: 'a', requested: 'b' });
  });

  it('sends a minion its own pillar and logs nothing of it, not even a compile error text', async () => {
    const { lines, log } = memoryLog();
    const l = link('a');
    await pushPillar(l, { service: { get: async () => result }, log, configured: true, maxFrameBytes: 1 << 20 }, 3);
    expect(l.sent).toEqual([expect.objectContaining({ type: 'pillar.data', reqId: 3, pillar: { secret } })]);
    const failed: PillarResult = {
      ok: false,
      error: { code: 'ERR_PILLAR_COMPILE', message: `x.sls:2: bad: [${secret}` },
      stamps: new Map(),
      cacheable: true,
    };
    await pushPillar(l, { service: { get: async () => failed }, log, configured: true, maxFrameBytes: 1 << 20 });
    expect(l.sent[1]).toMatchObject({ reqId: 0, error: { code: 'ERR_PILLAR_COMPILE' } });
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('keeps the frame under the encoder: a pushed pillar round-trips', () => {
    const bytes = encodeFrame({ type: 'pillar.data', reqId: 0, pillar: { a: { b: [1, 'x'] } } });
    expect(decodeFrame(bytes)).toMatchObject({ ok: true, frame: { pillar: { a: { b: [1, 'x'] } } } });
  });

  it('refuses to send a pillar larger than a frame, saying so', async () => {
    const { log } = memoryLog();
    const l = link('a');
    const big: PillarResult = { ok: true, pillar: { blob: 'x'.repeat(5000) }, stamps: new Map(), cacheable: true };
    await pushPillar(l, { service: { get: async () => big }, log, configured: true, maxFrameBytes: 4096 }, 2);
    expect(l.sent).toEqual([
      expect.objectContaining({
        reqId: 2,
        pillar: {},
        error: expect.objectContaining({ code: 'ERR_PILLAR_TOO_LARGE' }),
      }),
    ]);
  });
});
