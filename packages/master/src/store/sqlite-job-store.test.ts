import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultWrite } from '../core/job-store.js';
import { T0, describeJobStoreContract, jobAt, returned } from './job-store.contract.js';
import { JobStoreErrorCode } from './job-store-error.js';
import { openSqliteJobStore } from './sqlite-job-store.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';

describeJobStoreContract('sqlite store', () => openSqliteJobStore({ path: ':memory:' }));

describe('sqlite store on a file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brine-store-'));
    path = join(dir, 'jobs.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a WAL database at the current schema version', () => {
    openSqliteJobStore({ path }).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('creates the database and its WAL and SHM files readable by the master only (0600)', () => {
    const store = openSqliteJobStore({ path });
    store.createJob(jobAt(T0));
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777).toBe(0o600);
    store.close();
  });

  it('tightens database files left readable by others and reports each one', () => {
    openSqliteJobStore({ path }).close();
    chmodSync(path, 0o644);
    const found: number[] = [];
    openSqliteJobStore({ path, onTightened: (f) => found.push(f.tightenedFrom!) }).close();
    expect(found).toEqual([0o644]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a file written by a newer schema', () => {
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteJobStore({ path })).toThrow(
      expect.objectContaining({ code: JobStoreErrorCode.schemaNewer }),
    );
  });

  it('has committed a batch when writeResults returns, before close', () => {
    const store = openSqliteJobStore({ path });
    const job = jobAt(T0);
    store.createJob(job);
    store.writeResults([returned(job.jid, 'db1')]);
    const other = openSqliteJobStore({ path });
    expect(other.hasReturn(job.jid, 'db1')).toBe(true);
    other.close();
    store.close();
    const reopened = openSqliteJobStore({ path });
    expect(reopened.lookupJob(job.jid)?.minions.map((m) => m.outcome)).toEqual([null, 'returned', null]);
    reopened.close();
  });

  it('keeps every result written before a SIGKILL', (ctx) => {
    // The child runs the compiled store (Node 20 cannot run TypeScript); skip rather than test a stale build.
    const modules = ['store/sqlite-job-store', 'store/sqlite-schema', 'store/sqlite-rows', 'store/list-query'];
    const fresh = [...modules, 'store/job-store-error', 'errors'].every((m) => {
      const compiled = fileURLToPath(new URL(`../../dist/${m}.js`, import.meta.url));
      const source = fileURLToPath(new URL(`../${m}.ts`, import.meta.url));
      return existsSync(compiled) && statSync(source).mtimeMs <= statSync(compiled).mtimeMs;
    });
    if (!fresh) ctx.skip('packages/master/dist/store is missing or older than src: run `npx tsc -b packages/master`');
    const jid = jobAt(T0).jid;
    const child = fileURLToPath(new URL('testdata/kill-after-write.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [child, path, jid], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.signal).toBe('SIGKILL');
    const store = openSqliteJobStore({ path });
    const minions = store.lookupJob(jid)?.minions ?? [];
    expect(minions).toHaveLength(500);
    expect(minions.every((m, i) => m.outcome === 'returned' && m.ret === `m${i}`)).toBe(true);
    store.close();
  });

  it('records a job of 10,000 minions in one transaction', () => {
    const store = openSqliteJobStore({ path });
    const minions = Array.from({ length: 10_000 }, (_, i) => `minion-${i}`);
    // Best of three: the first call also compiles and warms up, which a running master has done.
    let best = Infinity;
    for (let n = 0; n < 3; n++) {
      const t = performance.now();
      store.createJob(jobAt(T0 + n, { minions }));
      best = Math.min(best, performance.now() - t);
    }
    console.info(`createJob: 10,000 minions in ${best.toFixed(1)} ms`);
    expect(store.lookupJob(jobAt(T0 + 2).jid)?.minions).toHaveLength(10_000);
    store.close();
  });

  it('writes batches of 1,000 results, each in one transaction', () => {
    const store = openSqliteJobStore({ path });
    const minions = Array.from({ length: 20_000 }, (_, i) => `minion-${i}`);
    const job = jobAt(T0, { minions });
    store.createJob(job);
    const results: boolean[] = [];
    const t = performance.now();
    for (let from = 0; from < minions.length; from += 1000) {
      const batch: ResultWrite[] = minions.slice(from, from + 1000).map((id) => returned(job.jid, id, { ok: id }));
      results.push(...store.writeResults(batch));
    }
    const ms = performance.now() - t;
    console.info(
      `writeResults: ${Math.round((minions.length / ms) * 1000)} rows/s (batches of 1,000, file, FULL sync)`,
    );
    expect(results.every(Boolean)).toBe(true);
    expect(store.writeResults([returned(job.jid, 'minion-19999')])).toEqual([false]);
    store.close();
  });
});
