import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleMine } from './mine-timer.js';

afterEach(() => vi.useRealTimers());

function setup(configured: Record<string, unknown>, pillar: Record<string, unknown>, intervalMinutes = 60) {
  const calls: string[] = [];
  const timer = scheduleMine({
    executor: { callInternal: async (fun) => calls.push(fun) },
    pillar: { items: async () => pillar },
    mine: { configured: () => configured },
    intervalMinutes,
    log: pino({ level: 'silent' }),
  });
  return { calls, timer };
}

describe('scheduleMine', () => {
  it('updates the mine after a connect and on its interval when mine functions exist', async () => {
    vi.useFakeTimers();
    const { calls, timer } = setup({}, { mine_functions: { 'network.ip_addrs': [] } });
    timer.connected();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual(['mine.update']);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(calls).toEqual(['mine.update', 'mine.update']);
    timer.stop();
    await vi.advanceTimersByTimeAsync(120 * 60_000);
    expect(calls).toHaveLength(2);
  });

  it('sends nothing without mine functions, or with the interval at 0', async () => {
    vi.useFakeTimers();
    const none = setup({}, {});
    none.timer.connected();
    const off = setup({ 'test.ping': [] }, {}, 0);
    off.timer.connected();
    await vi.advanceTimersByTimeAsync(61 * 60_000);
    expect([...none.calls, ...off.calls]).toEqual([]);
    none.timer.stop();
  });
});
