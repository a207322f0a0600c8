import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { JobEventLog } from './job-event-log.js';
import type { JobEvent } from './job-plan.js';

const progress = (data: string): JobEvent => ({ type: 'progress', id: 'm', stream: 'stdout', data });
const result = (id: string): JobEvent => ({
  type: 'result',
  attempt: 0,
  fromMinion: true,
  result: { id, outcome: 'returned', success: true, ret: true, retcode: 0, durationMs: 1 },
});
const done: JobEvent = {
  type: 'done',
  summary: {
    jid: 'j',
    fun: 'f',
    targeted: 2,
    returned: 2,
    succeeded: 2,
    failed: 0,
    didNotReturn: 0,
    success: true,
    durationMs: 1,
  },
};
const label = (e: JobEvent) => (e.type === 'progress' ? e.data : e.type === 'result' ? e.result.id : 'done');

describe('JobEventLog', () => {
  it('replays every result but only the latest progress chunks to a late subscriber', async () => {
    const log = new JobEventLog(3);
    for (let i = 0; i < 10; i++) log.push(progress(`p${i}`));
    log.push(result('a'));
    log.push(result('b'));
    log.push(done);
    const seen = await firstValueFrom(log.events$().pipe(toArray()));
    expect(seen.map(label)).toEqual(['a', 'b', 'p7', 'p8', 'p9', 'done']);
  });

  it('keeps the progress window bounded over a long stream', async () => {
    const log = new JobEventLog(5);
    for (let i = 0; i < 10_000; i++) log.push(progress(`p${i}`));
    log.push(done);
    const seen = await firstValueFrom(log.events$().pipe(toArray()));
    expect(seen.map(label)).toEqual(['p9995', 'p9996', 'p9997', 'p9998', 'p9999', 'done']);
  });

  it('passes live events to an early subscriber and completes it at done', () => {
    const log = new JobEventLog();
    const seen: string[] = [];
    let completed = false;
    log.events$().subscribe({ next: (e) => seen.push(label(e)), complete: () => (completed = true) });
    log.push(result('a'));
    log.push(progress('x'));
    expect(completed).toBe(false);
    log.push(done);
    log.push(result('late'));
    expect(seen).toEqual(['a', 'x', 'done']);
    expect(completed).toBe(true);
  });
});
