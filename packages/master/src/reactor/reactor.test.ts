import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, firstValueFrom, filter, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiFixture, type ApiFixture, type FixtureOptions } from '../http/api.fixture.js';
import type { ReactorEntryConfig } from '../config-automation.js';
import { masterCalls } from './master-calls.js';
import { renderReactions } from './reactor-files.js';
import { startReactor, type ReactionOutcome } from './reactor.js';

let fx: ApiFixture | undefined;
let reactor: Subscription | undefined;
let dir: string | undefined;

afterEach(async () => {
  reactor?.unsubscribe();
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  fx = reactor = dir = undefined;
});

async function setUp(files: Record<string, string>, entries: ReactorEntryConfig[], options: FixtureOptions) {
  dir = mkdtempSync(join(tmpdir(), 'brine-reactor-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  fx = await apiFixture(options);
  const s = fx.s;
  const at = dir;
  reactor = startReactor({
    bus: s.bus,
    start: { manager: s.manager, registry: s.registry, audit: s.log, trail: s.auditTrail! },
    identity: { user: 'reactor', grants: s.acl.grantsFor('reactor', []) },
    entries: entries.map((e) =>
      Object.fromEntries(Object.entries(e).map(([k, v]) => [k, Array.isArray(v) ? v.map((f) => join(at, f)) : v])),
    ),
    loopLimit: { max: 10, windowMs: 60_000 },
    concurrency: 4,
    scheduler: asyncScheduler,
    render: (file, context) => renderReactions(file, context, { fileRoots: [] }),
    calls: masterCalls({ keys: s.keys, bus: s.bus, drift: s.metrics }),
    log: s.log,
  });
  return fx;
}

const outcome$ = (f: ApiFixture) =>
  firstValueFrom(
    f.s.bus.events$(['brine/master/reactor/*']).pipe(filter((e) => e.tag !== 'brine/master/reactor/limited')),
  );

const PING = `{% if data.id != 'web2' %}
ping_{{ data.id }}:
  local.test.ping:
    - tgt: {{ data.id }}
{% endif %}
`;

describe('reactor', () => {
  it('renders the SLS with tag and data and starts the job as the reactor identity, audited', async () => {
    const f = await setUp({ 'new.sls': PING }, [{ 'brine/minion/*/connected': ['new.sls'] }], {
      minions: { web1: {}, web2: {} },
      acl: { reactor: ['test.*'] },
    });
    const fired = outcome$(f);
    f.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    const e = await fired;
    expect(e.tag).toBe('brine/master/reactor/fired');
    const o = e.data as ReactionOutcome;
    expect(o).toMatchObject({ tag: 'brine/minion/web1/connected', reaction: 'ping_web1', fun: 'test.ping', ok: true });
    expect(f.s.store.lookupJob(o.jid!)?.job).toMatchObject({ user: 'reactor', fun: 'test.ping', minions: ['web1'] });
    expect(f.logs.find((l) => l['audit'] === true && l['source'] === 'reactor')).toMatchObject({
      user: 'reactor',
      fun: 'test.ping',
      target: 'web1',
      outcome: 'ok',
      jid: o.jid,
    });
    // The same entry where GET /api/v1/audit lists it.
    expect(f.s.auditTrail!.list({ user: 'reactor' })[0]).toMatchObject({
      source: 'reactor',
      fun: 'test.ping',
      target: 'web1',
      outcome: 'ok',
      jid: o.jid,
      at: expect.any(Number),
    });
  });

  it("refuses a reaction the identity's ACL does not allow, publishes nothing and audits the denial", async () => {
    const sls = 'run:\n  local.cmd.run:\n    - tgt: web1\n    - arg: [reboot]\n';
    const f = await setUp({ 'run.sls': sls }, [{ 'brine/minion/*/connected': ['run.sls'] }], {
      minions: { web1: {} },
      acl: { reactor: ['test.*'] },
    });
    const refused = outcome$(f);
    f.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    expect((await refused).data).toMatchObject({ ok: false, code: 'ERR_AUTH_FORBIDDEN' });
    expect(f.published).toHaveLength(0);
    expect(f.logs.find((l) => l['audit'] === true && l['source'] === 'reactor')).toMatchObject({ outcome: 'denied' });
    expect(f.s.auditTrail!.list({ outcome: 'denied' })[0]).toMatchObject({ source: 'reactor', user: 'reactor' });
  });

  it('refuses pillar= overrides without @pillar_override, as the API does, and starts them with it', async () => {
    const sls = 'apply:\n  local.state.apply:\n    - tgt: web1\n    - kwarg: { pillar: { motd: x } }\n';
    const f = await setUp({ 'apply.sls': sls }, [{ 'brine/minion/*/connected': ['apply.sls'] }], {
      minions: { web1: {} },
      acl: { reactor: ['state.*'] },
    });
    const refused = outcome$(f);
    f.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    expect((await refused).data).toMatchObject({ ok: false, code: 'ERR_PILLAR_OVERRIDE_DENIED' });
    expect(f.published).toHaveLength(0);
    expect(f.logs.find((l) => l['audit'] === true && l['source'] === 'reactor')).toMatchObject({ outcome: 'denied' });
    reactor?.unsubscribe();
    await fx?.close();

    const g = await setUp({ 'apply.sls': sls }, [{ 'brine/minion/*/connected': ['apply.sls'] }], {
      minions: { web1: {} },
      acl: { reactor: ['state.*', '@pillar_override'] },
    });
    const fired = outcome$(g);
    g.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    expect((await fired).data).toMatchObject({ ok: true, fun: 'state.apply' });
  });

  it('accepts a key through wheel.key.accept when the identity holds @wheel', async () => {
    const sls = "accept:\n  wheel.key.accept:\n    - args:\n      - match: {{ data['id'] }}\n";
    const f = await setUp({ 'accept.sls': sls }, [{ 'brine/key/*/pending': ['accept.sls'] }], {
      keys: { newbie: 'pending' },
      acl: { reactor: ['@wheel'] },
    });
    const fired = outcome$(f);
    f.s.bus.publish('brine/key/newbie/pending', { id: 'newbie' });
    expect((await fired).data).toMatchObject({ ok: true, fun: 'wheel.key.accept' });
    expect(f.s.keys.state('newbie')).toBe('accepted');
  });

  it('reports an SLS that does not render with its file and line', async () => {
    const f = await setUp({ 'bad.sls': 'a:\n  b: [\n' }, [{ 'brine/minion/*/connected': ['bad.sls'] }], {
      minions: { web1: {} },
    });
    const refused = outcome$(f);
    f.s.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    const o = (await refused).data as ReactionOutcome;
    expect(o).toMatchObject({ ok: false, code: 'ERR_REACTOR_SLS' });
    expect(o.message).toMatch(/bad\.sls:\d+/);
  });

  it('stops a reaction that feeds itself at the loop limit, and says so once', async () => {
    // A reaction to every return of web1 that pings web1 again: without the limit, it never ends.
    const f = await setUp({ 'loop.sls': PING }, [{ 'brine/job/*/ret/*': ['loop.sls'] }], {
      minions: { web1: {} },
      acl: { reactor: ['test.*'] },
    });
    const limited = firstValueFrom(f.s.bus.events$(['brine/master/reactor/limited']));
    let returns = 0;
    const counting = f.s.bus.events$(['brine/job/*/ret/web1']).subscribe(() => returns++);
    f.s.bus.publish('brine/job/20261207000000000000/ret/web1', { id: 'web1' });
    expect((await limited).data).toMatchObject({ tag: 'brine/job/*/ret/web1', max: 10 });
    // The first event and the returns of ten jobs: the eleventh was dropped, so nothing can follow.
    await vi.waitFor(() => expect(returns).toBe(11), { timeout: 10_000 });
    counting.unsubscribe();
    expect(f.published.length).toBe(10);
    expect(f.logs.filter((l) => l['msg'] === 'reactor loop limit hit; events of this tag dropped')).toHaveLength(1);
  });
});
