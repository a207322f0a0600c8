import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, globMatch } from '@brine/protocol';
import { EnrollmentTokens } from './enrollment.js';
import { KeyStore, type KeyChange } from './key-store.js';
import { PendingKeyLimiter } from './pending-limiter.js';

const pub = () => generateKeyPair().publicRaw;
const pki = () => mkdtempSync(join(tmpdir(), 'brine-pki-'));

describe('KeyStore', () => {
  it('records a new minion as pending, in a 0600 file under minions_pre', async () => {
    const dir = pki();
    const store = new KeyStore(dir);
    expect(store.admit('web1', pub(), {})).toBe('pending');
    await store.stored('web1');
    expect(readdirSync(join(dir, 'minions_pre'))).toEqual(['web1']);
    expect(statSync(join(dir, 'minions_pre', 'web1')).mode & 0o777).toBe(0o600);
  });

  it('accepts, rejects and deletes by glob, and reports each change', () => {
    const changes: KeyChange[] = [];
    const store = new KeyStore(pki(), { onChange: (c) => changes.push(c) });
    const k = pub();
    store.admit('web1', k, {});
    store.admit('web2', pub(), {});
    store.admit('db1', pub(), {});
    expect(store.accept('web*')).toEqual(['web1', 'web2']);
    expect(store.admit('web1', k, {})).toBe('accepted');
    expect(store.reject('web2')).toEqual(['web2']);
    expect(store.delete('db*')).toEqual(['db1']);
    expect(store.list().map((e) => [e.id, e.state])).toEqual([
      ['web1', 'accepted'],
      ['web2', 'rejected'],
    ]);
    expect(changes.at(-1)).toEqual({ id: 'db1', from: 'pending', to: undefined });
  });

  it('denies a known id that comes back with a different key, and keeps the real key', () => {
    const dir = pki();
    const store = new KeyStore(dir);
    const real = pub();
    store.admit('web1', real, {});
    store.accept('web1');
    expect(store.admit('web1', pub(), {})).toBe('denied');
    expect(store.admit('web1', real, {})).toBe('accepted');
    expect(new KeyStore(dir).state('web1')).toBe('accepted');
  });

  it('autosigns by grains only when ALL listed grains match (Salt #62831)', () => {
    const store = new KeyStore(pki(), { autosign: { grains: { os: ['Debian'], role: ['web*'] } } });
    expect(store.admit('a', pub(), { os: 'Debian', role: 'db' })).toBe('pending');
    expect(store.admit('b', pub(), { os: 'Debian' })).toBe('pending');
    expect(store.admit('c', pub(), { os: 'Debian', role: 'web-front' })).toBe('accepted');
  });

  it('accepts nothing automatically by default', () => {
    expect(new KeyStore(pki()).admit('x', pub(), { os: 'Debian' })).toBe('pending');
  });
});

describe('EnrollmentTokens', () => {
  it('accepts a token once, before its expiry, for a matching id, and stores only its hash', () => {
    const file = join(pki(), 'tokens.json');
    const tokens = new EnrollmentTokens(file);
    const t = tokens.create(1000, 'web*');
    expect(tokens.consume(t, 'db1', 10, globMatch)).toBe(false);
    expect(tokens.consume(t, 'web1', 1000, globMatch)).toBe(false);
    expect(tokens.consume(t, 'web1', 999, globMatch)).toBe(true);
    expect(tokens.consume(t, 'web2', 10, globMatch)).toBe(false);
    expect(new EnrollmentTokens(file).list(0)).toEqual([]);
    const u = tokens.create(5000);
    expect(JSON.stringify(new EnrollmentTokens(file).list(0))).not.toContain(u);
    expect(new EnrollmentTokens(file).consume(u, 'any', 10, globMatch)).toBe(true);
  });
});

describe('KeyStore pending-key limits', () => {
  it('does not record a new pending id past the limits, and says so as limited', () => {
    const store = new KeyStore(pki(), { pendingLimits: new PendingKeyLimiter({ maxPendingPerAddress: 2 }) });
    expect(store.admit('p1', pub(), {}, { address: '10.0.0.9' })).toBe('pending');
    expect(store.admit('p2', pub(), {}, { address: '10.0.0.9' })).toBe('pending');
    expect(store.admit('p3', pub(), {}, { address: '10.0.0.9' })).toBe('limited');
    expect(store.state('p3')).toBeUndefined();
    expect(store.pendingLimits()).toMatchObject({ pending: 2, refused: { max_pending_keys_per_address: 1 } });
    store.accept('p1');
    expect(store.admit('p3', pub(), {}, { address: '10.0.0.9' })).toBe('pending');
  });

  it('still accepts autosigned and enrolled ids when pending keys are at their cap', () => {
    const store = new KeyStore(pki(), {
      autosign: { ids: ['auto-*'] },
      pendingLimits: new PendingKeyLimiter({ maxPending: 0 }),
    });
    expect(store.admit('auto-1', pub(), {}, { address: 'a' })).toBe('accepted');
    expect(store.admit('tok-1', pub(), {}, { address: 'a', enrolled: true })).toBe('accepted');
    expect(store.admit('other', pub(), {}, { address: 'a' })).toBe('limited');
  });

  it('stores an autosigned key in the background: on disk, 0600, when stored(id) resolves', async () => {
    const dir = pki();
    const store = new KeyStore(dir, { autosign: { ids: ['web*'] } });
    expect(store.admit('web1', pub(), {})).toBe('accepted');
    expect(store.stored('web1')).toBeInstanceOf(Promise);
    await store.stored('web1');
    expect(store.stored('web1')).toBeUndefined();
    expect(statSync(join(dir, 'minions', 'web1')).mode & 0o777).toBe(0o600);
    expect(new KeyStore(dir).state('web1')).toBe('accepted');
  });

  it("lets an operator's accept win over a new key's write still under way", async () => {
    const dir = pki();
    const store = new KeyStore(dir);
    expect(store.admit('web1', pub(), {})).toBe('pending');
    expect(store.accept('web1')).toEqual(['web1']);
    await store.flush();
    expect(readdirSync(join(dir, 'minions_pre'))).toEqual([]);
    expect(new KeyStore(dir).state('web1')).toBe('accepted');
  });

  it('forgets a new key whose write failed, so its minion is recorded anew', async () => {
    const changes: KeyChange[] = [];
    const records = {
      shared: false,
      loadAll: () => [],
      load: () => undefined,
      put: () => {},
      putNew: () => Promise.reject(new Error('ENOSPC')),
      putDenied: () => {},
      remove: () => {},
    };
    const store = new KeyStore(records, { onChange: (c) => changes.push(c) });
    expect(store.admit('web1', pub(), {})).toBe('pending');
    await expect(store.stored('web1')).rejects.toThrow('ENOSPC');
    expect(store.state('web1')).toBeUndefined();
    expect(changes).toEqual([
      { id: 'web1', from: undefined, to: 'pending' },
      { id: 'web1', from: 'pending', to: undefined },
    ]);
  });
});
