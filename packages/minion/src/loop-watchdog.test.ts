import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoopWatchdog } from './loop-watchdog.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('startLoopWatchdog', () => {
  it('reports a blocked event loop from its own thread, then the recovery on the main thread', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brine-watchdog-'));
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    const warned: unknown[] = [];
    const dog = startLoopWatchdog({
      stallMs: 400,
      fd,
      fields: { name: 'brine-minion' },
      log: { warn: (obj: unknown) => warned.push(obj) } as never,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(file, 'utf8')).toBe('');
    busy(2500);
    // The line was written while the loop was blocked.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, name: 'brine-minion', component: 'watchdog' });
    expect(JSON.parse(lines[0]!).blockedMs).toBeGreaterThan(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(warned).toEqual([expect.objectContaining({ blockedMs: expect.any(Number) })]);
    await dog.stop();
    closeSync(fd);
  });
});
