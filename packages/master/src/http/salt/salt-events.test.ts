/**
 * The bus as salt-api clients see it: tags and data shapes of salt/master.py, salt/key.py and the
 * netapi Webhook, as SaltGUI's Api.js and pepper match them.
 */
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../core/event-bus.js';
import type { JobStore } from '../../core/job-store.js';
import type { KeyStore } from '../../keys/key-store.js';
import { publicKeyPem, saltEventTranslator } from './salt-events.js';

const JID = '20261207013137663000';
const STAMP = Date.UTC(2026, 11, 7, 1, 31, 37, 663);
const job = {
  jid: JID,
  fun: 'test.arg',
  args: ['a'],
  kwargs: { b: 1 },
  target: 'web*',
  targetType: 'glob' as const,
  user: 'saltdev',
  startedAt: STAMP,
  minions: ['web1', 'web2'],
};
const PUB = Buffer.alloc(32, 7);
const services = {
  store: { lookupJob: (jid: string) => (jid === JID ? { job, minions: [] } : undefined) } as unknown as JobStore,
  keys: { publicKey: (id: string) => (id === 'web1' ? PUB : undefined) } as unknown as KeyStore,
};
const ev = (tag: string, data: unknown): BusEvent => ({ tag, data, stamp: STAMP });
const _stamp = '2026-12-07_01:31:37.663000';

describe('saltEventTranslator', () => {
  it("turns a job's new and ret events into salt/job/<jid>/new and salt/job/<jid>/ret/<id>", () => {
    const t = saltEventTranslator(services);
    expect(t(ev(`brine/job/${JID}/new`, { jid: JID, minions: 2 }))).toEqual([
      {
        tag: `salt/job/${JID}/new`,
        data: {
          jid: JID,
          tgt: 'web*',
          tgt_type: 'glob',
          fun: 'test.arg',
          arg: ['a', { b: 1, __kwarg__: true }],
          minions: ['web1', 'web2'],
          missing: [],
          user: 'saltdev',
          _stamp,
        },
      },
    ]);
    const ret = { id: 'web1', outcome: 'returned', success: true, retcode: 0, ret: { args: ['a'] } };
    expect(t(ev(`brine/job/${JID}/ret/web1`, ret))).toEqual([
      {
        tag: `salt/job/${JID}/ret/web1`,
        data: {
          cmd: '_return',
          id: 'web1',
          jid: JID,
          fun: 'test.arg',
          fun_args: ['a', { b: 1, __kwarg__: true }],
          return: { args: ['a'] },
          retcode: 0,
          success: true,
          _stamp,
        },
      },
    ]);
  });

  it("finds the function of a ret whose new event it never saw, and gives Salt's string for a missing function", () => {
    const t = saltEventTranslator(services);
    const ret = {
      id: 'web2',
      outcome: 'returned',
      success: false,
      retcode: 254,
      ret: { code: 'ERR_FUNCTION_UNKNOWN' },
    };
    const [out] = t(ev(`brine/job/${JID}/ret/web2`, ret));
    expect(out!.data).toMatchObject({ fun: 'test.arg', return: "'test.arg' is not available.", retcode: 254 });
  });

  it('drops outcomes that are not returns, acks, progress and done, which Salt has no event for', () => {
    const t = saltEventTranslator(services);
    expect(t(ev(`brine/job/${JID}/ret/web2`, { id: 'web2', outcome: 'timed_out', success: false }))).toEqual([]);
    expect(t(ev(`brine/job/${JID}/ack/web2`, { state: 'started' }))).toEqual([]);
    expect(t(ev(`brine/job/${JID}/progress/web2`, { stream: 'stdout', data: 'x' }))).toEqual([]);
    expect(t(ev(`brine/job/${JID}/done`, {}))).toEqual([]);
  });

  it('turns a minion connect into salt/auth (accept, with its PEM key) and salt/minion/<id>/start', () => {
    const [auth, start] = saltEventTranslator(services)(ev('brine/minion/web1/connected', { id: 'web1' }));
    expect(auth).toEqual({
      tag: 'salt/auth',
      data: { act: 'accept', id: 'web1', pub: publicKeyPem(PUB), result: true, _stamp },
    });
    expect(createPublicKey(publicKeyPem(PUB)).export({ format: 'jwk' }).x).toBe(PUB.toString('base64url'));
    expect(start).toEqual({
      tag: 'salt/minion/web1/start',
      data: {
        cmd: '_minion_event',
        data: 'Minion web1 started at Mon, 07 Dec 2026 01:31:37 GMT',
        id: 'web1',
        pretag: null,
        tag: 'salt/minion/web1/start',
        _stamp,
      },
    });
  });

  it('turns key changes into salt/key (accept, reject, delete) and salt/auth (pend, denied)', () => {
    const t = saltEventTranslator(services);
    const key = (to: string | undefined) =>
      t(ev(`brine/key/web1/${to ?? 'deleted'}`, { id: 'web1', from: 'pending', to }))[0];
    expect(key('accepted')).toEqual({ tag: 'salt/key', data: { act: 'accept', id: 'web1', result: true, _stamp } });
    expect(key('rejected')).toEqual({ tag: 'salt/key', data: { act: 'reject', id: 'web1', result: true, _stamp } });
    expect(key(undefined)).toEqual({ tag: 'salt/key', data: { act: 'delete', id: 'web1', result: true, _stamp } });
    expect(key('pending')).toMatchObject({ tag: 'salt/auth', data: { act: 'pend', id: 'web1', result: true } });
    expect(key('denied')).toMatchObject({ tag: 'salt/auth', data: { act: 'denied', id: 'web1', result: false } });
  });

  it('tags hooks salt/netapi/hook/<path> and passes other events under their own tag', () => {
    const t = saltEventTranslator(services);
    expect(t(ev('brine/hook/ci/build', { post: { ok: true } }))).toEqual([
      { tag: 'salt/netapi/hook/ci/build', data: { post: { ok: true }, _stamp } },
    ]);
    expect(t(ev('brine/hook', { post: {} }))[0]!.tag).toBe('salt/netapi/hook');
    expect(t(ev('brine/minion/web1/custom/thing', { x: 1 }))).toEqual([
      { tag: 'brine/minion/web1/custom/thing', data: { x: 1 } },
    ]);
  });
});
