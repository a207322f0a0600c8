import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';

// No autosign: k1..k4 wait as pending keys. The tests run in order and each starts from the
// key states the one before left.
const ids = ['k1', 'k2', 'k3', 'k4'];
let cluster: Cluster;
const key = (...args: string[]) => cluster.cli(BIN.brineKey, args);

interface KeyLists {
  minions: string[];
  minions_pre: string[];
  minions_rejected: string[];
  minions_denied: string[];
}

const lists = async (): Promise<KeyLists> => {
  const r = await key('-L', '--out', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as KeyLists;
};

beforeAll(async () => {
  cluster = await new Cluster({ minions: ids, autosign: false }).start();
  await waitFor(async () => (await lists()).minions_pre.length === ids.length, 10_000, 'four pending keys');
});
afterAll(async () => {
  await cluster?.stop();
});

describe('brine-key against a real master', () => {
  it('-L lists keys under Salt-style headings, and --out json by state', async () => {
    const r = await key('-L');
    expect(r).toMatchObject({
      code: 0,
      stdout: 'Accepted Keys:\nDenied Keys:\nUnaccepted Keys:\nk1\nk2\nk3\nk4\nRejected Keys:\n',
    });
    expect(await lists()).toEqual({ minions: [], minions_denied: [], minions_pre: ids, minions_rejected: [] });
  });

  it('asks before changing keys and exits 64 without a terminal unless -y is given', async () => {
    const r = await key('-a', 'k1');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('pass -y');
    expect((await lists()).minions).toEqual([]);
  });

  it('-a accepts a pending key, and the minion then runs jobs', async () => {
    const r = await key('-a', 'k1', '-y');
    expect(r).toMatchObject({ code: 0, stdout: 'Key for minion k1 accepted.\n' });
    await cluster.waitConnected(['k1']);
    const ping = await cluster.cli(BIN.brine, ['k1', 'test.ping']);
    expect(ping).toMatchObject({ code: 0, stdout: 'k1:\n    True\n' });
  });

  it('-L with a state lists only that state', async () => {
    expect((await key('-L', 'acc')).stdout).toBe('Accepted Keys:\nk1\n');
    expect((await key('-L', 'pre')).stdout).toBe('Unaccepted Keys:\nk2\nk3\nk4\n');
    const r = await key('-L', 'nosuchstate');
    expect(r.code).toBe(64);
  });

  it('-r rejects the matching key', async () => {
    const r = await key('-r', 'k2', '-y');
    expect(r).toMatchObject({ code: 0, stdout: 'Key for minion k2 rejected.\n' });
    expect((await lists()).minions_rejected).toEqual(['k2']);
  });

  it('-R rejects every pending key and leaves accepted keys alone', async () => {
    const r = await key('-R', '-y');
    expect(r).toMatchObject({ code: 0, stdout: 'Key for minion k3 rejected.\nKey for minion k4 rejected.\n' });
    expect(await lists()).toMatchObject({ minions: ['k1'], minions_pre: [], minions_rejected: ['k2', 'k3', 'k4'] });
  });

  it('-a does not accept a rejected key without --include-rejected, and exits 1', async () => {
    const r = await key('-a', 'k2', '-y');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The key glob 'k2' does not match any pending keys.");
    const again = await key('-a', 'k2', '-y', '--include-rejected');
    expect(again).toMatchObject({ code: 0, stdout: 'Key for minion k2 accepted.\n' });
  });

  it('-A accepts every pending (and with --include-rejected, rejected) key; --out json', async () => {
    const r = await key('-A', '-y', '--include-rejected', '--out', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: ['k3', 'k4'] });
    expect((await lists()).minions).toEqual(ids);
    await cluster.waitConnected(ids);
  });

  it('-f and -F print fingerprints', async () => {
    const fp = /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/;
    const one = await key('-f', 'k1');
    expect(one.code).toBe(0);
    const line = one.stdout.split('\n').find((l) => l.startsWith('k1:'))!;
    expect(line.split(':  ')[1]).toMatch(fp);
    const all = await key('-F', '--out', 'json');
    const doc = JSON.parse(all.stdout) as { minions: Record<string, string> };
    expect(Object.keys(doc.minions)).toEqual(ids);
    for (const f of Object.values(doc.minions)) expect(f).toMatch(fp);
    expect(doc.minions['k1']).toBe(line.split(':  ')[1]);
  });

  it('-d deletes a key; the running minion then asks again and is pending', async () => {
    const r = await key('-d', 'k4', '-y');
    expect(r).toMatchObject({ code: 0, stdout: 'Key for minion k4 deleted.\n' });
    expect((await lists()).minions).toEqual(['k1', 'k2', 'k3']);
    await waitFor(async () => (await lists()).minions_pre.includes('k4'), 10_000, 'k4 to ask again');
  });

  it('-D deletes every key', async () => {
    const r = await key('-D', '-y', '--out', 'json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { deleted: string[] }).deleted.sort()).toEqual(ids);
  });

  it('exits 64 for an unknown --out format and 77 for a wrong token', async () => {
    expect((await key('-L', '--out', 'yaml')).code).toBe(64);
    expect((await cluster.cli(BIN.brineKey, ['-L'], { env: { BRINE_TOKEN: 'wrong' } })).code).toBe(77);
  });
});
