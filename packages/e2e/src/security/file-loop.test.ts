import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';
import { runJob } from './fixtures.js';
import { probeStalls, worst } from './stall-probe.js';

// Issue 13 finding 3: two links `a -> .` and `b -> .` in a file root, and one cp.list_master from
// a minion walked 2^depth paths with the master's event loop frozen (10.9 s with one file in the
// root, measured; without end when the root holds no file).
let cluster: Cluster;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'brine-loop-root-'));
  mkdirSync(join(root, 'scripts'));
  writeFileSync(join(root, 'motd'), 'hi\n');
  writeFileSync(join(root, 'scripts/hello.sh'), 'echo hi\n');
  symlinkSync('.', join(root, 'a'));
  symlinkSync('.', join(root, 'b'));
  symlinkSync('..', join(root, 'scripts/up'));
  cluster = await new Cluster({ minions: ['loop-lister', 'loop-pinger'], master: { file_roots: [root] } }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a file root with symlink loops', () => {
  it('answers cp.list_master with each file once in under 2 s while another minion keeps answering pings', async () => {
    const probe = probeStalls(cluster, 'loop-pinger');
    const t0 = performance.now();
    const job = await runJob(cluster, { target: 'loop-lister', fun: 'cp.list_master', timeoutMs: 60_000 });
    const listMs = Math.round(performance.now() - t0);
    const { rtts, loopMaxMs } = await probe.stop();
    console.log(
      `cp.list_master over a symlink loop: ${listMs} ms; worst test.ping round trip meanwhile ${worst(rtts)} ms; ` +
        `master event-loop delay max ${loopMaxMs} ms`,
    );
    expect(job.minions['loop-lister']).toMatchObject({ outcome: 'returned', ret: ['motd', 'scripts/hello.sh'] });
    expect(listMs).toBeLessThan(2000);
    expect(worst(rtts)).toBeLessThan(1000);
  });
});
