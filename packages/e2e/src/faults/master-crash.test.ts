import { describe, expect, it } from 'vitest';
import { Cluster, waitFor, waitForProgress } from '@brine/testing';
import { acceptedCount, finishedRuns, outboxSize } from './minion-log.js';

const MINIONS = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
const JOBS = 100;

/**
 * How far the minions have got: runs finished and returns still unacked. The waits below last as
 * long as this keeps moving (100 jobs x 10 minions of `test.sleep 6`, acks that may wait 5 s for
 * `ret_ack_delay_ms`, and other test files on the same two cores take from 15 s to over 50 s), and
 * fail when it stops.
 */
/** How many of `jids` the master reports ended. */
async function endedJobs(cluster: Cluster, jids: readonly string[]): Promise<number> {
  let n = 0;
  for (const jid of jids) {
    const { body } = await cluster.api<{ job: { endedAt?: number } }>('GET', `/api/v1/jobs/${jid}`);
    if (body.job.endedAt !== undefined) n++;
  }
  return n;
}

function progressOf(dir: string): number[] {
  return [finishedRuns(dir).length, acceptedCount(dir), ...MINIONS.map((id) => outboxSize(dir, id))];
}

interface Lookup {
  minions: { id: string; outcome: string | null }[];
}

/**
 * Publishes 100 jobs to 10 minions while the master is SIGKILLed at one point of a job's life,
 * restarts it, and checks that every return the minions produced is in the job cache and that no
 * minion ran a job twice.
 */
async function crashAt(point: string | undefined): Promise<void> {
  const cluster = new Cluster({ minions: MINIONS, minion: { max_concurrent_jobs: 200 } });
  try {
    await cluster.startMaster(point ? { env: { BRINE_FAULT: point } } : {});
    for (const id of MINIONS) cluster.startMinion(id);
    await cluster.waitConnected(MINIONS);
    // All 100 jobs at once, so they are all published before the first returns come back.
    const posts = await Promise.allSettled(
      Array.from({ length: JOBS }, () =>
        cluster.api<{ jid: string }>('POST', '/api/v1/jobs', {
          target: 'crash-*',
          fun: 'test.sleep',
          args: [6],
          timeoutMs: 30_000,
        }),
      ),
    );
    // A job whose request failed (the master died first) was never accepted.
    const jids = posts.flatMap((p) => (p.status === 'fulfilled' && p.value.status === 202 ? [p.value.body.jid] : []));
    if (point)
      await waitFor(
        () => cluster.master!.exitCode !== null || cluster.master!.signalCode !== null,
        20_000,
        'the fault to kill the master',
      );
    else {
      // Idle: every job ended on the master, every run a minion accepted finished, and every
      // return was acked. (On a loaded box a minion may miss the test cluster's 1 s heartbeat
      // and be offline for a job published meanwhile: that job then ends without its run.)
      expect(jids.length).toBe(JOBS);
      let ended = 0;
      await waitForProgress(
        async () => {
          ended = await endedJobs(cluster, jids);
          return (
            ended === jids.length &&
            acceptedCount(cluster.dir) === finishedRuns(cluster.dir).length &&
            MINIONS.every((id) => outboxSize(cluster.dir, id) === 0)
          );
        },
        { progress: () => [ended, ...progressOf(cluster.dir)], what: 'every job to end and every outbox to drain' },
      );
      await cluster.killMaster('SIGKILL');
    }
    await cluster.startMaster();
    await cluster.waitConnected(MINIONS, 20_000);
    // Every job a minion accepted finishes, and every minion re-sends what the master has not
    // acked: wait until all accepted runs finished and every outbox drained.
    await waitForProgress(() => acceptedCount(cluster.dir) === finishedRuns(cluster.dir).length, {
      progress: () => progressOf(cluster.dir),
      what: 'accepted jobs to finish',
    });
    await waitForProgress(() => MINIONS.every((id) => outboxSize(cluster.dir, id) === 0), {
      progress: () => progressOf(cluster.dir),
      what: 'outboxes to drain',
    });
    expect(finishedRuns(cluster.dir).length).toBeGreaterThan(0);

    const runs = finishedRuns(cluster.dir);
    const keys = runs.map((r) => `${r.jid}/${r.minion}/${r.attempt}`);
    expect(new Set(keys).size).toBe(keys.length); // no minion ran a job twice
    const byJid = new Map<string, Set<string>>();
    for (const r of runs) (byJid.get(r.jid) ?? byJid.set(r.jid, new Set()).get(r.jid)!).add(r.minion);
    let stored = 0;
    for (const [jid, ran] of byJid) {
      const { body } = await cluster.api<Lookup>('GET', `/api/v1/jobs/${jid}`);
      const returned = new Set(body.minions.filter((m) => m.outcome === 'returned').map((m) => m.id));
      expect([...ran].sort()).toEqual([...returned].sort());
      stored += returned.size;
    }
    expect(stored).toBe(runs.length);
    if (!point) {
      // Nothing crashed mid-flight: every run is stored, and a minion without a return was
      // offline when its job was published (said so, with that reason), never silently missing.
      for (const jid of jids) {
        const { body } = await cluster.api<Lookup>('GET', `/api/v1/jobs/${jid}`);
        for (const m of body.minions) expect(['returned', 'offline'], `${jid} ${m.id}`).toContain(m.outcome);
      }
    } else {
      // Every job the master accepted ends with an outcome for every targeted minion: returned,
      // or interrupted (master_restarted) for a minion the job never reached because the master
      // died with the frame still unwritten. Nothing is silently missing.
      expect(jids.length).toBeGreaterThan(0);
      for (const jid of jids) {
        const lookup = await waitFor(
          async () => {
            const { body } = await cluster.api<Lookup & { job: { endedAt?: number } }>('GET', `/api/v1/jobs/${jid}`);
            return body.job.endedAt !== undefined ? body : undefined;
          },
          60_000,
          `job ${jid} to end after the restart`,
        );
        for (const m of lookup.minions) expect(['returned', 'interrupted'], `${jid} ${m.id}`).toContain(m.outcome);
      }
    }
  } finally {
    await cluster.stop();
  }
}

describe('the master killed with SIGKILL, 10 minions x 100 jobs in flight', () => {
  it.each([
    ['during publish', 'publish:505'],
    ['during return ingest', 'ingest:400'],
    ['during the job-cache write', 'write:4'],
    ['between the write and the ack', 'after_write:4'],
    ['while idle', undefined],
  ])(
    'stores every return exactly once when killed %s',
    async (_name, point) => {
      await crashAt(point);
    },
    // Each wait above fails after 30 s without progress; the whole may take minutes on a loaded box.
    600_000,
  );
});
