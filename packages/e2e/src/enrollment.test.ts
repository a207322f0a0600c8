import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';

let cluster: Cluster;

beforeAll(async () => {
  cluster = new Cluster({ autosign: false });
  await cluster.startMaster();
});
afterAll(async () => {
  await cluster?.stop();
});

const keyState = async (id: string) => {
  const { body } = await cluster.api<{ keys: { id: string; state: string }[] }>('GET', '/api/v1/keys');
  return body.keys.find((k) => k.id === id)?.state;
};

describe('one-time enrollment tokens', () => {
  it('accepts the first new minion that presents a token, once, and only for matching ids', async () => {
    const made = await cluster.cli(BIN.brineKey, [
      '--gen-token',
      '--ttl',
      '10m',
      '--token-id-glob',
      'enr-*',
      '--out',
      'json',
    ]);
    expect(made.code).toBe(0);
    const { token } = JSON.parse(made.stdout) as { token: string };

    cluster.startMinion('other-1', { enroll_token: token });
    await waitFor(async () => (await keyState('other-1')) === 'pending', 10_000, 'other-1 to be pending');

    cluster.startMinion('enr-1', { enroll_token: token });
    await cluster.waitConnected(['enr-1']);
    expect(await keyState('enr-1')).toBe('accepted');

    // Spent: a second minion with the same token waits for an operator.
    cluster.startMinion('enr-2', { enroll_token: token });
    await waitFor(async () => (await keyState('enr-2')) === 'pending', 10_000, 'enr-2 to be pending');
    const ping = await cluster.cli(BIN.brine, ['enr-*', 'test.ping']);
    expect(ping.stdout).toContain('enr-1:\n    True');
    expect(ping.stdout).not.toContain('enr-2');
  });

  it('never accepts a minion with a made-up token', async () => {
    cluster.startMinion('enr-fake', { enroll_token: 'brine-enroll-not-a-real-token' });
    await waitFor(async () => (await keyState('enr-fake')) === 'pending', 10_000, 'enr-fake to be pending');
  });
});
