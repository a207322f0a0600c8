import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A job run as a minion logged it. */
export interface LoggedRun {
  minion: string;
  jid: string;
  attempt: number;
  outcome: string;
}

/** Every `job finished` line in a cluster's minion logs (`minion-<id>.log`). */
export function finishedRuns(dir: string): LoggedRun[] {
  const runs: LoggedRun[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^minion-(.+)\.log$/.exec(name);
    if (!m) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line.includes('"job finished"')) continue;
      const rec = JSON.parse(line) as { jid: string; attempt: number; outcome: string };
      runs.push({ minion: m[1]!, jid: rec.jid, attempt: rec.attempt, outcome: rec.outcome });
    }
  }
  return runs;
}

/** Number of `job accepted` lines in a cluster's minion logs (one minion's, when `minion` is given). */
export function acceptedCount(dir: string, minion?: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (!/^minion-.+\.log$/.test(name) || (minion !== undefined && name !== `minion-${minion}.log`)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line.includes('"job accepted"')) n++;
  }
  return n;
}

/** Number of returns still waiting in a minion's outbox. */
export function outboxSize(dir: string, minion: string): number {
  const outbox = join(dir, 'minions', minion, 'outbox');
  return existsSync(outbox) ? readdirSync(outbox).filter((n) => n.endsWith('.ret')).length : 0;
}
