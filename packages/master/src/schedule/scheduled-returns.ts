import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Frame, JobSummary, MinionResult } from '@brine/protocol';
import type { EventBus } from '../core/event-bus.js';
import type { JobStore } from '../core/job-store.js';

/** What {@link ScheduledReturns} needs, injected by main.ts. */
export interface ScheduledReturnsDeps {
  store: Pick<JobStore, 'createJob' | 'writeResults' | 'finishJob' | 'lookupJob'>;
  bus: Pick<EventBus, 'publish'>;
  newJid(): string;
  now(): number;
  /** `<state_dir>/minion-schedule.jsonl`: which master jid each minion-made run was given. */
  file: string;
  /** Entries older than this are forgotten at start (the job cache's retention). */
  keepMs: number;
}

interface Entry {
  /** Minion id, the minion's jid and attempt, the master's jid, when it was recorded. */
  m: string;
  j: string;
  a: number;
  jid: string;
  at: number;
}

const keyOf = (minionId: string, jid: string, attempt: number) => `${minionId}\0${jid}\0${attempt}`;

/**
 * Puts the returns of minions' own schedules (`job.return` with `schedule`) into the job cache.
 *
 * A minion makes the jid of a scheduled run itself, while the master may be down; two minions
 * running the same schedule in the same millisecond make the same jid, and a minion-made jid
 * could equal one the master made. So the master never uses it as the job's jid: it records
 * the job under a jid of its own (`createJob`, user `minion:<id>`, target the minion alone) and
 * remembers which (minion, minion jid, attempt) it was given, in an append-only file, so a
 * return sent again (the master stored it and crashed before its ack) lands on the same job
 * once. The key holds the sender's authenticated id: a minion can complete only its own runs,
 * never a job the master published or another minion's run.
 */
export class ScheduledReturns {
  readonly #d: ScheduledReturnsDeps;
  readonly #jids = new Map<string, string>();

  constructor(deps: ScheduledReturnsDeps) {
    this.#d = deps;
    this.#load();
  }

  /** Stores one scheduled return of `minionId`; returns the master's jid for it. Store errors throw. */
  accept(minionId: string, frame: Frame<'job.return'>): string {
    const d = this.#d;
    const key = keyOf(minionId, frame.jid, frame.attempt);
    let jid = this.#jids.get(key);
    if (jid === undefined) {
      jid = d.newJid();
      const entry: Entry = { m: minionId, j: frame.jid, a: frame.attempt, jid, at: d.now() };
      // Written before the job exists: a crash in between leaves a mapping, and the resend makes the job.
      appendFileSync(d.file, JSON.stringify(entry) + '\n', { mode: 0o600 });
      this.#jids.set(key, jid);
    }
    if (!d.store.lookupJob(jid)) {
      d.store.createJob({
        jid,
        fun: frame.fun,
        args: [],
        kwargs: {},
        target: [minionId],
        targetType: 'list',
        user: `minion:${minionId}`,
        startedAt: frame.startedAt,
        minions: [minionId],
      });
    }
    const result: MinionResult = {
      id: minionId,
      outcome: frame.outcome,
      success: frame.success,
      retcode: frame.retcode,
      ret: frame.ret,
      durationMs: Math.max(0, frame.endedAt - frame.startedAt),
    };
    const [stored] = d.store.writeResults([{ ...result, jid }]);
    if (stored) {
      const returned = result.outcome === 'returned';
      const summary: JobSummary = {
        jid,
        fun: frame.fun,
        targeted: 1,
        returned: returned ? 1 : 0,
        succeeded: returned && frame.success ? 1 : 0,
        failed: returned && !frame.success ? 1 : 0,
        didNotReturn: returned ? 0 : 1,
        success: returned && frame.success,
        durationMs: result.durationMs ?? 0,
      };
      d.store.finishJob(jid, frame.endedAt, summary);
      const schedule = frame.schedule;
      d.bus.publish(`brine/job/${jid}/ret/${minionId}`, { ...result, jid, fun: frame.fun, schedule });
      d.bus.publish(`brine/job/${jid}/done`, summary);
    }
    return jid;
  }

  /** Reads the mapping, keeps the entries within `keepMs`, and rewrites the file with only those. */
  #load(): void {
    const d = this.#d;
    if (!existsSync(d.file)) return;
    const oldest = d.now() - d.keepMs;
    const kept: Entry[] = [];
    for (const line of readFileSync(d.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as Entry;
        if (e.at >= oldest) kept.push(e);
      } catch {
        // A line cut short by a crash mid-append: its run is recorded again when it is resent.
      }
    }
    for (const e of kept) this.#jids.set(keyOf(e.m, e.j, e.a), e.jid);
    writeFileSync(`${d.file}.tmp`, kept.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
    renameSync(`${d.file}.tmp`, d.file);
  }
}
