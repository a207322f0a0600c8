/**
 * salt-api runner and wheel functions, `POST /keys` and CORS, with requests shaped as pepper and
 * SaltGUI shape them (salt/runners/{jobs,manage,cache,doc}.py, salt/wheel/{key,minions,config}.py,
 * rest_cherrypy's Keys.POST and cors_tool).
 */
import { loadKeyPair } from '@brine/protocol';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';
import { principalOfToken } from '../auth/auth.js';
import { saltEvents$, type SaltEvent } from './salt-events.js';

let fx: ApiFixture;
const admin = () => ({ 'x-auth-token': fx.adminToken, accept: 'application/json' });
const low = (chunk: Record<string, unknown>) => call(fx.app, 'POST', '/', { headers: admin(), body: [chunk] });
const first = async (chunk: Record<string, unknown>) => (await low(chunk)).json.return[0];

beforeAll(async () => {
  fx = await apiFixture({
    minions: {
      web1: { id: 'web1', os: 'Debian', brine_version: '0.1.0' },
      web2: { id: 'web2', os: 'Debian', brine_version: '0.0.9' },
      db1: { id: 'db1', os: 'RedHat', brine_version: '0.2.0' },
    },
    users: { kick: { password: 'start' }, viewer: { password: 'view' } },
    acl: { kick: ['@keys'], viewer: ['@minions'] },
    keys: { web1: 'accepted', newbie: 'pending' },
  });
});
afterAll(async () => fx?.close());

/** Runs test.echo on web1 as root and answers its jid. */
async function echoJob(): Promise<string> {
  const res = await call(fx.app, 'POST', '/minions', {
    headers: admin(),
    body: [{ tgt: 'web*', fun: 'test.echo', arg: ['hi'] }],
  });
  const jid = res.json.return[0].jid as string;
  // local_async answers at once; jobs.lookup_jid needs the returns stored.
  for (
    let i = 0;
    i < 100 && Object.keys(await first({ client: 'runner', fun: 'jobs.lookup_jid', jid })).length < 2;
    i++
  )
    await new Promise((r) => setTimeout(r, 20));
  return jid;
}

describe('runner arguments', () => {
  it('takes the jid positionally, as key=value in arg, as a string, or as a JSON number above 2^53', async () => {
    const jid = await echoJob();
    const want = { web1: 'hi', web2: 'hi' };
    expect(await first({ client: 'runner', fun: 'jobs.lookup_jid', arg: [jid] })).toEqual(want);
    expect(await first({ client: 'runner', fun: 'jobs.lookup_jid', arg: [`jid=${jid}`] })).toEqual(want);
    expect(await first({ client: 'runner', fun: 'jobs.lookup_jid', kwarg: { jid } })).toEqual(want);
    // The digits of a 20-digit number survive only if the body is read before JSON.parse rounds it.
    const raw = `[{"client": "runner", "fun": "jobs.lookup_jid", "jid": ${jid}}]`;
    const res = await call(fx.app, 'POST', '/', { headers: { ...admin(), 'content-type': 'application/json' }, raw });
    expect(res.json).toEqual({ return: [want] });
    const positional = `[{"client": "runner", "fun": "jobs.list_job", "arg": [${jid}]}]`;
    const listed = await call(fx.app, 'POST', '/', {
      headers: { ...admin(), 'content-type': 'application/json' },
      raw: positional,
    });
    expect(listed.json.return[0].jid).toBe(jid);
  });

  it('reads runner arg and kwarg from JSON and forms alike, form args as YAML (test_arg_kwarg.py)', async () => {
    const want = { args: [1234, 5678], kwargs: { ext_source: 'redis' } };
    expect(
      await first({ client: 'runner', fun: 'test.arg', arg: [1234, 5678], kwarg: { ext_source: 'redis' } }),
    ).toEqual(want);
    const form = await call(fx.app, 'POST', '/', {
      headers: admin(),
      form: { client: 'runner', fun: 'test.arg', arg: ['1234', '5678'], ext_source: 'redis' },
    });
    expect(form.json.return[0]).toEqual(want);
    const lone = await call(fx.app, 'POST', '/', {
      headers: admin(),
      form: { client: 'runner', fun: 'test.arg', arg: '1234', ext_source: 'redis' },
    });
    expect(lone.json.return[0]).toEqual({ args: [1234], kwargs: { ext_source: 'redis' } });
    const text = await first({ client: 'runner', fun: 'test.arg', arg: ['20261207013137663000', 'a # b', '[1, 2]'] });
    expect(text.args).toEqual(['20261207013137663000', 'a # b', [1, 2]]);
  });

  it('answers 400 for a jid that is not 20 digits and for too many positional arguments', async () => {
    expect((await low({ client: 'runner', fun: 'jobs.lookup_jid', jid: 12 })).status).toBe(400);
    expect((await low({ client: 'runner', fun: 'jobs.lookup_jid', arg: ['1', '2', '3', '4', '5', '6'] })).status).toBe(
      400,
    );
  });
});

describe('runner functions in Salt shapes', () => {
  it('jobs.list_job, jobs.print_job and jobs.exit_success describe one job', async () => {
    const jid = await echoJob();
    const job = await first({ client: 'runner', fun: 'jobs.list_job', jid });
    expect(job).toMatchObject({
      jid,
      Function: 'test.echo',
      Arguments: ['hi'],
      Target: 'web*',
      'Target-type': 'glob',
      User: 'root',
      Minions: ['web1', 'web2'],
      Result: { web1: { return: 'hi', retcode: 0, success: true }, web2: { return: 'hi', retcode: 0, success: true } },
    });
    const printed = await first({ client: 'runner', fun: 'jobs.print_job', jid });
    expect(Object.keys(printed)).toEqual([jid]);
    expect(printed[jid]).toMatchObject({ Function: 'test.echo', Minions: ['web1', 'web2'] });
    expect(await first({ client: 'runner', fun: 'jobs.exit_success', jid })).toEqual({ web1: true, web2: true });
  });

  it('jobs.list_jobs filters by search_function, as SaltGUI asks', async () => {
    await echoJob();
    await low({ client: 'local', tgt: 'db1', fun: 'test.ping' });
    const found = await first({ client: 'runner', fun: 'jobs.list_jobs', search_function: 'test.ec*' });
    const funs = new Set(Object.values(found as Record<string, { Function: string }>).map((j) => j.Function));
    expect([...funs]).toEqual(['test.echo']);
  });

  it('manage.versions sorts minions by their version against the master', async () => {
    expect(await first({ client: 'runner', fun: 'manage.versions' })).toEqual({
      'Up to date': { web1: '0.1.0' },
      'Minion requires update': { web2: '0.0.9' },
      'Minion newer than master': { db1: '0.2.0' },
      Master: '0.1.0',
    });
  });

  it('manage.up and cache.grains take a target', async () => {
    expect(await first({ client: 'runner', fun: 'manage.up', tgt: 'web*' })).toEqual(['web1', 'web2']);
    expect(await first({ client: 'runner', fun: 'cache.grains', tgt: 'db1' })).toEqual({
      db1: { id: 'db1', os: 'RedHat', brine_version: '0.2.0' },
    });
    expect(Object.keys(await first({ client: 'runner', fun: 'cache.grains' })).sort()).toEqual(['db1', 'web1', 'web2']);
  });

  it('doc.runner, doc.wheel and doc.execution answer {function: doc}', async () => {
    const runners = await first({ client: 'runner', fun: 'doc.runner' });
    expect(runners['jobs.lookup_jid']).toEqual(expect.any(String));
    expect(Object.keys(await first({ client: 'runner', fun: 'doc.wheel' }))).toContain('key.list_all');
    expect(await first({ client: 'runner', fun: 'doc.execution' })).toEqual({
      'web1.fn': 'Docs.',
      'web2.fn': 'Docs.',
      'db1.fn': 'Docs.',
      'test.ping': 'Pong.',
    });
  });

  it('test.arg and test.echo answer their arguments', async () => {
    expect(await first({ client: 'runner', fun: 'test.arg', arg: [1, 'two'], kwarg: { three: 3 } })).toEqual({
      args: [1, 'two'],
      kwargs: { three: 3 },
    });
    expect(await first({ client: 'runner', fun: 'test.echo', arg: ['hello'] })).toBe('hello');
  });

  it("event.send fires an event on the bus as Salt's runner does, never under the master's or a minion's prefix", async () => {
    const seen = firstValueFrom(fx.s.bus.events$(['myapp/*']));
    expect(
      await first({ client: 'runner', fun: 'event.send', arg: ['myapp/deployed'], kwarg: { data: { v: 2 } } }),
    ).toBe(true);
    expect(await seen).toMatchObject({ tag: 'myapp/deployed', data: { v: 2 } });
    for (const tag of ['brine/minion/web1/spoof', 'brine/job/1/ret/web1', 'myapp//x']) {
      const refused = await low({ client: 'runner', fun: 'event.send', tag });
      expect(refused.status).toBe(400);
    }
    const kick = await call(fx.app, 'POST', '/', {
      headers: { 'x-auth-token': fx.tokenFor('kick') },
      body: [{ client: 'runner', fun: 'event.send', tag: 'myapp/x' }],
    });
    expect(kick.status).toBe(401);
  });

  it('a user without @minions gets 401 for manage.versions; one with it gets the answer', async () => {
    const kick = fx.tokenFor('kick');
    const refused = await call(fx.app, 'POST', '/', {
      headers: { 'x-auth-token': kick },
      body: [{ client: 'runner', fun: 'manage.versions' }],
    });
    expect(refused.status).toBe(401);
    const viewer = await call(fx.app, 'POST', '/', {
      headers: { 'x-auth-token': fx.tokenFor('viewer') },
      body: [
        { client: 'runner', fun: 'manage.versions' },
        { client: 'wheel', fun: 'minions.connected' },
      ],
    });
    expect(viewer.status).toBe(200);
  });
});

describe('runner_async and wheel_async', () => {
  it('answer {tag, jid} at once and put the result on the stream as salt/run/<jid>/ret and salt/wheel/<jid>/ret', async () => {
    const seen: SaltEvent[] = [];
    const sub = saltEvents$(fx.s, principalOfToken(fx.s, fx.adminToken)!).subscribe((e) => seen.push(e));
    try {
      const run = await first({ client: 'runner_async', fun: 'test.arg', arg: ['x'] });
      expect(run).toEqual({ tag: `salt/run/${run.jid}`, jid: expect.stringMatching(/^\d{20}$/) });
      const wheel = await first({ client: 'wheel_async', fun: 'minions.connected' });
      expect(wheel.tag).toBe(`salt/wheel/${wheel.jid}`);
      for (let i = 0; i < 100 && seen.filter((e) => e.tag.endsWith('/ret')).length < 2; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(seen.map((e) => e.tag)).toEqual([
        `salt/run/${run.jid}/new`,
        `salt/run/${run.jid}/ret`,
        `salt/wheel/${wheel.jid}/new`,
        `salt/wheel/${wheel.jid}/ret`,
      ]);
      expect(seen[1]!.data).toMatchObject({
        fun: 'runner.test.arg',
        return: { args: ['x'], kwargs: {} },
        success: true,
      });
      expect(seen[3]!.data).toMatchObject({ fun: 'wheel.minions.connected', success: true, user: 'root' });
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('wheel functions in Salt shapes', () => {
  it('minions.connected lists the connected ids; config.values the config without secrets', async () => {
    const connected = await first({ client: 'wheel', fun: 'minions.connected' });
    expect(connected.data).toMatchObject({ fun: 'wheel.minions.connected', success: true });
    expect([...connected.data.return].sort()).toEqual(['db1', 'web1', 'web2']);
    const config = await first({ client: 'wheel', fun: 'config.values' });
    expect(config.data.return).toEqual({ interface: '0.0.0.0', port: 4506, nodegroups: {} });
  });

  it('key.list_all carries local; key.accept takes match', async () => {
    const all = await first({ client: 'wheel', fun: 'key.list_all' });
    expect(all.data.return).toMatchObject({ local: ['master.pem', 'master.pub'], minions_pre: ['newbie'] });
    const accepted = await first({ client: 'wheel', fun: 'key.accept', match: 'newbie' });
    expect(accepted.data.return).toEqual({ minions: ['newbie'] });
  });
});

/** The files of a ustar archive: name, mode and text. */
function untar(buf: Buffer): { name: string; mode: number; text: string }[] {
  const out: { name: string; mode: number; text: string }[] = [];
  for (let off = 0; off + 512 <= buf.length && buf[off] !== 0;) {
    const name = buf.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    const mode = Number.parseInt(buf.toString('ascii', off + 100, off + 107), 8);
    const size = Number.parseInt(buf.toString('ascii', off + 124, off + 135), 8);
    out.push({ name, mode, text: buf.toString('utf8', off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('POST /keys', () => {
  it('makes and accepts a key for mid, answering a tar of minion.pem and minion.pub (credentials in the form)', async () => {
    const res = await fx.app.inject({
      method: 'POST',
      url: '/keys',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'mid=kick1&username=kick&password=start&eauth=pam',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-tar');
    expect(res.headers['content-disposition']).toBe('attachment; filename="saltkeys-kick1.tar"');
    const files = untar(res.rawPayload);
    expect(files.map((f) => [f.name, f.mode])).toEqual([
      ['minion.pub', 0o644],
      ['minion.pem', 0o600],
    ]);
    const pair = loadKeyPair(files[1]!.text);
    expect(files[0]!.text.trim()).toBe(pair.publicRaw.toString('base64'));
    expect(fx.s.keys.state('kick1')).toBe('accepted');
    expect(fx.s.keys.publicKey('kick1')!.equals(pair.publicRaw)).toBe(true);
  });

  it('answers 401 without credentials or the @keys grant, 409 for an id that has a key, 400 for a glob id', async () => {
    const post = (form: string) =>
      fx.app.inject({
        method: 'POST',
        url: '/keys',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form,
      });
    expect((await post('mid=x1')).statusCode).toBe(401);
    expect((await post('mid=x1&username=viewer&password=view&eauth=pam')).statusCode).toBe(401);
    expect((await post('mid=web1&username=kick&password=start&eauth=pam')).statusCode).toBe(409);
    expect((await post('mid=web*&username=kick&password=start&eauth=pam')).statusCode).toBe(400);
    expect(fx.s.keys.state('x1')).toBeUndefined();
  });
});

describe('CORS', () => {
  it('answers a preflight with 200 and no CORS headers when no origin is configured', async () => {
    const res = await fx.app.inject({
      method: 'OPTIONS',
      url: '/login',
      headers: { origin: 'https://gui.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows a configured origin, with credentials, and no other', async () => {
    const cors = await apiFixture({ corsOrigins: ['https://gui.example'] });
    try {
      const pre = await cors.app.inject({
        method: 'OPTIONS',
        url: '/',
        headers: { origin: 'https://gui.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.statusCode).toBe(200);
      expect(pre.headers).toMatchObject({
        'access-control-allow-origin': 'https://gui.example',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'Content-Type, X-Auth-Token, X-Requested-With, Authorization',
        'access-control-max-age': '1400',
      });
      const get = await cors.app.inject({ method: 'GET', url: '/', headers: { origin: 'https://gui.example' } });
      expect(get.headers['access-control-allow-origin']).toBe('https://gui.example');
      const other = await cors.app.inject({ method: 'GET', url: '/', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.close();
    }
  });
});
