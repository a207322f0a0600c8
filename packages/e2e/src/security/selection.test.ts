import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode, decodeFrame } from '@brine/protocol';
import { RawMinion, decodeSpec, ofType } from './raw-minion.js';
import { startRawMaster, type RawMaster } from './raw-master.js';
import { logRecords, minionLog, minionUrl, runJob } from './fixtures.js';

// Issue #13, finding 5: a job for `*` was captured by an accepted hostile minion while another
// accepted minion was offline, and replayed to that minion (within the job's expiry) by a master
// holding the real keys. The target matches the offline minion, and the signature is good; only
// the signed audience (the minions the master sent the job to) says it was not selected.
const ON = 'sel-on';
const OFF = 'sel-off';
let cluster: Cluster;
let raw: RawMinion;
let master: RawMaster | undefined;

beforeAll(async () => {
  cluster = await new Cluster({ minions: [ON, OFF] }).start();
  raw = new RawMinion({ url: minionUrl(cluster), id: 'sel-raw' });
  expect((await raw.connect()).ok).toBe(true);
}, 60_000);
afterAll(async () => {
  await master?.close();
  await raw?.stop();
  await cluster?.stop();
});

describe('a captured job replayed to a minion the master did not select', () => {
  it('is refused with ERR_JOB_NOT_SELECTED and does not run, though its target matches', async () => {
    await cluster.killMinion(OFF, 'SIGKILL');
    await waitFor(async () => !(await cluster.connected()).includes(OFF), 10_000, `${OFF} to be seen offline`);
    const job = await runJob(cluster, { target: '*', fun: 'test.ping', ackTimeoutMs: 2000 });
    expect(job.minions[ON]?.outcome).toBe('returned');
    expect(job.minions[raw.id]?.outcome).toBe('returned');
    expect(job.minions[OFF]?.outcome).toBe('offline');
    const captured = raw.publishes.find((bytes) => {
      const f = decodeFrame(bytes);
      return f.ok && f.frame.type === 'job.publish' && decodeSpec(f.frame)?.jid === job.jid;
    });
    expect(captured).toBeDefined();

    // The attacker now holds the channel to the offline minion, with the master's own keys.
    await cluster.killMaster('SIGKILL');
    master = await startRawMaster({
      port: cluster.endpoints.minionPort,
      pkiDir: join(cluster.masterDir, 'pki'),
      tls: cluster.endpoints.tls,
    });
    const next = master.session(OFF, 30_000);
    cluster.startMinion(OFF);
    const session = await next;
    session.send(captured!);
    await waitFor(
      () => session.frames.some((f) => f.type === 'job.ack' || f.type === 'job.return'),
      10_000,
      'the minion to answer the replayed job',
    );
    // A straggling return would show itself here.
    await new Promise((r) => setTimeout(r, 300));
    const acks = session.frames.filter(ofType('job.ack'));
    expect(acks.map((a) => [a.jid, a.state, a.code])).toEqual([[job.jid, 'refused', ErrorCode.JOB_NOT_SELECTED]]);
    expect(session.frames.filter(ofType('job.return'))).toEqual([]);
    expect(logRecords(minionLog(cluster, OFF), 'job accepted')).toEqual([]);
  }, 60_000);
});
