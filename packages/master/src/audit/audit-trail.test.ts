import { describe, expect, it } from 'vitest';
import { memoryAuditTrail, type AuditEntry } from './audit-trail.js';

const entry = (at: number, user = 'alice', outcome: AuditEntry['outcome'] = 'ok'): AuditEntry => ({
  at,
  user,
  method: 'GET',
  route: '/api/v1/jobs',
  status: 200,
  outcome,
  ip: '127.0.0.1',
  durationMs: 1,
});

describe('memoryAuditTrail', () => {
  it('lists entries newest first, filtered by user, outcome and time', () => {
    const trail = memoryAuditTrail();
    trail.record(entry(1, 'alice'));
    trail.record(entry(2, 'bob', 'denied'));
    trail.record(entry(3, 'alice', 'error'));
    expect(trail.list({}).map((e) => e.at)).toEqual([3, 2, 1]);
    expect(trail.list({ user: 'alice' }).map((e) => e.at)).toEqual([3, 1]);
    expect(trail.list({ outcome: 'denied' }).map((e) => e.at)).toEqual([2]);
    expect(trail.list({ since: 2, until: 3 }).map((e) => e.at)).toEqual([2]);
    expect(trail.list({ limit: 2 }).map((e) => e.at)).toEqual([3, 2]);
  });

  it('keeps only the last entries once full, still newest first', () => {
    const trail = memoryAuditTrail(3);
    for (let at = 1; at <= 7; at++) trail.record(entry(at));
    expect(trail.list({}).map((e) => e.at)).toEqual([7, 6, 5]);
  });

  it('purges entries older than the cut, and goes on keeping the last ones once full', async () => {
    const trail = memoryAuditTrail(3);
    for (let at = 1; at <= 5; at++) trail.record(entry(at));
    expect(await trail.purgeBefore(5)).toBe(2);
    expect(await trail.purgeBefore(5)).toBe(0);
    for (let at = 6; at <= 8; at++) trail.record(entry(at));
    expect(trail.list({}).map((e) => e.at)).toEqual([8, 7, 6]);
  });
});
