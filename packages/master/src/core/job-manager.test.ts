import { jobRequestSchema, type JobSpec } from '@brine/protocol';
import { asyncScheduler, firstValueFrom, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openMemoryJobStore } from '../store/memory-job-store.js';
import { EventBus } from './event-bus.js';
import { FrameRouter } from './frame-router.js';
import { JobManager, withFreshJid } from './job-manager.js';
import { JobStoreError, JobStoreErrorCode } from '../store/job-store-error.js';
import type { JobStore } from './job-store.js';
import { MinionRegistry } from './registry.js';

/** A manager over `store`, as main.ts makes one; each start of the master makes a new one. */
function managerOn(store: JobStore, sent: JobSpec[] = []) {
  const registry = new MinionRegistry(Date.now);
  const router = new FrameRouter();
  let seq = 0;
  const manager = new JobManager({
    registry,
    router,
    bus: new EventBus(Date.now),
    store,
    scheduler: asyncScheduler,
    now: Date.now,
    newJid: () => `2026120700000000${String(seq++).padStart(4, '0')}`,
    publishFrame: (spec) => {
      const bytes = new TextEncoder().encode(JSON.stringify(spec));
      return () => bytes;
    },
    cancelFrame: (jid) => new TextEncoder().encode(JSON.stringify({ cancel: jid })),
    masterFingerprint: 'test',
    targetOptions: {},
    ackTimeoutMs: 5000,
    graceMs: 100,
  });
  registry.attach(
    {
      id: 'm1',
      close: () => {},
      send: (bytes) => {
        const spec = JSON.parse(new TextDecoder().decode(bytes)) as JobSpec;
        if (spec.jid) sent.push(spec);
        return true;
      },
    },
    {},
    '127.0.0.1',
  );
  return { manager, router, registry };
}

describe('JobManager.attemptPublished', () => {
  it('accepts a retry attempt once published, also after a restart, and never a later one', async () => {
    const store = openMemoryJobStore();
    const sent: JobSpec[] = [];
    const { manager, router } = managerOn(store, sent);
    const started = manager.start(
      jobRequestSchema.parse({ target: 'm1', fun: 'cmd.run', args: ['false'], retries: 2, timeoutMs: 5000 }),
      'tester',
    );
    if (!started.ok) throw new Error(started.error.message);
    const { jid, events$ } = started.job;
    expect(manager.attemptPublished(jid, 0)).toBe(true);
    expect(manager.attemptPublished(jid, 1)).toBe(false);
    const fail = {
      kind: 'return',
      minionId: 'm1',
      jid,
      outcome: 'returned',
      ret: '',
      retcode: 1,
      success: false,
      durationMs: 1,
    } as const;
    router.route({ kind: 'ack', minionId: 'm1', jid, attempt: 0, state: 'started' });
    router.route({ ...fail, attempt: 0 });
    await waitUntil(() => sent.some((s) => s.attempt === 1));
    expect(manager.attemptPublished(jid, 1)).toBe(true);
    expect(manager.attemptPublished(jid, 2)).toBe(false);

    // The master restarts: a new manager over the same job cache.
    const restarted = managerOn(store).manager;
    expect(restarted.attemptPublished(jid, 1)).toBe(true);
    expect(restarted.attemptPublished(jid, 2)).toBe(false);
    manager.cancel(jid);
    await firstValueFrom(events$.pipe(filter((e) => e.type === 'done')));
  });
});

/** Resolves once `check` holds, polling on the event loop. */
function waitUntil(check: () => boolean) {
  return new Promise<true>((resolve) => {
    const poll = () => (check() ? resolve(true) : setTimeout(poll, 5));
    poll();
  });
}

describe('JobManager lifetimes', () => {
  it('holds nothing of a job once it is done: no route, no active entry', async () => {
    const store = openMemoryJobStore();
    const { manager, router } = managerOn(store);
    const started = manager.start(jobRequestSchema.parse({ target: 'm1', fun: 'test.ping' }), 'tester');
    if (!started.ok) throw new Error(started.error.message);
    const { jid, events$ } = started.job;
    expect(router.size).toBe(1);
    expect(manager.busy).toBe(true);
    router.route({ kind: 'ack', minionId: 'm1', jid, attempt: 0, state: 'started' });
    router.route({
      kind: 'return',
      minionId: 'm1',
      jid,
      attempt: 0,
      outcome: 'returned',
      ret: true,
      retcode: 0,
      success: true,
      durationMs: 1,
    });
    await firstValueFrom(events$.pipe(filter((e) => e.type === 'done')));
    expect(router.size).toBe(0);
    expect(manager.busy).toBe(false);
    expect(manager.events$(jid)).toBeUndefined();
    expect(store.lookupJob(jid)?.job.endedAt).toBeTypeOf('number');
  });
});

describe('JobManager pillar targets', () => {
  it('resolves I@ on the master and sends minions the selected ids, which hold no pillar', () => {
    const sent: JobSpec[] = [];
    const { manager, registry } = managerOn(openMemoryJobStore(), sent);
    expect(manager.preview('role:web', 'pillar')).toEqual({ ok: true, minions: [] });
    registry.setPillar('m1', { role: 'web' });
    const started = manager.start(
      jobRequestSchema.parse({ target: 'G@x:* or I@role:web', targetType: 'compound', fun: 'test.ping' }),
      'tester',
    );
    if (!started.ok) throw new Error(started.error.message);
    expect(started.job.minions).toEqual(['m1']);
    expect(sent[0]).toMatchObject({ tgt: ['m1'], tgtType: 'list' });
    manager.cancel(started.job.jid);
  });
});

describe('withFreshJid', () => {
  it('draws the next jid while the drawn one is already stored, and rethrows any other failure', () => {
    const stored = new Set(['j1', 'j2']);
    let n = 0;
    const create = (jid: string) => {
      if (stored.has(jid)) throw new JobStoreError(JobStoreErrorCode.jidExists, `job ${jid} is already stored`);
      stored.add(jid);
    };
    expect(withFreshJid(() => `j${++n}`, create)).toBe('j3');
    expect(() =>
      withFreshJid(
        () => 'x',
        () => {
          throw new Error('disk full');
        },
      ),
    ).toThrow('disk full');
    expect(() => withFreshJid(() => 'j1', create)).toThrow(/already stored/);
  });

  it('starts a job on the next jid when another master already stored the first one', () => {
    const store = openMemoryJobStore();
    const { manager } = managerOn(store);
    const first = manager.start(jobRequestSchema.parse({ target: 'm1', fun: 'test.ping' }), 'tester');
    if (!first.ok) throw new Error(first.error.message);
    // A second manager on the same store draws the same jids, as a second master could.
    const other = managerOn(store).manager;
    const second = other.start(jobRequestSchema.parse({ target: 'm1', fun: 'test.ping' }), 'tester');
    if (!second.ok) throw new Error(second.error.message);
    expect(second.job.jid).not.toBe(first.job.jid);
    manager.cancelAll();
    other.cancelAll();
  });
});
