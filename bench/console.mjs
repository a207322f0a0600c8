#!/usr/bin/env node
/* global document, location, performance, requestAnimationFrame, PerformanceObserver -- measurePage runs in the browser */
// The web console at scale (issue #22): a master with a swarm of N virtual minions (10,000 by
// default) and one job over all of them, then Debian's Chromium (playwright-core) renders the
// fleet and job pages. Lifecycle:
// 1. start a master (the benchmarks' settings and a console user) and a swarm; wait for all N
// 2. run test.ping on '*' and wait for every return
// 3. log in to /ui/ in a fresh headless Chromium profile
// 4. for the fleet page and the job page: time from navigation to first rendered row or cell
//    (first render), then to the last row or cell after a jump to the end (interactive), then
//    scroll through in 120 frames and record frame times and long tasks
// 5. print the figures (and write --json FILE); every process stops on the way out
//
// Flags: --n 10000  --json FILE  --chromium /usr/bin/chromium
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { ID_PREFIX, startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { killChildrenOnExit } from './lib/procs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    json: { type: 'string' },
    chromium: { type: 'string', default: process.env.BRINE_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const N = Number(flags.n);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Measures one page in the browser: first render, interactive, then a scroll of 120 frames. */
async function measurePage(page, { hash, item, scroller, lastSelector }) {
  return page.evaluate(
    async ({ hash, item, scroller, lastSelector }) => {
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
      const until = async (test, timeoutMs = 120_000) => {
        const start = performance.now();
        while (!test()) {
          if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting on ${hash}`);
          await frame();
        }
        return performance.now();
      };
      const longTasks = [];
      const obs = new PerformanceObserver((l) => longTasks.push(...l.getEntries().map((e) => e.duration)));
      obs.observe({ type: 'longtask', buffered: false });
      const t0 = performance.now();
      location.hash = hash;
      const first = (await until(() => document.querySelector(item) !== null)) - t0;
      const el = document.querySelector(scroller);
      el.scrollTop = el.scrollHeight;
      const interactive = (await until(() => document.querySelector(lastSelector) !== null)) - t0;
      const loadLongTasks = longTasks.splice(0);
      el.scrollTop = 0;
      await frame();
      const frames = [];
      let prev = await frame();
      const steps = 120;
      for (let i = 1; i <= steps; i++) {
        el.scrollTop = (el.scrollHeight - el.clientHeight) * (i / steps);
        const now = await frame();
        frames.push(now - prev);
        prev = now;
      }
      obs.disconnect();
      frames.sort((a, b) => a - b);
      return {
        firstRenderMs: Math.round(first),
        interactiveMs: Math.round(interactive),
        loadLongTasks: loadLongTasks.length,
        loadLongestTaskMs: Math.round(Math.max(0, ...loadLongTasks)),
        scrollFrameP50Ms: Math.round(frames[Math.floor(frames.length * 0.5)] * 10) / 10,
        scrollFrameP95Ms: Math.round(frames[Math.floor(frames.length * 0.95)] * 10) / 10,
        scrollFrameMaxMs: Math.round(frames[frames.length - 1] * 10) / 10,
        scrollLongTasks: longTasks.length,
        domNodes: document.getElementsByTagName('*').length,
      };
    },
    { hash, item, scroller, lastSelector },
  );
}

async function main() {
  killChildrenOnExit();
  const hashed = spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin/brine-token.js'), 'hash-password'], {
    input: 'bench-pw\n',
    encoding: 'utf8',
  });
  if (hashed.status !== 0) throw new Error(hashed.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'brine-console-bench-'));
  const profile = join(dir, 'chromium-profile');
  let context;
  let master;
  let swarm;
  try {
    // 1. master (the benchmarks' own settings, plus a console user) and swarm
    master = await startBenchMaster({
      dir,
      fds: N + 1024,
      config: {
        users: { bench: { password_hash: hashed.stdout.trim() } },
        acl: { bench: ['.*', '@keys', '@jobs', '@minions', '@events'] },
      },
    });
    swarm = startSwarm({ master, n: N, sourceAddresses: 4, statusEveryMs: 1000, logFile: join(dir, 'swarm.log') });
    const started = performance.now();
    await swarm.waitConnected(N, 15 * 60_000, 120_000);
    console.error(`> ${N} minions connected in ${Math.round((performance.now() - started) / 1000)} s`);
    // 2. one job over all of them
    const job = await master.request(
      'POST',
      '/api/v1/jobs?wait=true',
      { target: '*', fun: 'test.ping', timeoutMs: 300_000 },
      400_000,
    );
    if (job.status !== 200) throw new Error(`job: ${job.status} ${JSON.stringify(job.body)}`);
    const { jid, summary } = job.body;
    console.error(`> job ${jid}: ${summary.succeeded}/${summary.targeted} succeeded in ${summary.durationMs} ms`);
    // 3. the browser
    context = await chromium.launchPersistentContext(profile, {
      executablePath: flags.chromium,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 860 },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    const t0 = Date.now();
    await page.goto(`${master.endpoints.api}/ui/`);
    await page.getByLabel('Password').waitFor();
    const loginMs = Date.now() - t0;
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    await page.getByLabel('User').fill('bench');
    await page.getByLabel('Password').fill('bench-pw');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    // Start each measurement from a light page, so it times the page itself.
    await page.evaluate(() => (location.hash = '#/events'));
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    const last = `${ID_PREFIX}${N - 1}`;
    const fleet = await measurePage(page, {
      hash: '#/fleet',
      item: '.fleet-list .vrow',
      scroller: '.fleet-list',
      lastSelector: `.fleet-list .vrow[data-minion="${last}"]`,
    });
    await page.evaluate(() => (location.hash = '#/events'));
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    const jobPage = await measurePage(page, {
      hash: `#/job/${jid}`,
      item: '.outcome-grid canvas[data-last-drawn]',
      scroller: '.outcome-grid',
      lastSelector: `.outcome-grid canvas[data-last-drawn="${N - 1}"]`,
    });
    // 5. report
    const result = {
      minions: N,
      loginPage: { loadMs: loginMs, firstContentfulPaintMs: fcp && Math.round(fcp) },
      fleet,
      job: jobPage,
      chromium: context.browser()?.version() ?? 'persistent context',
    };
    console.log(JSON.stringify(result, null, 2));
    if (flags.json) writeFileSync(flags.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    await context?.close().catch(() => undefined);
    await swarm?.stop();
    await master?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
