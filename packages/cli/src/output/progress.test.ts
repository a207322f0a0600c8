import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressOptions } from './progress.js';

function setup(opts: Partial<ProgressOptions> = {}) {
  let t = 1000;
  const writes: string[] = [];
  const progress = createProgress({
    total: 1000,
    out: { write: (s) => void writes.push(s) },
    isTTY: true,
    enabled: true,
    now: () => t,
    ...opts,
  });
  return { progress, writes, advance: (ms: number) => void (t += ms) };
}

describe('createProgress', () => {
  it('draws the bar in place with the count and elapsed time', () => {
    const { progress, writes, advance } = setup();
    advance(3200);
    progress.update(120);
    expect(writes).toStrictEqual(['\r\x1b[2K[##..................] 120/1000 returned, 3.2 s']);
  });

  it('redraws at most every 100 ms, but always draws the last count', () => {
    const { progress, writes, advance } = setup();
    progress.update(1);
    advance(50);
    progress.update(2);
    advance(50);
    progress.update(3);
    advance(1);
    progress.update(1000);
    expect(writes.map((w) => /\d+\/1000/.exec(w)?.[0])).toStrictEqual(['1/1000', '3/1000', '1000/1000']);
    expect(writes.at(-1)).toContain('[####################]');
  });

  it('erases the bar on clear and stop, and draws nothing after stop', () => {
    const { progress, writes } = setup();
    progress.update(1);
    progress.clear();
    progress.update(2);
    progress.stop();
    progress.update(3);
    progress.stop();
    expect(writes).toHaveLength(4);
    expect(writes[1]).toBe('\r\x1b[2K');
    expect(writes[3]).toBe('\r\x1b[2K');
  });

  it.each([
    { isTTY: false, enabled: true },
    { isTTY: true, enabled: false },
  ])('writes nothing when %o', (opts) => {
    const { progress, writes } = setup(opts);
    progress.update(1);
    progress.update(1000);
    progress.clear();
    progress.stop();
    expect(writes).toStrictEqual([]);
  });

  it('shows a full bar for a job with no targets', () => {
    const { progress, writes } = setup({ total: 0 });
    progress.update(0);
    expect(writes[0]).toContain('[####################] 0/0 returned');
  });
});
