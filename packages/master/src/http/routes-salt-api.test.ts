/**
 * salt-api (rest_cherrypy) compatibility, checked against the request/response pairs of Salt's
 * own documentation (salt/netapi/rest_cherrypy/app.py docstrings): same requests, same shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from './api.fixture.js';
import { call, nextChunk } from './api-call.fixture.js';

let fx: ApiFixture;
let token: string;
const ms = ['ms-0', 'ms-1', 'ms-2', 'ms-3', 'ms-4'];
const JID = /^\d{20}$/;

beforeAll(async () => {
  fx = await apiFixture({
    minions: Object.fromEntries([...ms, 'jerry'].map((id) => [id, { id, os: 'Debian' }])),
    users: { saltuser: { password: 'saltuser' }, saltdev: { password: 'saltdev' }, gru: { password: 'bob' } },
    acl: {
      saltuser: ['grains.*', 'status.*', 'sys.*', 'test.*'],
      saltdev: ['.*', 'test.*', 'status.*', '@runner', '@wheel', '@hooks', '@events'],
      gru: ['.*', '@runner', '@wheel'],
    },
    keys: { jerry: 'accepted' },
  });
  const login = await call(fx.app, 'POST', '/login', {
    body: { username: 'saltdev', password: 'saltdev', eauth: 'auto' },
  });
  token = login.json.return[0].token;
});
afterAll(async () => fx?.close());

const salt = (method: string, url: string, opts: Parameters<typeof call>[3] = {}) =>
  call(fx.app, method, url, { headers: { 'x-auth-token': token, accept: 'application/json' }, ...opts });
const allTrue = Object.fromEntries(ms.map((id) => [id, true]));

describe('salt-api login and logout', () => {
  it('POST /login (JSON, eauth auto) answers the token in the body and X-Auth-Token, with perms', async () => {
    const res = await call(fx.app, 'POST', '/login', {
      body: { username: 'saltuser', password: 'saltuser', eauth: 'auto' },
    });
    expect(res.status).toBe(200);
    const [r] = res.json.return;
    expect(r).toEqual({
      token: r.token,
      start: r.start,
      expire: r.expire,
      user: 'saltuser',
      eauth: 'auto',
      perms: ['grains.*', 'status.*', 'sys.*', 'test.*'],
    });
    expect(res.headers['x-auth-token']).toBe(r.token);
    expect(r.expire - r.start).toBeCloseTo(3600, 3);
  });

  it('POST /login (form, eauth pam) answers the same shape', async () => {
    const res = await call(fx.app, 'POST', '/login', { form: { username: 'gru', password: 'bob', eauth: 'pam' } });
    expect(res.json.return[0]).toMatchObject({ user: 'gru', eauth: 'pam', perms: ['.*', '@runner', '@wheel'] });
  });

  it('POST /login answers 401 for a wrong password or an eauth it does not serve', async () => {
    expect(
      (await call(fx.app, 'POST', '/login', { form: { username: 'gru', password: 'nope', eauth: 'pam' } })).status,
    ).toBe(401);
    expect(
      (await call(fx.app, 'POST', '/login', { form: { username: 'gru', password: 'bob', eauth: 'ldap' } })).status,
    ).toBe(401);
  });

  it('POST /logout clears the token', async () => {
    const login = await call(fx.app, 'POST', '/login', { form: { username: 'gru', password: 'bob', eauth: 'pam' } });
    const t = login.json.return[0].token as string;
    const out = await call(fx.app, 'POST', '/logout', { headers: { 'x-auth-token': t } });
    expect(out.json).toEqual({ return: 'Your token has been cleared' });
    expect((await call(fx.app, 'POST', '/logout', { headers: { 'x-auth-token': t } })).status).toBe(401);
  });
});

describe('salt-api lowstate', () => {
  it('GET / answers the welcome and the clients', async () => {
    expect((await call(fx.app, 'GET', '/')).json).toEqual({
      return: 'Welcome',
      clients: ['local', 'local_async', 'local_batch', 'runner', 'wheel'],
    });
  });

  it('POST / [{client: local, tgt: *, fun: test.ping}] answers {return: [{ms-0: true, ...}]}', async () => {
    const res = await salt('POST', '/', { body: [{ client: 'local', tgt: 'ms-*', fun: 'test.ping' }] });
    expect(res.json).toEqual({ return: [allTrue] });
  });

  it('POST / as a form (client=local&tgt=*&fun=test.ping) answers the same', async () => {
    expect((await salt('POST', '/', { form: { client: 'local', tgt: 'ms-*', fun: 'test.ping' } })).json).toEqual({
      return: [allTrue],
    });
  });

  it('runs a local test.arg and a runner in one request, one return element each', async () => {
    const res = await salt('POST', '/', {
      body: [
        {
          client: 'local',
          tgt: 'jerry',
          fun: 'test.arg',
          arg: ['positional arg one', 'positional arg two'],
          kwarg: { 'keyword arg one': 'Hello from a minion' },
        },
        { client: 'runner', fun: 'manage.status' },
      ],
    });
    expect(res.json.return).toEqual([
      {
        jerry: {
          args: ['positional arg one', 'positional arg two'],
          kwargs: { 'keyword arg one': 'Hello from a minion' },
        },
      },
      { up: [...ms, 'jerry'].sort(), down: [] },
    ]);
  });

  it('combines a repeated form arg into a list', async () => {
    const res = await salt('POST', '/', { form: { client: 'local', tgt: 'jerry', fun: 'test.arg', arg: ['a', 'b'] } });
    expect(res.json.return[0].jerry.args).toEqual(['a', 'b']);
  });

  it('local_batch answers one element per minion; full_return gives ret, retcode and outcome', async () => {
    const batch = await salt('POST', '/', {
      body: [{ client: 'local_batch', tgt: 'ms-*', fun: 'test.ping', batch: '2' }],
    });
    expect(batch.json.return).toHaveLength(5);
    expect(Object.assign({}, ...batch.json.return)).toEqual(allTrue);
    const full = await salt('POST', '/', {
      body: [{ client: 'local', tgt: 'jerry', fun: 'test.fail', full_return: true }],
    });
    expect(full.json.return[0].jerry).toMatchObject({ ret: 'boom', retcode: 1, success: false, outcome: 'returned' });
  });

  it('wheel key.list_all answers in the wheel envelope', async () => {
    const res = await salt('POST', '/', { body: [{ client: 'wheel', fun: 'key.list_all' }] });
    expect(res.json.return[0]).toMatchObject({
      tag: expect.stringMatching(/^brine\/wheel\/\d{20}$/),
      data: {
        fun: 'wheel.key.list_all',
        success: true,
        user: 'saltdev',
        return: { minions: ['jerry'], minions_pre: [], minions_rejected: [], minions_denied: [] },
      },
    });
  });

  it('answers 400 for clients it does not serve (ssh, local_subset) and runner functions it does not know', async () => {
    for (const chunk of [
      { client: 'ssh', tgt: '*', fun: 'test.ping' },
      { client: 'local_subset', tgt: '*', fun: 'test.ping' },
      { client: 'runner', fun: 'cloud.create' },
      { tgt: '*', fun: 'test.ping' },
    ])
      expect((await salt('POST', '/', { body: [chunk] })).status).toBe(400);
  });

  it('POST /run with username, password and eauth inline answers like POST /', async () => {
    const res = await call(fx.app, 'POST', '/run', {
      body: [
        { client: 'local', tgt: 'ms-*', fun: 'test.ping', username: 'saltdev', password: 'saltdev', eauth: 'auto' },
      ],
    });
    expect(res.json).toEqual({ return: [allTrue] });
  });
});

describe('salt-api convenience URLs', () => {
  it('POST /minions answers 202 with the jid, the minions and a link to the job', async () => {
    const res = await salt('POST', '/minions', { body: [{ tgt: 'ms-*', fun: 'status.diskusage' }] });
    expect(res.status).toBe(202);
    const jid = res.json.return[0].jid as string;
    expect(jid).toMatch(JID);
    expect(res.json).toEqual({ return: [{ jid, minions: ms }], _links: { jobs: [{ href: `/jobs/${jid}` }] } });
  });

  it('GET /minions/ms-3 answers its grains', async () => {
    expect((await salt('GET', '/minions/ms-3')).json).toEqual({ return: [{ 'ms-3': { id: 'ms-3', os: 'Debian' } }] });
  });

  it('GET /jobs and GET /jobs/<jid> answer the job cache in Salt shapes', async () => {
    const started = await salt('POST', '/', { body: [{ client: 'local', tgt: 'jerry', fun: 'test.fib', arg: ['3'] }] });
    expect(started.json.return[0]).toEqual({ jerry: { fun: 'test.fib' } });
    const list = (await salt('GET', '/jobs')).json.return[0] as Record<string, Record<string, unknown>>;
    const [jid, entry] = Object.entries(list).find(([, j]) => j['Function'] === 'test.fib')!;
    expect(entry).toEqual({
      Function: 'test.fib',
      Arguments: ['3'],
      Target: 'jerry',
      'Target-type': 'glob',
      User: 'saltdev',
      StartTime: expect.stringMatching(/^\d{4}, [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/),
    });
    const one = (await salt('GET', `/jobs/${jid}`)).json;
    expect(one.info[0]).toMatchObject({
      jid,
      Function: 'test.fib',
      Arguments: ['3'],
      Minions: ['jerry'],
      Target: 'jerry',
      'Target-type': 'glob',
      User: 'saltdev',
    });
    expect(one.return).toEqual([{ jerry: { fun: 'test.fib' } }]);
    const lookup = await salt('POST', '/', { form: { client: 'runner', fun: 'jobs.lookup_jid', jid } });
    expect(lookup.json).toEqual({ return: [{ jerry: { fun: 'test.fib' } }] });
  });

  it('GET /keys and GET /keys/jerry answer key lists and the fingerprint', async () => {
    expect((await salt('GET', '/keys')).json).toEqual({
      return: { minions: ['jerry'], minions_pre: [], minions_rejected: [], minions_denied: [] },
    });
    const one = (await salt('GET', '/keys/jerry')).json;
    expect(one.return.minions.jerry).toMatch(/^([0-9a-f]{2}:)+[0-9a-f]{2}$/);
  });

  it('POST /hook/mycompany/build/success fires brine/hook/... with the body and headers minus credentials', async () => {
    const seen: { tag: string; data: Record<string, unknown> }[] = [];
    const sub = fx.s.bus
      .events$(['brine/hook/**', 'brine/hook/*'])
      .subscribe((e) => seen.push(e as (typeof seen)[number]));
    const res = await salt('POST', '/hook/mycompany/build/success', {
      body: { revision: 'aa22a3c4b2e7', result: true },
    });
    sub.unsubscribe();
    expect(res.json).toEqual({ success: true });
    const hook = seen.find((e) => e.tag === 'brine/hook/mycompany/build/success')!;
    expect(hook.data).toMatchObject({
      post: { revision: 'aa22a3c4b2e7', result: true },
      body: '{"revision":"aa22a3c4b2e7","result":true}',
    });
    expect(hook.data['headers']).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.stringify(hook.data)).not.toContain(token);
  });

  it('GET /events answers retry: 400, then tag: and data: records, with the token in ?salt_token=', async () => {
    const res = await call(fx.app, 'GET', `/events?salt_token=${token}`, { keepStream: true });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(await nextChunk(res.stream!)).toBe('retry: 400\n\n');
    const started = await salt('POST', '/minions', { body: [{ tgt: 'jerry', fun: 'test.ping' }] });
    const jid = started.json.return[0].jid as string;
    const record = await nextChunk(res.stream!);
    res.close!();
    expect(record).toMatch(new RegExp(`^tag: brine/job/${jid}/new\ndata: \\{"tag":"brine/job/${jid}/new","data":\\{`));
  });
});
