import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { RawMinion } from './raw-minion.js';
import { logRecords, masterLog, minionUrl } from './fixtures.js';
import { probeStalls, worst } from './stall-probe.js';

// Issue 13, "also missing": the slow-reader cut-off (max_buffered_bytes) was not attacked in the
// first pass. A hostile accepted minion stops reading its socket while jobs with 512 KiB of
// arguments keep coming; the master must cut it off once its unsent bytes pass the limit, and
// keep answering everyone else.
const LIMIT = 2 * 1024 * 1024;
let cluster: Cluster;

beforeAll(async () => {
  // A long heartbeat: a socket that is not read does not answer pings either, and the heartbeat
  // sweep would drop it before the buffer check had its say.
  cluster = await new Cluster({
    minions: ['sr-pinger'],
    master: { max_buffered_bytes: LIMIT, heartbeat_ms: 60_000 },
  }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a minion that stops reading', () => {
  it('is cut off once its unsent bytes pass max_buffered_bytes, while another minion keeps answering', async () => {
    const raw = new RawMinion({ url: minionUrl(cluster), id: 'sr-sloth', answerJobs: false });
    expect((await raw.connect()).ok).toBe(true);
    await cluster.waitConnected(['sr-sloth']);
    raw.conn!.socket!.pause();
    const probe = probeStalls(cluster, 'sr-pinger');
    const big = 'x'.repeat(512 * 1024);
    const t0 = performance.now();
    let sent = 0;
    // Jobs until the master drops the sloth from its registry (each is published at once).
    await waitFor(
      async () => {
        if (!(await cluster.connected()).includes('sr-sloth')) return true;
        const res = await cluster.api('POST', '/api/v1/jobs', { target: 'sr-sloth', fun: 'test.echo', args: [big] });
        if (res.status === 200 || res.status === 202) sent++;
        return false;
      },
      60_000,
      'the master to cut the slow reader off',
    );
    const cutMs = performance.now() - t0;
    const { rtts, loopMaxMs } = await probe.stop();
    const cut = logRecords(masterLog(cluster), 'slow reader cut off');
    console.log(
      `slow reader: cut off after ${sent} jobs of 512 KiB in ${cutMs.toFixed(0)} ms with ` +
        `${String(cut[0]?.['bufferedBytes'])} bytes unsent (limit ${LIMIT}); worst test.ping ${worst(rtts)} ms; ` +
        `master event-loop delay max ${loopMaxMs} ms`,
    );
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ minionId: 'sr-sloth' });
    expect(Number(cut[0]!['bufferedBytes'])).toBeGreaterThan(LIMIT);
    expect(Number(cut[0]!['bufferedBytes'])).toBeLessThan(LIMIT + 2 * 1024 * 1024);
    expect(worst(rtts)).toBeLessThan(2000);
    await raw.stop();
  }, 90_000);
});
