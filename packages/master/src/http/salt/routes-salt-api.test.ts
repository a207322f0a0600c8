/**
 * salt-api (rest_cherrypy) compatibility, checked against the request/response pairs of Salt's
 * own documentation (salt/netapi/rest_cherrypy/app.py docstrings): same requests, same shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call, nextChunk } from '../api-call.fixture.js';
import { sessionCookie } from './routes-salt-auth.js';

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
  call(fx.app, method, url, {
    ...opts,
    headers: { 'x-auth-token': token, accept: 'application/json', ...opts.headers },
  });
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

  it('POST /login answers 401 to a form without credentials, and POST /hook 401 without a session (test_auth.py)', async () => {
    const bad = await call(fx.app, 'POST', '/login', { form: { totally: 'invalid_creds' } });
    expect(bad.status).toBe(401);
    expect((await call(fx.app, 'POST', '/hook', { body: {} })).status).toBe(401);
    expect((await call(fx.app, 'POST', '/', { body: {} })).status).toBe(401);
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
      clients: ['local', 'local_async', 'local_batch', 'runner', 'runner_async', 'wheel', 'wheel_async'],
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

  it('writes the words brine prints for a minion that did not return', async () => {
    const full = await salt('POST', '/', {
      body: [{ client: 'local', tgt: 'ghost', tgt_type: 'list', fun: 'test.ping', full_return: true }],
    });
    expect(full.json.return[0].ghost).toMatchObject({
      ret: 'Minion did not return. [offline, unknown minion]',
      outcome: 'offline',
    });
  });

  it('wheel key.list_all answers in the wheel envelope', async () => {
    const res = await salt('POST', '/', { body: [{ client: 'wheel', fun: 'key.list_all' }] });
    expect(res.json.return[0]).toMatchObject({
      tag: expect.stringMatching(/^salt\/wheel\/\d{20}$/),
      data: {
        fun: 'wheel.key.list_all',
        success: true,
        user: 'saltdev',
        return: {
          local: ['master.pem', 'master.pub'],
          minions: ['jerry'],
          minions_pre: [],
          minions_rejected: [],
          minions_denied: [],
        },
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

  it('POST /run answers 401 to the bad credentials of test_run.py and ignores extra keys', async () => {
    const low = { client: 'local', tgt: 'ms-*', fun: 'test.ping' };
    for (const bad of [
      { totally: 'invalid_creds' },
      { token: '' },
      { ToKen: '' },
      { token: 'bad' },
      { token: '/etc/passwd' },
    ])
      expect((await call(fx.app, 'POST', '/run', { form: { ...low, ...bad } })).status).toBe(401);
    const extra = { ...low, username: 'saltdev', password: 'saltdev', eauth: 'pam', id_: 'some-minion-name' };
    expect((await call(fx.app, 'POST', '/run', { form: extra })).json).toEqual({ return: [allTrue] });
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
      return: {
        local: ['master.pem', 'master.pub'],
        minions: ['jerry'],
        minions_pre: [],
        minions_rejected: [],
        minions_denied: [],
      },
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
    expect(record).toMatch(new RegExp(`^tag: salt/job/${jid}/new\ndata: \\{"tag":"salt/job/${jid}/new","data":\\{`));
  });
});

/** A lowstate chunk as pepper's CLI sends it: every option present, the unset ones null. */
const pepperChunk = (client: string, extra: Record<string, unknown> = {}) => ({
  client,
  tgt: 'ms-*',
  fun: 'test.ping',
  arg: null,
  kwarg: null,
  tgt_type: 'glob',
  expr_form: null,
  timeout: null,
  batch: null,
  ret: null,
  full_return: null,
  ...extra,
});
/** A browser `fetch()` with a body and no Content-Type: the body goes as text/plain. */
const fetchLike = (body: unknown, headers: Record<string, string> = {}) => ({
  raw: JSON.stringify(body),
  headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
});

describe('salt-api as real clients send it', () => {
  it('ignores null options in local, local_async and local_batch chunks (pepper sends every option)', async () => {
    expect((await salt('POST', '/', { body: [pepperChunk('local')] })).json).toEqual({ return: [allTrue] });
    const started = await salt('POST', '/', { body: [pepperChunk('local_async')] });
    expect(started.status).toBe(200);
    expect(started.json.return[0]).toEqual({ jid: expect.stringMatching(JID), minions: ms });
    const batch = await salt('POST', '/', { body: [pepperChunk('local_batch')] });
    expect(Object.assign({}, ...batch.json.return)).toEqual(allTrue);
  });

  it('parses a text/plain body as JSON, so a browser logs in and runs commands with fetch()', async () => {
    const login = await call(
      fx.app,
      'POST',
      '/login',
      fetchLike({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
    );
    expect(login.status).toBe(200);
    const t = login.json.return[0].token as string;
    const res = await call(fx.app, 'POST', '/', {
      ...fetchLike(
        { client: 'local', tgt: 'ms-*', fun: 'test.ping' },
        { 'x-auth-token': t, accept: 'application/json' },
      ),
    });
    expect(res.json).toEqual({ return: [allTrue] });
  });

  it('answers text/plain that is not JSON, and malformed JSON, with 400 in Salt shape', async () => {
    const text = await salt('POST', '/', { raw: 'client=local', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(text.json).toMatchObject({ status: 400, return: expect.any(String) });
    const bad = await salt('POST', '/', {
      raw: '[{"client": "local",',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.json).toEqual({ status: 400, return: 'Invalid JSON document', code: 'ERR_REQUEST_INVALID' });
  });

  it('takes a YAML body (application/x-yaml) and answers YAML to Accept: application/x-yaml', async () => {
    const res = await salt('POST', '/', {
      raw: '- client: local\n  tgt: jerry\n  fun: test.ping\n',
      headers: { 'content-type': 'application/x-yaml', accept: 'application/x-yaml' },
    });
    expect(res.headers['content-type']).toMatch(/^application\/x-yaml/);
    expect(res.text).toBe('return:\n  - jerry: true\n');
  });

  it('answers application/json without an Accept header and 406 to application/ms-word (test_out_formats.py)', async () => {
    const plain = await call(fx.app, 'GET', '/');
    expect(plain.headers['content-type']).toBe('application/json');
    expect((await call(fx.app, 'GET', '/', { headers: { accept: 'application/ms-word' } })).status).toBe(406);
    const yaml = await call(fx.app, 'GET', '/', { headers: { accept: 'application/x-yaml' } });
    expect(yaml.headers['content-type']).toBe('application/x-yaml');
  });

  it('answers 406 when Accept names neither JSON nor YAML, and JSON to */*', async () => {
    expect((await salt('GET', '/minions/ms-3', { headers: { accept: 'text/html' } })).status).toBe(406);
    const any = await salt('GET', '/minions/ms-3', { headers: { accept: 'text/html, */*;q=0.8' } });
    expect(any.headers['content-type']).toMatch(/^application\/json/);
  });

  it('makes a lone form arg a list of one, and runner key=value args keyword arguments', async () => {
    const one = await salt('POST', '/', { form: { client: 'local', tgt: 'jerry', fun: 'test.arg', arg: 'only' } });
    expect(one.json.return[0].jerry.args).toEqual(['only']);
    const runner = await salt('POST', '/', { body: [{ client: 'runner', fun: 'test.arg', arg: ['a', 'b=c'], d: 1 }] });
    expect(runner.json.return[0]).toEqual({ args: ['a'], kwargs: { b: 'c', d: 1 } });
  });
});

describe('salt-api session cookie', () => {
  const login = () =>
    call(fx.app, 'POST', '/login', { form: { username: 'saltdev', password: 'saltdev', eauth: 'pam' } });
  const cookieOf = (res: Awaited<ReturnType<typeof login>>) => String(res.headers['set-cookie']).split(';')[0]!;

  it('sets session_id at login: HttpOnly, SameSite=Strict, Path=/, expiring with the token (no Secure without TLS)', async () => {
    const res = await login();
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toBe(`session_id=${res.json.return[0].token}; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict`);
    expect(sessionCookie('t', 60, true)).toBe('session_id=t; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
  });

  it('accepts the cookie in place of X-Auth-Token on salt-api routes, /events included', async () => {
    const cookie = cookieOf(await login());
    const run = await call(fx.app, 'POST', '/', {
      headers: { cookie },
      body: [{ client: 'local', tgt: 'ms-*', fun: 'test.ping' }],
    });
    expect(run.json).toEqual({ return: [allTrue] });
    expect((await call(fx.app, 'GET', '/stats', { headers: { cookie } })).status).toBe(200);
    // SaltGUI sends X-Auth-Token empty until it has a token; an empty header is no header.
    expect((await call(fx.app, 'GET', '/stats', { headers: { cookie, 'x-auth-token': '' } })).status).toBe(200);
    const events = await call(fx.app, 'GET', '/events', { headers: { cookie } });
    expect(events.status).toBe(200);
    expect(events.text).toBe('retry: 400\n\n');
  });

  it('does not act for a POST from a page of another origin, which SameSite alone lets through from a sibling host', async () => {
    const cookie = cookieOf(await login());
    const body = [{ client: 'local', tgt: 'ms-*', fun: 'test.ping' }];
    const from = (origin: string) => call(fx.app, 'POST', '/', { headers: { cookie, origin }, body });
    expect((await from('http://evil.localhost')).status).toBe(401);
    expect((await from('http://localhost:80')).status).toBe(200);
    const get = await call(fx.app, 'GET', '/stats', { headers: { cookie, origin: 'http://evil.localhost' } });
    expect(get.status).toBe(200);
  });

  it('is not a credential on the native API, and X-Auth-Token wins over it', async () => {
    const cookie = cookieOf(await login());
    expect((await call(fx.app, 'GET', '/api/v1/whoami', { headers: { cookie } })).status).toBe(401);
    const both = await call(fx.app, 'GET', '/stats', { headers: { cookie, 'x-auth-token': 'garbage' } });
    expect(both.status).toBe(401);
  });

  it('logout by cookie revokes the token and expires the cookie', async () => {
    const cookie = cookieOf(await login());
    const out = await call(fx.app, 'POST', '/logout', { headers: { cookie } });
    expect(out.json).toEqual({ return: 'Your token has been cleared' });
    expect(String(out.headers['set-cookie'])).toMatch(/^session_id=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
    expect((await call(fx.app, 'GET', '/stats', { headers: { cookie } })).status).toBe(401);
  });
});

describe('salt-api auth answers', () => {
  it('GET /stats answers 401 in Salt shape without a session, and CherryPy-shaped counters with one', async () => {
    const none = await call(fx.app, 'GET', '/stats');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ status: 401, return: 'a valid token is required', code: 'ERR_AUTH_REQUIRED' });
    const stats = (await salt('GET', '/stats')).json;
    expect(stats['CherryPy Applications']).toMatchObject({
      Enabled: true,
      'Total Requests': expect.any(Number),
      Uptime: expect.any(Number),
    });
    expect(stats.Brine).toMatchObject({ 'Minions Connected': 6, 'Minions Known': 6 });
  });

  it('answers 401, not 403, when an eauth user lacks the permission', async () => {
    const t = (
      await call(fx.app, 'POST', '/login', { form: { username: 'saltuser', password: 'saltuser', eauth: 'pam' } })
    ).json.return[0].token as string;
    const res = await call(fx.app, 'POST', '/', {
      headers: { 'x-auth-token': t },
      body: [{ client: 'wheel', fun: 'key.list_all' }],
    });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      status: 401,
      return: 'not allowed to run wheel key.list_all',
      code: 'ERR_AUTH_FORBIDDEN',
    });
    const keys = await call(fx.app, 'GET', '/keys', { headers: { 'x-auth-token': t } });
    expect(keys.status).toBe(401);
  });

  it('GET /login answers "Please log in" with WWW-Authenticate: Session', async () => {
    const res = await call(fx.app, 'GET', '/login');
    expect(res.headers['www-authenticate']).toBe('Session');
    expect(res.json).toEqual({ status: 200, return: 'Please log in' });
  });

  it('POST /token answers [{token, start, expire, name, eauth}], a token /run accepts', async () => {
    const res = await call(fx.app, 'POST', '/token', {
      body: { username: 'saltdev', password: 'saltdev', eauth: 'auto' },
    });
    const [t] = res.json;
    expect(t).toEqual({ token: t.token, start: t.start, expire: t.expire, name: 'saltdev', eauth: 'auto' });
    const run = await call(fx.app, 'POST', '/run', {
      body: [{ client: 'local', tgt: 'ms-*', fun: 'test.ping', token: t.token }],
    });
    expect(run.json).toEqual({ return: [allTrue] });
    expect(
      (await call(fx.app, 'POST', '/token', { body: { username: 'saltdev', password: 'x', eauth: 'auto' } })).status,
    ).toBe(401);
  });
});

describe('salt-api targets and returns', () => {
  it('answers 200 {"return": [{}]} to a target that matches nothing (local, local_async, /minions); the native API keeps its 404', async () => {
    for (const client of ['local', 'local_async'])
      expect((await salt('POST', '/', { body: [{ client, tgt: 'nomatch*', fun: 'test.ping' }] })).json).toEqual({
        return: [{}],
      });
    const batch = await salt('POST', '/', { body: [{ client: 'local_batch', tgt: 'nomatch*', fun: 'test.ping' }] });
    expect(batch.json).toEqual({ return: [] });
    const minions = await salt('POST', '/minions', { body: [{ tgt: 'nomatch*', fun: 'test.ping' }] });
    expect(minions.json).toEqual({ return: [{}], _links: { jobs: [] } });
    const native = await call(fx.app, 'POST', '/api/v1/jobs', {
      token,
      body: { target: 'nomatch*', fun: 'test.ping' },
    });
    expect(native.status).toBe(404);
  });

  it("returns Salt's string for a function the minion does not have", async () => {
    const admin = { headers: { 'x-auth-token': fx.adminToken } };
    const res = await call(fx.app, 'POST', '/', {
      ...admin,
      body: [{ client: 'local', tgt: 'jerry', fun: 'nosuch.fun' }],
    });
    expect(res.json).toEqual({ return: [{ jerry: "'nosuch.fun' is not available." }] });
    const jid = (await call(fx.app, 'GET', '/jobs', admin)).json.return[0];
    const [id] = Object.entries(jid as Record<string, { Function: string }>).find(
      ([, j]) => j.Function === 'nosuch.fun',
    )!;
    const lookup = await call(fx.app, 'POST', '/', {
      ...admin,
      body: [{ client: 'runner', fun: 'jobs.lookup_jid', jid: id }],
    });
    expect(lookup.json).toEqual({ return: [{ jerry: "'nosuch.fun' is not available." }] });
  });
});
