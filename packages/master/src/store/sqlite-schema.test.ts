import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeValue } from '@brine/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T0, jobAt } from './job-store.contract.js';
import { openSqliteJobStore } from './sqlite-job-store.js';
import { SCHEMA_VERSION, migrations } from './sqlite-schema.js';

/** Writes a database at schema v1 holding `finished` and `running`, as a v1 build left it. */
function writeV1(path: string, jids: { finished: string; running: string; orphan: string }): void {
  const db = new Database(path);
  db.exec(migrations[0]!);
  db.pragma('user_version = 1');
  const insertJob = db.prepare(`INSERT INTO jobs (jid, fun, target, target_type, user, started_at, ended_at,
    summary, target_list, args, kwargs, minions) VALUES (?, 'test.ping', ?, ?, 'alice', ?, ?, ?, ?, ?, ?, ?)`);
  const list = ['web2', 'db1', 'web1'];
  const summary = encodeValue({ jid: jids.finished, fun: 'test.ping', targeted: 3, success: true });
  insertJob.run(jids.finished, 'web2,db1,web1', 'list', T0, T0 + 40, summary, encodeValue(list), ...blobs(list));
  insertJob.run(jids.running, '*', 'glob', T0 + 1, null, null, null, ...blobs(['a', 'b']));
  const insertRow = db.prepare(
    'INSERT INTO job_minions (jid, minion_id, ordinal, outcome, success) VALUES (?, ?, ?, ?, ?)',
  );
  list.forEach((id, i) => insertRow.run(jids.finished, id, i, id === 'db1' ? 'returned' : null, id === 'db1' ? 1 : 0));
  ['a', 'b'].forEach((id, i) => insertRow.run(jids.running, id, i, null, 0));
  // What v1 kept and v2 refuses: a return from a minion the job did not target, and one for a
  // job never recorded.
  insertRow.run(jids.finished, 'intruder', null, 'returned', 1);
  insertRow.run(jids.orphan, 'web1', null, 'returned', 1);
  db.close();
}

function blobs(minions: string[]): Buffer[] {
  return [encodeValue([]), encodeValue({}), encodeValue(minions)].map((b) => Buffer.from(b));
}

describe('sqlite schema migration', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brine-schema-'));
    path = join(dir, 'jobs.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('moves a v1 file to v2: targeted back-filled, attempts at 0, untargeted rows dropped', () => {
    const jids = { finished: jobAt(T0).jid, running: jobAt(T0 + 1).jid, orphan: jobAt(T0 + 2).jid };
    writeV1(path, jids);
    const store = openSqliteJobStore({ path });
    expect(store.listJobs().map((j) => [j.jid, j.targeted])).toEqual([
      [jids.running, 2],
      [jids.finished, 3],
    ]);
    expect(store.unfinishedJobs().map((j) => j.jid)).toEqual([jids.running]);
    const found = store.lookupJob(jids.finished);
    expect(found?.job).toMatchObject({ target: ['web2', 'db1', 'web1'], endedAt: T0 + 40 });
    expect(found?.minions).toStrictEqual([
      { id: 'web2', outcome: null, success: false },
      { id: 'db1', outcome: 'returned', success: true },
      { id: 'web1', outcome: null, success: false },
    ]);
    expect(store.hasReturn(jids.finished, 'intruder')).toBe(false);
    expect(store.hasReturn(jids.orphan, 'web1')).toBe(false);
    const retry = { jid: jids.finished, id: 'db1', outcome: 'returned', success: true, attempt: 1 } as const;
    expect(store.writeResults([retry])).toEqual([true]);
    store.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) FROM job_minions').pluck().get()).toBe(5);
    const indexes = (db.pragma('index_list(jobs)') as { name: string }[]).map((i) => i.name).sort();
    expect(indexes).toEqual(
      expect.arrayContaining(['jobs_active', 'jobs_fun', 'jobs_started', 'jobs_target', 'jobs_user']),
    );
    db.close();
  });

  it('lists jobs from the listing columns alone, never the minions blob', () => {
    openSqliteJobStore({ path }).close();
    const db = new Database(path, { readonly: true });
    const columns = (db.pragma('table_info(jobs)') as { name: string }[]).map((c) => c.name);
    // A listing reads every column up to targeted; the blob after it is never walked.
    expect(columns.indexOf('targeted')).toBeLessThan(columns.indexOf('minions'));
    expect(columns.at(-1)).toBe('minions');
    db.close();
  });
});
