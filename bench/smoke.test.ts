import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const runMjs = join(dirname(fileURLToPath(import.meta.url)), 'run.mjs');

// Tiny sizes: this checks that the harness runs every phase and writes its report, never speed.
const QUICK_ARGS = [
  ...['--quick', '--n', '50', '--warmup', '1', '--rounds', '3', '--floor-rounds', '3'],
  ...['--ingest-seconds', '2', '--ingest-minions', '50', '--cli-runs', '2', '--cli-minions', '3'],
  ...['--jobcache-rows', '5000', '--idle-ms', '500'],
  // Multi-master: the store alone and a failover of 30 minions (the ingest is the phase above's).
  ...['--mm-parts', 'store,failover', '--mm-minions', '30'],
];

function runHarness(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runMjs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // SIGTERM lets the harness kill the daemons it started; it exits on its own within seconds.
    const timer = setTimeout(() => child.kill('SIGTERM'), 160_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench harness (quick smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brine-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every phase with tiny N and writes a report with every goal row', async () => {
    const out = join(dir, 'BENCHMARKS.md');
    const run = await runHarness([...QUICK_ARGS, '--out', out, '--json', join(dir, 'results.json')]);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const report = readFileSync(out, 'utf8');
    for (const row of [
      'Brine / floor fan-out time, N=50',
      'Master RSS per connected minion, N=50',
      'Connect + authenticate 50 minions',
      'Durable return ingest, 50 minions',
      "`brine '*' test.ping`, 3 minion daemons",
      'Job cache queries at 5,000 stored returns',
      'Idle `brine-minion` daemon RSS',
    ]) {
      expect(report).toContain(row);
    }
    expect(report).not.toContain('failed');
    // Skipped, with the reason, where PostgreSQL is not installed.
    expect(report).toMatch(/kill -9 to a job's returns from every minion|Skipped: /);

    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.fanout.map((f: { n: number }) => f.n)).toEqual([50]);
    expect(results.phases.every((p: { error?: string }) => p.error === undefined)).toBe(true);
  }, 170_000);
});
