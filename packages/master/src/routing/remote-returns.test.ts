import { encodeValue } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { FrameRouter } from '../core/frame-router.js';
import type { JobFrame } from '../core/minion-link.js';
import type { PgBridge, Statement } from '../store/pg-bridge.js';
import { remoteReturns } from './remote-returns.js';

interface Row {
  minion_id: string;
  outcome: string | null;
  attempt: number;
  ret: unknown;
}

/** A bridge over rows of job_minions, answering the two reads of remoteReturns. */
function fakeDb(rows: Record<string, Row[]>): PgBridge & { reads: number } {
  const db = {
    reads: 0,
    run(statements: readonly Statement[]) {
      db.reads++;
      const [jid, second] = statements[0]!.values as [string, string[]];
      const stored = (rows[jid] ?? []).filter((r) => r.outcome !== null);
      if (statements[0]!.text.includes('ret,')) {
        const wanted = stored.filter((r) => second.includes(r.minion_id));
        const full = wanted.map((r) => ({
          ...r,
          success: 1,
          retcode: 0,
          ret: encodeValue(r.ret),
          reason: null,
          duration_ms: 5,
        }));
        return [{ rows: full, rowCount: full.length }];
      }
      const light = stored.map((r) => ({ minion_id: r.minion_id, attempt: r.attempt }));
      return [{ rows: light, rowCount: light.length }];
    },
    transaction: () => [],
    close: () => {},
  };
  return db;
}

describe('remoteReturns', () => {
  it('delivers each return stored elsewhere once to the job that follows it, and none it has seen', () => {
    const rows: Record<string, Row[]> = {
      j1: [
        { minion_id: 'a', outcome: 'returned', attempt: 0, ret: 'from-b' },
        { minion_id: 'b', outcome: null, attempt: 0, ret: null },
        { minion_id: 'c', outcome: 'returned', attempt: 0, ret: 'local' },
      ],
    };
    const db = fakeDb(rows);
    const router = new FrameRouter();
    const returns = remoteReturns(db, router);
    const seen: JobFrame[] = [];
    const sub = returns.frames$('j1').subscribe((f) => seen.push(f));
    // c's return reached the job through this master's own ingest.
    router.route({
      kind: 'return',
      minionId: 'c',
      jid: 'j1',
      attempt: 0,
      outcome: 'returned',
      ret: 'local',
      retcode: 0,
      success: true,
      durationMs: 1,
    });
    returns.read(['j1', 'not-followed']);
    expect(seen.map((f) => [f.minionId, f.kind === 'return' && f.ret])).toEqual([
      ['c', 'local'],
      ['a', 'from-b'],
    ]);
    // Read again: nothing new. Then b returns, and a retry of a is stored.
    returns.readAll();
    rows['j1']![1] = { minion_id: 'b', outcome: 'returned', attempt: 0, ret: 'late' };
    rows['j1']![0] = { minion_id: 'a', outcome: 'returned', attempt: 1, ret: 'retry' };
    returns.read(['j1']);
    expect(seen.slice(2).map((f) => [f.minionId, f.kind === 'return' && f.attempt])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
    sub.unsubscribe();
    // No longer followed: not read at all.
    const before = db.reads;
    returns.read(['j1']);
    expect(db.reads).toBe(before);
    expect(router.size).toBe(0);
  });
});
