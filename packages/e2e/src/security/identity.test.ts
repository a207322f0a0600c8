import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { listFiles, logRecords, masterLog, minionLog, runJob, sleep } from './fixtures.js';

// Issue 5, test plan A4 (master pinning) and F (private key files).
let real: Cluster;
let impostor: Cluster;

beforeAll(async () => {
  [real, impostor] = await Promise.all([new Cluster({ minions: ['id-m1'] }).start(), new Cluster().start()]);
});
afterAll(async () => {
  await Promise.all([real?.stop(), impostor?.stop()]);
});

async function keyIds(cluster: Cluster): Promise<string[]> {
  const { body } = await cluster.api<{ keys: { id: string }[] }>('GET', '/api/v1/keys');
  return body.keys.map((k) => k.id);
}

const impostorUrl = () => `wss://127.0.0.1:${impostor.endpoints.minionPort}`;

describe('a minion pinned to its master', () => {
  it('refuses an impostor master before sending auth, and keeps retrying', async () => {
    expect(impostor.endpoints.fingerprint).not.toBe(real.endpoints.fingerprint);
    // Configured with the real master's fingerprint (the fixture's default), dialing the impostor.
    const child = real.startMinion('id-pinned', { master: impostorUrl() });
    await waitFor(
      () =>
        logRecords(minionLog(real, 'id-pinned'), 'MASTER KEY MISMATCH: refusing this master; will retry').length >= 3,
      10_000,
      'three refused attempts',
    );
    const refusals = logRecords(minionLog(real, 'id-pinned'), 'MASTER KEY MISMATCH: refusing this master; will retry');
    for (const r of refusals)
      expect(r).toMatchObject({ expected: real.endpoints.fingerprint, got: impostor.endpoints.fingerprint });
    expect(child.exitCode).toBeNull();
    // The impostor records a key only on a valid auth: it never saw one, so never saw the id.
    expect(await keyIds(impostor)).not.toContain('id-pinned');
    expect(logRecords(minionLog(real, 'id-pinned'), 'connected to master')).toEqual([]);
    await real.killMinion('id-pinned');
  });

  it('trusts an unpinned master on first use, loudly, and refuses any other master afterwards', async () => {
    real.startMinion('id-tofu', { master: impostorUrl(), master_fingerprint: undefined });
    await impostor.waitConnected(['id-tofu']);
    const tofu = logRecords(minionLog(real, 'id-tofu'), 'TRUSTING MASTER KEY ON FIRST USE; pinned from now on');
    expect(tofu).toEqual([expect.objectContaining({ level: 40, fingerprint: impostor.endpoints.fingerprint })]);
    await real.killMinion('id-tofu');
    // Restarted against the other master, it holds to the key it pinned.
    real.startMinion('id-tofu', {
      master: `wss://127.0.0.1:${real.endpoints.minionPort}`,
      master_fingerprint: undefined,
    });
    await waitFor(
      () => logRecords(minionLog(real, 'id-tofu'), 'MASTER KEY MISMATCH: refusing this master; will retry').length >= 1,
      10_000,
      'a refusal of the real master',
    );
    expect(await keyIds(real)).not.toContain('id-tofu');
    await real.killMinion('id-tofu');
  });
});

describe('private key files', () => {
  const mode = (file: string) => statSync(file).mode & 0o777;
  const masterPki = () => join(real.masterDir, 'pki');
  const minionPem = () => join(real.dir, 'minions', 'id-m1', 'pki', 'minion.pem');

  it('writes every private key and minion key record with mode 0600', () => {
    expect(mode(join(masterPki(), 'master.pem'))).toBe(0o600);
    expect(mode(join(masterPki(), 'master-tls.key'))).toBe(0o600);
    expect(mode(minionPem())).toBe(0o600);
    const records = listFiles(masterPki()).filter((f) => f.startsWith('minions'));
    expect(records.length).toBeGreaterThan(0);
    for (const f of records) expect(mode(join(masterPki(), f)), f).toBe(0o600);
  });

  describe('with the master stopped', () => {
    beforeAll(() => real.killMaster('SIGKILL'));
    afterAll(async () => {
      await real.startMaster();
      await real.waitConnected(['id-m1']);
    });

    it.each([
      ['master.pem', 0o644],
      ['master.pem', 0o640],
      ['master-tls.key', 0o604],
    ])('refuses to start the master when %s has mode %o', async (file, bad) => {
      const path = join(masterPki(), file);
      chmodSync(path, bad);
      const logged = masterLog(real).length;
      try {
        await expect(real.startMaster()).rejects.toThrow(/master exited with 1/);
        expect(masterLog(real).slice(logged)).toContain('ERR_MASTER_KEY_PERMISSIONS');
      } finally {
        chmodSync(path, 0o600);
      }
    });
  });

  it('refuses to start the minion when minion.pem is readable by others', async () => {
    await real.killMinion('id-m1');
    chmodSync(minionPem(), 0o644);
    const logged = minionLog(real, 'id-m1').length;
    try {
      const child = real.startMinion('id-m1');
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        child.once('exit', (c) => resolve(c));
      });
      expect(code).toBe(1);
      await sleep(50);
      expect(minionLog(real, 'id-m1').slice(logged)).toContain('ERR_MINION_KEY_PERMISSIONS');
    } finally {
      chmodSync(minionPem(), 0o600);
    }
    real.startMinion('id-m1');
    await real.waitConnected(['id-m1']);
    const job = await runJob(real, { target: 'id-m1', fun: 'test.ping' });
    expect(job.minions['id-m1']?.outcome).toBe('returned');
  });
});
