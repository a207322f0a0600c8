import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';

/** One accepted job run, as the log keeps it. */
export interface AcceptedRun {
  jid: string;
  attempt: number;
  fun: string;
  expiresAt: number;
  done: boolean;
  /** A run of the minion's own schedule: its name, so a run cut short by a restart is reported as that schedule's (issue #19). */
  schedule?: string;
}

/**
 * The jids this minion has accepted, so a job delivered twice (retry, replay, master restart)
 * runs once, and a job that was running when the minion died is reported `interrupted`.
 *
 * An implementation owes: `accept` is durable when it returns `true`; an entry is kept at least
 * until its job's expiry (after which the job itself is refused as expired).
 */
export interface JidLog {
  /** Records a run; false when this (jid, attempt) was accepted before. */
  accept(run: Omit<AcceptedRun, 'done'>): boolean;
  /** Marks a run finished (its return is in the outbox). */
  done(jid: string, attempt: number): void;
  /** Runs accepted but not finished when the log was opened: the minion died while they ran. */
  unfinished(): AcceptedRun[];
  /** Forgets runs whose expiry is before `nowMs`. */
  prune(nowMs: number): void;
}

/**
 * The map key of a run. A first attempt is keyed by its jid alone: that string is shared with
 * the decoded job and its hash is already computed, where building `jid-0` for every job cost a
 * new string to make and hash, on each of several maps, for each of a swarm's minions. Jids are
 * 20 digits, so `jid` and `jid-N` never collide.
 */
export function runKey(jid: string, attempt: number): string {
  return attempt === 0 ? jid : `${jid}-${attempt}`;
}
const key = runKey;

/** A jid log in memory (swarm minions, tests). */
export class MemoryJidLog implements JidLog {
  protected readonly runs = new Map<string, AcceptedRun>();
  protected readonly leftOver: AcceptedRun[] = [];
  accept(run: Omit<AcceptedRun, 'done'>): boolean {
    const k = key(run.jid, run.attempt);
    if (this.runs.has(k)) return false;
    this.runs.set(k, { ...run, done: false });
    return true;
  }
  done(jid: string, attempt: number): void {
    const r = this.runs.get(key(jid, attempt));
    if (r) r.done = true;
  }
  unfinished(): AcceptedRun[] {
    return [...this.leftOver];
  }
  prune(nowMs: number): void {
    for (const [k, r] of this.runs) if (r.expiresAt < nowMs && r.done) this.runs.delete(k);
  }
}

/** The accept line of a run: the schedule's name last, when it is one (names have no spaces). */
const acceptLine = (r: Omit<AcceptedRun, 'done'>) =>
  `A ${r.jid} ${r.attempt} ${r.expiresAt} ${r.fun}${r.schedule === undefined ? '' : ` ${r.schedule}`}`;

/**
 * A jid log in an append-only file: `A <jid> <attempt> <expiresAt> <fun> [<schedule>]` on accept (fsynced),
 * `D <jid> <attempt>` when done. Compacted on open to the unexpired entries.
 */
export class FileJidLog extends MemoryJidLog {
  readonly #file: string;

  /** @param sync fsync each accepted jid (see FileOutbox). @default true */
  constructor(
    file: string,
    nowMs: number,
    private readonly sync = true,
  ) {
    super();
    this.#file = file;
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [op, jid, attempt, expiresAt, fun, schedule] = line.split(' ');
        if (!jid || attempt === undefined) continue;
        if (op === 'A')
          this.runs.set(key(jid, Number(attempt)), {
            jid,
            attempt: Number(attempt),
            fun: fun ?? '',
            expiresAt: Number(expiresAt),
            done: false,
            ...(schedule ? { schedule } : {}),
          });
        else if (op === 'D') {
          const r = this.runs.get(key(jid, Number(attempt)));
          if (r) r.done = true;
        }
      }
    }
    for (const r of this.runs.values()) if (!r.done) this.leftOver.push({ ...r });
    this.prune(nowMs);
    this.#compact();
  }

  override accept(run: Omit<AcceptedRun, 'done'>): boolean {
    if (!super.accept(run)) return false;
    const fd = openSync(this.#file, 'a', 0o600);
    try {
      appendFileSync(fd, `${acceptLine(run)}\n`);
      if (this.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  override done(jid: string, attempt: number): void {
    super.done(jid, attempt);
    // Not fsynced: the return is already durable in the outbox, which is what restart checks first.
    appendFileSync(this.#file, `D ${jid} ${attempt}\n`, { mode: 0o600 });
  }

  #compact(): void {
    const lines: string[] = [];
    for (const r of this.runs.values()) {
      lines.push(acceptLine(r));
      if (r.done) lines.push(`D ${r.jid} ${r.attempt}`);
    }
    writeFileSync(`${this.#file}.tmp`, lines.join('\n') + (lines.length ? '\n' : ''), { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
