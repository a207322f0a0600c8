#!/usr/bin/env node
// How fast Node processes of a given size start shell commands, as a swarm's `cmd.run` states
// do (issue #17's 1,000-minion state run). Node's spawn forks the whole parent on its main
// thread, and the fork copies the parent's page tables, so a big parent starts few commands a
// second. Each of `--procs` processes holds `--rss-mb` of live JavaScript objects and runs
// `--count` `/bin/sh -c 'touch FILE'` commands, `--in-flight` at a time, as minions running
// their states at once would.
// With --helper each process starts the swarm's spawner helper first (while still small) and
// starts its commands through it, as a swarm now does (packages/minion/src/executor/spawner-helper.ts).
// Standalone: node bench/spawn-rate.mjs [--rss-mb 1900] [--procs 1] [--count 300] [--in-flight 16] [--helper]
//   prints {rssMb, procs, helper, spawns, seconds, spawnsPerSecond} as JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** One worker: grows to `rssMb`, then runs `count` commands `inFlight` at a time; prints its RSS. */
async function worker({ rssMb, count, inFlight, dir, helper }) {
  const { createHelperSpawner } = await import('../packages/minion/dist/executor/spawner-helper.js');
  const spawner = helper ? createHelperSpawner() : undefined;
  // Many small objects, as a swarm's heap is: about 100 bytes each once the strings are counted.
  const ballast = [];
  while (process.memoryUsage().rss < rssMb * 2 ** 20) {
    for (let i = 0; i < 100_000; i++) ballast.push({ i, s: `state-${i}-${ballast.length}` });
  }
  const viaHelper = (i) =>
    new Promise((resolve, reject) => {
      const argv = ['-c', `touch ${join(dir, `f${process.pid}-${i}`)}`];
      spawner.spawn(
        { program: '/bin/sh', args: argv, env: process.env },
        { spawned: () => {}, failed: reject, output: () => {}, exited: () => {}, closed: resolve },
      );
    });
  const run = (i) =>
    spawner
      ? viaHelper(i)
      : new Promise((resolve, reject) => {
          const child = spawn('/bin/sh', ['-c', `touch ${join(dir, `f${process.pid}-${i}`)}`], {
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.once('error', reject);
          child.once('close', resolve);
        });
  process.send?.({ ready: true, rss: process.memoryUsage().rss });
  await new Promise((resolve) => process.once('message', resolve));
  let next = 0;
  const lane = async () => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  spawner?.close();
  process.send?.({ done: true, kept: ballast.length });
}

/** Starts `procs` workers, lets them spawn together once all are grown, and times the whole. */
export async function spawnRate({ rssMb = 1900, procs = 1, count = 300, inFlight = 16, helper = false }) {
  const dir = mkdtempSync(join(tmpdir(), 'brine-spawn-rate-'));
  const self = fileURLToPath(import.meta.url);
  const heapMb = Math.ceil(rssMb * 1.5) + 256;
  const workers = Array.from({ length: procs }, () =>
    spawn(
      process.execPath,
      [
        `--max-old-space-size=${heapMb}`,
        self,
        '--worker',
        '--rss-mb',
        String(rssMb),
        '--count',
        String(count),
        '--in-flight',
        String(inFlight),
        '--dir',
        dir,
        ...(helper ? ['--helper'] : []),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    ),
  );
  const next = (w) =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('exit', (code) => reject(new Error(`spawn-rate worker exited ${code}`)));
    });
  try {
    const ready = await Promise.all(workers.map(next));
    const t0 = performance.now();
    const done = workers.map(next);
    for (const w of workers) w.send('go');
    await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    const spawns = procs * count;
    return {
      rssMb: Math.round(Math.max(...ready.map((r) => r.rss)) / 2 ** 20),
      procs,
      helper,
      spawns,
      seconds: Number(seconds.toFixed(2)),
      spawnsPerSecond: Math.round(spawns / seconds),
    };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      worker: { type: 'boolean', default: false },
      'rss-mb': { type: 'string', default: '1900' },
      procs: { type: 'string', default: '1' },
      count: { type: 'string', default: '300' },
      'in-flight': { type: 'string', default: '16' },
      dir: { type: 'string' },
      helper: { type: 'boolean', default: false },
    },
  });
  const opts = {
    rssMb: Number(values['rss-mb']),
    procs: Number(values.procs),
    count: Number(values.count),
    inFlight: Number(values['in-flight']),
    helper: values.helper,
  };
  if (values.worker) await worker({ ...opts, dir: values.dir });
  else process.stdout.write(JSON.stringify(await spawnRate(opts)) + '\n');
}
