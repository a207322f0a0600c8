import { firstValueFrom, of, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../core/job-store.js';
import { FaultPoint, type FaultPointValue } from '../faults.js';
import { jobAt, returned, T0 } from './job-store.contract.js';
import { openMemoryJobStore } from './memory-job-store.js';
import { withWriteFaults } from './fault-store.js';

describe('withWriteFaults', () => {
  it('hits write before the batch commits and after_write once it has', () => {
    const inner = openMemoryJobStore();
    const job = jobAt(T0, { minions: ['a'] });
    inner.createJob(job);
    const seen: [FaultPointValue, unknown][] = [];
    const store = withWriteFaults(inner, {
      hit: (p) => seen.push([p, inner.lookupJob(job.jid)?.minions.find((r) => r.id === 'a')?.outcome]),
    });
    expect(store.writeResults([returned(job.jid, 'a')])).toEqual([true]);
    expect(seen).toEqual([
      [FaultPoint.write, null],
      [FaultPoint.afterWrite, 'returned'],
    ]);
  });

  it('leaves a batch unwritten when the write fault kills before the commit', () => {
    const inner = openMemoryJobStore();
    const job = jobAt(T0, { minions: ['a'] });
    inner.createJob(job);
    const store = withWriteFaults(inner, {
      hit: (p) => {
        if (p === FaultPoint.write) throw new Error('killed');
      },
    });
    expect(() => store.writeResults([returned(job.jid, 'a')])).toThrow('killed');
    expect(store.lookupJob(job.jid)?.minions[0]?.outcome).not.toBe('returned');
  });

  it('hits the same points around writeResults$, after_write before the write emits', async () => {
    const inner = openMemoryJobStore();
    const job = jobAt(T0, { minions: ['a'] });
    inner.createJob(job);
    const seen: string[] = [];
    // A store that writes without blocking, as the PostgreSQL one does.
    const nonBlocking: JobStore = { ...inner, writeResults$: (rows) => of(inner.writeResults(rows)) };
    const store = withWriteFaults(nonBlocking, { hit: (p) => seen.push(p) });
    const write$ = store.writeResults$!([returned(job.jid, 'a')]);
    expect(seen).toEqual([]);
    const stored = await firstValueFrom(write$.pipe(tap(() => seen.push('emitted'))));
    expect(stored).toEqual([true]);
    expect(seen).toEqual([FaultPoint.write, FaultPoint.afterWrite, 'emitted']);
  });
});
