import { afterEach, describe, expect, it, vi } from 'vitest';
import { killRunningJobs } from './kill-running.js';

/** An executor whose killed jobs end `endsAfterMs` later. */
function slowExecutor(jids: string[], endsAfterMs: number) {
  const running = new Set(jids);
  const killed: string[] = [];
  return {
    killed,
    runningJids: () => [...running],
    kill: (jid: string) => {
      killed.push(jid);
      setTimeout(() => running.delete(jid), endsAfterMs);
      return true;
    },
  };
}

describe('killRunningJobs', () => {
  afterEach(() => vi.useRealTimers());

  it('kills every running job and resolves once they have ended', async () => {
    vi.useFakeTimers();
    const ex = slowExecutor(['j1', 'j2'], 120);
    let done = false;
    const p = killRunningJobs(ex).then(() => (done = true));
    expect(ex.killed).toEqual(['j1', 'j2']);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await p;
    expect(done).toBe(true);
  });

  it('gives up after the grace when a killed job never ends', async () => {
    vi.useFakeTimers();
    const ex = slowExecutor(['j1'], 60_000);
    let done = false;
    const p = killRunningJobs(ex, 3000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(2900);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await p;
    expect(done).toBe(true);
  });
});
