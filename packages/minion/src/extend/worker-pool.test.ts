import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { contentKey } from './extend-loader.js';
import { WorkerPool } from './worker-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'brine-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same module installed for one minion (its own directory), at a version. */
function installed(minion: string, version: string): string {
  mkdirSync(join(dir, minion), { recursive: true });
  const file = join(dir, minion, 'pinger.js');
  writeFileSync(file, `export default { name: 'pinger', functions: {} };\n`);
  return `${pathToFileURL(file).href}?v=${version}`;
}

describe('WorkerPool', () => {
  it("shares one worker between minions' copies of the same content, and ends it with the last release", () => {
    const pool = new WorkerPool({ log: pino({ level: 'silent' }) });
    const a = installed('m1', 'aaa');
    const b = installed('m2', 'aaa');
    const c = installed('m3', 'bbb');
    expect(contentKey(a)).toBe('pinger.js?v=aaa');
    const wa = pool.acquire(a);
    expect(pool.acquire(b)).toBe(wa);
    // The newest holder's copy is what a restarted worker imports.
    expect(wa.url).toBe(b);
    expect(pool.acquire(c)).not.toBe(wa);
    expect(pool.size).toBe(2);
    pool.release(a);
    expect(pool.size).toBe(2);
    pool.release(b);
    pool.release(c);
    expect(pool.size).toBe(0);
  });
});
