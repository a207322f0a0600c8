/**
 * Issue #16 end to end: pillar compiled on a real master, delivered to real minions over their
 * own connections, secrets decrypted only for their minion, -I targeting, overrides behind an
 * ACL grant, a minion asking for another's pillar, and the mine across minions.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { idsOf, jsonJob, startCli, type LiveCli } from './cli-helpers.js';
import { minionUrl } from './security/fixtures.js';
import { RawMinion } from './security/raw-minion.js';

const SECRET = 'S3cr3t-for-pa-only-7f3a9c';
const B_ONLY = 'b-only-value-41d2';
// A recipient whose identity nobody has: what "the master lacks the key" looks like.
const FOREIGN = 'age14a6wf852agusmh9e8qccqe3mz62dt082j7deh0ymu294gwfqpegq84cg6p';
const MINIONS = ['pa', 'pb', 'pc', 'broken'];

let cluster: Cluster;
let events: LiveCli;
const tokens: Record<string, string> = {};
const run = (...args: string[]) => cluster.cli(BIN.brine, [...args, '--out', 'json']);

function write(path: string, text: string): void {
  const file = join(cluster.dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(cluster.endpoints.api + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  // The cluster's own dir is made by it, so the pillar paths point into a dir made here.
  const dir = mkdtempSync(join(tmpdir(), 'brine-pillar-'));
  const roots = join(dir, 'pillar');
  cluster = new Cluster({
    dir,
    master: {
      log_level: 'debug',
      users: { ops: {}, boss: {} },
      acl: { ops: ['.*'], boss: ['.*', '@pillar_override'] },
      pillar_roots: { base: [roots] },
      ext_pillar: [{ file_tree: { root_dir: join(dir, 'hosts') } }],
    },
    minion: { log_level: 'debug' },
  });
  await cluster.startMaster();
  const enc = await cluster.cli(BIN.master, ['encrypt', '--state-dir', cluster.masterDir, SECRET]);
  expect(enc.stderr).toBe('');
  const encrypted = enc.stdout.trim();
  expect(encrypted).toMatch(/^ENC\[age,[A-Za-z0-9+/=]+\]$/);
  const foreign = (await cluster.cli(BIN.master, ['encrypt', '--recipient', FOREIGN, 'never-seen'])).stdout.trim();
  expect(foreign).toMatch(/^ENC\[age,/);
  write(
    'pillar/top.sls',
    `base:
  '*':
    - common
  pa:
    - secrets.pa
  pb:
    - secrets.pb
  pc:
    - foreign
  broken:
    - bad
`,
  );
  write('pillar/common.sls', "owner: '{{ grains.id }}'\nshared: everyone\n");
  // A's template asks for B's values: a pillar is compiled for one minion, so nothing is there.
  write(
    'pillar/secrets/pa.sls',
    `#!jinja|yaml|age\nrole: a\nsecret: ${encrypted}\npeer: '{{ salt["pillar.get"]("b_only", "absent") }}'\n`,
  );
  write('pillar/secrets/pb.sls', `role: b\nb_only: ${B_ONLY}\n`);
  write('pillar/foreign.sls', `role: c\npw: ${foreign}\n`);
  write('pillar/bad.sls', 'ok: 1\nbad: [unclosed\nmore: 2\n');
  write('hosts/pb.yaml', 'from_tree: true\n');
  cluster.startMinion('pa', { grains: { id: 'pb' }, mine_functions: { 'test.echo': ['from-pa'] } });
  cluster.startMinion('pb', { mine_functions: { 'test.echo': ['from-pb'] } });
  cluster.startMinion('pc');
  cluster.startMinion('broken');
  await cluster.waitConnected(MINIONS, 30_000);
  for (const user of ['ops', 'boss']) {
    const made = await cluster.api<{ token: string }>('POST', '/api/v1/tokens', { user, ttlSeconds: 3600 });
    tokens[user] = made.body.token;
  }
  events = startCli(cluster, BIN.brine, ['events', '--json'], 600_000);
  await new Promise((r) => setTimeout(r, 300)); // the stream is subscribed once the CLI has connected
}, 90_000);

afterAll(async () => {
  events?.kill('SIGKILL');
  await cluster?.stop();
  if (cluster && !process.env['BRINE_KEEP_TEST_DIRS']) rmSync(cluster.dir, { recursive: true, force: true });
});

describe('pillar end to end', () => {
  it("gives each minion its own pillar and never another's, whatever its grains claim", async () => {
    const r = jsonJob(await run('-L', 'pa,pb', 'pillar.items'));
    const pa = r.minions['pa']!.ret as Record<string, unknown>;
    const pb = r.minions['pb']!.ret as Record<string, unknown>;
    expect(pa).toEqual({ owner: 'pa', shared: 'everyone', role: 'a', secret: SECRET, peer: 'absent' });
    expect(pb).toEqual({ owner: 'pb', shared: 'everyone', role: 'b', b_only: B_ONLY, from_tree: true });
    expect(JSON.stringify(pa)).not.toContain(B_ONLY);
    expect(JSON.stringify(pb)).not.toContain(SECRET);
  });

  it('fails only the minion whose pillar file is bad, naming file:line, and says when the key is missing', async () => {
    const r = jsonJob(await run('*', 'pillar.items'));
    expect(r.minions['broken']).toMatchObject({ success: false, ret: { code: 'ERR_PILLAR_COMPILE' } });
    expect((r.minions['broken']!.ret as { message: string }).message).toMatch(/bad\.sls:\d/);
    expect(r.minions['pc']).toMatchObject({ success: false, ret: { code: 'ERR_PILLAR_DECRYPT' } });
    expect((r.minions['pc']!.ret as { message: string }).message).toContain('cannot decrypt');
    expect(r.minions['pa']).toMatchObject({ success: true });
    expect(r.minions['pb']).toMatchObject({ success: true });
  });

  it('selects minions by compiled pillar with -I, -J and I@', async () => {
    expect(idsOf(await run('-I', 'role:a', 'test.ping'))).toEqual(['pa']);
    expect(idsOf(await run('-J', 'role:^(a|b)$', 'test.ping'))).toEqual(['pa', 'pb']);
    expect(idsOf(await run('-C', 'I@shared:every* and not I@role:b', 'test.ping'))).toEqual(['pa']);
    const none = await cluster.cli(BIN.brine, ['-I', 'role:zzz', 'test.ping']);
    expect(none.code).not.toBe(0);
  });

  it('sees a changed pillar file at the next request, and in -I after it', async () => {
    write('pillar/secrets/pb.sls', `role: b2\nb_only: ${B_ONLY}\n`);
    const r = jsonJob(await run('pb', 'saltutil.refresh_pillar'));
    expect(r.minions['pb']).toMatchObject({ success: true, ret: true });
    expect(jsonJob(await run('pb', 'pillar.get', 'role')).minions['pb']!.ret).toBe('b2');
    expect(idsOf(await run('-I', 'role:b2', 'test.ping'))).toEqual(['pb']);
    const cleared = await cluster.cli(BIN.brineRun, ['cache.clear_pillar', '*', '--out', 'json']);
    expect(cleared).toMatchObject({ code: 0, stdout: 'true\n' });
  });

  it('refuses pillar= overrides without @pillar_override and merges them with it', async () => {
    const job = { target: 'pa', fun: 'pillar.get', args: ['role'], kwargs: { pillar: { role: 'override' } } };
    const refused = await api(tokens['ops']!, 'POST', '/api/v1/jobs?wait=true', job);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ERR_PILLAR_OVERRIDE_DENIED' });
    const allowed = await api(tokens['boss']!, 'POST', '/api/v1/jobs?wait=true', job);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ minions: { pa: { ret: 'override' } } });
    const audit = readFileSync(join(cluster.dir, 'master.log'), 'utf8');
    expect(audit).toMatch(/"detail":"pillar_override".*"status":403|"status":403.*"detail":"pillar_override"/);
  });

  it("refuses and audits a minion asking for another minion's pillar", async () => {
    const raw = new RawMinion({ url: minionUrl(cluster), id: 'praw', answerJobs: false });
    expect((await raw.connect()).ok).toBe(true);
    raw.conn!.send({ type: 'pillar.get', reqId: 7, id: 'pa' });
    await waitFor(() => raw.ofType('pillar.data').some((f) => f.reqId === 7), 15_000, 'the answer to pillar.get');
    const answer = raw.ofType('pillar.data').find((f) => f.reqId === 7)!;
    expect(answer).toMatchObject({ pillar: {}, error: { code: 'ERR_PILLAR_FORBIDDEN' } });
    expect(JSON.stringify(raw.received)).not.toContain(SECRET);
    await waitFor(
      () => readFileSync(join(cluster.dir, 'master.log'), 'utf8').includes('pillar request for another minion refused'),
      10_000,
      'the audit line',
    );
    await raw.stop();
  });

  it('shares mine data across minions and lets a minion remove only its own', async () => {
    // The minions' mine timers ran mine.update after they connected.
    await waitFor(
      async () => {
        const early = jsonJob(await run('pc', 'mine.get', '*', 'test.echo'));
        return Object.keys(early.minions['pc']!.ret as object).length === 2;
      },
      20_000,
      'mine entries of pa and pb from their timers',
    );
    expect(jsonJob(await run('-L', 'pa,pb', 'mine.update')).summary.success).toBe(true);
    const got = jsonJob(await run('pc', 'mine.get', '*', 'test.echo'));
    expect(got.minions['pc']!.ret).toEqual({ pa: 'from-pa', pb: 'from-pb' });
    expect(jsonJob(await run('pb', 'mine.flush')).minions['pb']!.ret).toBe(true);
    const after = jsonJob(await run('pc', 'mine.get', 'p*', 'test.echo'));
    expect(after.minions['pc']!.ret).toEqual({ pa: 'from-pa' });
  });

  it('keeps the decrypted secret out of other jobs, events, the job cache and every log', async () => {
    const proof = jsonJob(await run('pa', 'pillar.get', 'secret'));
    expect(proof.minions['pa']!.ret).toBe(SECRET);
    await events.waitFor(new RegExp(`brine/job/${proof.jid}/done`), 15_000);
    const listing = await cluster.api<{ jobs: { jid: string; fun: string }[] }>('GET', '/api/v1/jobs?limit=1000');
    // Events: only pa's returns of pillar functions may carry it.
    const pillarJobs = new Set(listing.body.jobs.filter((j) => j.fun.startsWith('pillar.')).map((j) => j.jid));
    const leaked = events
      .stdout()
      .split('\n')
      .filter((line) => line.includes(SECRET))
      .filter((line) => !pillarJobs.has(/"tag":"brine\/job\/(\d+)\/ret\/pa"/.exec(line)?.[1] ?? ''));
    expect(leaked).toEqual([]);
    expect(events.stdout()).toContain(`brine/job/${proof.jid}/ret/pa`);
    // Job cache: every row but pa's answers to pillar functions.
    let checked = 0;
    for (const job of listing.body.jobs) {
      const detail = await cluster.api<{ minions: { id: string }[] }>('GET', `/api/v1/jobs/${job.jid}`);
      for (const row of detail.body.minions) {
        if (row.id === 'pa' && job.fun.startsWith('pillar.')) continue;
        expect(JSON.stringify(row), `${job.fun} on ${row.id}`).not.toContain(SECRET);
      }
      checked += detail.body.minions.length;
    }
    expect(checked).toBeGreaterThan(10);
    // Logs of the master and of every minion, at debug level.
    for (const file of readdirSync(cluster.dir).filter((f) => f.endsWith('.log'))) {
      expect(readFileSync(join(cluster.dir, file), 'utf8'), file).not.toContain(SECRET);
    }
  });
});
