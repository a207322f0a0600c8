import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';
import { masterHealth, runJob } from './fixtures.js';

// Issue #13, finding 2 (the engine half): a regex in a target that backtracks exponentially,
// `(.|.)*!`, froze the master while it matched every minion. Ids here are 40 characters, so a
// backtracking engine spends 2^40 steps on each minion; a linear-time one, microseconds.

const PREFIX = 'redos-long-minion-id-for-backtracking-';
const SWARM = 50;
const REAL = `${PREFIX}real`;
let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster({ minion: { grains: { motd: 'x'.repeat(40) } } });
  await cluster.startMaster();
  cluster.startSwarm(SWARM, PREFIX);
  cluster.startMinion(REAL);
  const swarm = Array.from({ length: SWARM }, (_, i) => `${PREFIX}${String(i).padStart(2, '0')}`);
  await cluster.waitConnected([...swarm, REAL], 60_000);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

/** How long the master takes to answer a preview of `target`, and which minions it selects. */
async function preview(target: string, targetType: string): Promise<{ ms: number; minions: string[] }> {
  const started = Date.now();
  const res = await cluster.api<{ minions?: string[] }>('POST', '/api/v1/jobs?preview=true', {
    target,
    targetType,
    fun: 'test.ping',
  });
  return { ms: Date.now() - started, minions: res.body.minions ?? [] };
}

describe('regular expressions in targets', () => {
  it.each([
    ['(.|.)*!', 'pcre'],
    ['motd:(.|.)*!', 'grain_pcre'],
    [`E@(.|.)*! or P@motd:(.|.)*! or P@id:(.|.)*!`, 'compound'],
  ])('selects nothing for %j over %s without stalling the master', async (target, targetType) => {
    const { ms, minions } = await preview(target, targetType);
    expect(minions).toEqual([]);
    // Generous for a loaded machine: a backtracking engine takes hours here.
    expect(ms).toBeLessThan(5000);
    expect((await masterHealth(cluster)).healthy).toBe(true);
  });

  it('runs a job whose minion evaluates the same regex before it runs anything', async () => {
    // The minion checks the signed target itself: E@ first, on its own 40-character id.
    const { status, minions } = await runJob(cluster, {
      target: `E@(.|.)*! or ${REAL}`,
      targetType: 'compound',
      fun: 'test.ping',
    });
    expect(status).toBe(200);
    expect(Object.keys(minions)).toEqual([REAL]);
    expect(minions[REAL]).toMatchObject({ outcome: 'returned', success: true, ret: true });
  });
});
