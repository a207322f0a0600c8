import { jobRequestSchema, type JobSpec } from '@brine/protocol';
import { asyncScheduler, filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openMemoryJobStore } from '../store/memory-job-store.js';
import { EventBus } from './event-bus.js';
import { FrameRouter } from './frame-router.js';
import { JobManager } from './job-manager.js';
import { resumeTerms, splitSettled } from './job-takeover.js';
import { MinionRegistry } from './registry.js';

const request = (extra: Record<string, unknown> = {}) =>
  jobRequestSchema.parse({ target: 'm*', fun: 'test.sleep', timeoutMs: 10_000, ...extra });

describe('resumeTerms', () => {
  it.each([
    // elapsed since start, ackTimeoutMs, timeoutMs -> timeoutMs from the takeover
    [0, 1000, 10_000, 11_000],
    [4000, 1000, 10_000, 7000],
    [11_000, 1000, 10_000, 1],
    [60_000, 1000, 10_000, 1],
  ])('keeps the job timeout where it fell: %i ms in, ack %i, timeout %i gives %i', (elapsed, ack, timeout, left) => {
    expect(resumeTerms(request({ timeoutMs: timeout, ackTimeoutMs: ack }), 1000, 1000 + elapsed, 5000).timeoutMs).toBe(
      left,
    );
  });

  it("uses the master's ack timeout when the request names none, and shrinks the whole-job deadline", () => {
    const terms = resumeTerms(request({ deadlineMs: 20_000 }), 0, 6000, 2000);
    expect(terms.timeoutMs).toBe(6000);
    expect(terms.deadlineMs).toBe(14_000);
    expect(resumeTerms(request({ deadlineMs: 20_000 }), 0, 30_000, 2000).deadlineMs).toBe(1);
    expect(resumeTerms(request(), 0, 6000, 2000).deadlineMs).toBeUndefined();
  });
});

describe('splitSettled', () => {
  it('keeps stored outcomes and lists the minions still waited for', () => {
    expect(
      splitSettled([
        { id: 'a', outcome: 'returned', success: true, ret: 1 },
        { id: 'b', outcome: null, success: false },
        { id: 'c', outcome: 'no_ack', success: false, reason: 'ack_timeout' },
      ]),
    ).toEqual({
      settled: [
        { id: 'a', outcome: 'returned', success: true, ret: 1 },
        { id: 'c', outcome: 'no_ack', success: false, reason: 'ack_timeout' },
      ],
      pending: ['b'],
    });
  });
});

describe('JobManager.adopt', () => {
  it('runs only the unfinished minions again, and its summary counts every targeted minion', async () => {
    const store = openMemoryJobStore();
    const registry = new MinionRegistry(Date.now);
    const router = new FrameRouter();
    const sent: JobSpec[] = [];
    const released: string[] = [];
    const manager = new JobManager({
      registry,
      router,
      bus: new EventBus(Date.now),
      store,
      scheduler: asyncScheduler,
      now: Date.now,
      newJid: () => 'unused',
      publishFrame: (spec) => {
        const bytes = new TextEncoder().encode(JSON.stringify(spec));
        return () => bytes;
      },
      cancelFrame: () => new Uint8Array(),
      masterFingerprint: 'test',
      targetOptions: {},
      ackTimeoutMs: 5000,
      graceMs: 100,
      ownership: { claim: () => {}, release: (jid) => released.push(jid) },
    });
    for (const id of ['m1', 'm2'])
      registry.attach(
        { id, close: () => {}, send: (bytes) => !!sent.push(JSON.parse(new TextDecoder().decode(bytes)) as JobSpec) },
        {},
      );
    registry.remember('m3', {}, 0);
    registry.remember('m4', {}, 0);
    // The dead owner stored the job 4 s ago: m0 has returned, m1 and m2 have not; m3 and m4 are
    // moving between masters (m3 reconnects in time, m4 does not).
    const startedAt = Date.now() - 4000;
    const req = request({ ackTimeoutMs: 1000 });
    const jid = '20261207000000000001';
    store.createJob({
      jid,
      fun: req.fun,
      args: [],
      kwargs: {},
      target: 'm*',
      targetType: 'glob',
      user: 'u',
      startedAt,
      minions: ['m0', 'm1', 'm2', 'm3', 'm4'],
    });
    store.writeResults([{ jid, id: 'm0', outcome: 'returned', success: true, ret: true, retcode: 0 }]);
    const adopted = manager.adopt({ jid, request: req, user: 'u', startedAt, rows: store.lookupJob(jid)!.minions });
    expect(adopted.minions).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(sent.map((s) => [s.jid, s.attempt])).toEqual([
      [jid, 0],
      [jid, 0],
    ]);
    // 4 s of its 1 s ack window and 10 s timeout are gone.
    expect(sent[0]!.timeoutMs).toBeGreaterThan(6000);
    expect(sent[0]!.timeoutMs).toBeLessThanOrEqual(7000);
    const ret = {
      kind: 'return',
      jid,
      attempt: 0,
      outcome: 'returned',
      ret: 1,
      retcode: 0,
      success: true,
      durationMs: 1,
    } as const;
    router.route({ kind: 'ack', minionId: 'm1', jid, attempt: 0, state: 'duplicate' });
    router.route({ ...ret, minionId: 'm1' });
    router.route({ ...ret, minionId: 'm2' });
    registry.attach({ id: 'm3', close: () => {}, send: () => !!router.route({ ...ret, minionId: 'm3' }) }, {});
    const done = await firstValueFrom(adopted.events$.pipe(filter((e) => e.type === 'done')));
    expect(done.type === 'done' && done.summary).toMatchObject({ targeted: 5, returned: 4, didNotReturn: 1 });
    expect(store.lookupJob(jid)!.minions.map((m) => [m.id, m.outcome, m.reason])).toEqual([
      ['m0', 'returned', undefined],
      // Returns are stored by the ingest that received them, not by the pipeline.
      ['m1', null, undefined],
      ['m2', null, undefined],
      ['m3', null, undefined],
      ['m4', 'no_ack', 'disconnected_before_ack'],
    ]);
    expect(store.lookupJob(jid)!.job.summary).toMatchObject({ targeted: 5, returned: 4 });
    expect(released).toEqual([jid]);
  });
});
