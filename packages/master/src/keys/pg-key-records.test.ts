import { generateKeyPair } from '@brine/protocol';
import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followSharedKeys } from '../store/pg-follow.js';
import { openPgBridge, type PgBridge } from '../store/pg-bridge.js';
import { migratePg } from '../store/pg-schema.js';
import { KeyStore, type KeyChange } from './key-store.js';
import { pgKeyRecords } from './pg-key-records.js';

const missing = postgresMissing();
const pub = () => generateKeyPair().publicRaw;

describe.skipIf(missing !== undefined)(`keys shared in PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  const bridges: PgBridge[] = [];
  /** A key store as one master holds it: its own connection to the shared database. */
  const master = (onChange?: (c: KeyChange) => void) => {
    const db = openPgBridge({ url: cluster.url('keys') });
    bridges.push(db);
    migratePg(db);
    return new KeyStore(pgKeyRecords(db), onChange ? { onChange } : {});
  };
  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('keys');
  });
  afterAll(() => {
    for (const b of bridges) b.close();
    cluster?.stop();
  });

  it('admits a minion on one master that another master accepted', () => {
    const [a, b] = [master(), master()];
    const k = pub();
    expect(b.admit('web1', k, {})).toBe('pending');
    expect(a.list('pending').map((e) => e.id)).toEqual(['web1']);
    expect(a.accept('web1')).toEqual(['web1']);
    // b's mirror still says pending; the next handshake rereads the id.
    expect(b.admit('web1', k, {})).toBe('accepted');
    expect(master().state('web1')).toBe('accepted');
  });

  it('reports a rejection made on another master as a change, so its connection closes', () => {
    const changes: KeyChange[] = [];
    const [a, b] = [master(), master((c) => changes.push(c))];
    const k = pub();
    a.admit('db1', k, {});
    a.accept('db1');
    expect(b.admit('db1', k, {})).toBe('accepted');
    a.reject('db1');
    b.refresh('db1');
    expect(changes.at(-1)).toEqual({ id: 'db1', from: 'accepted', to: 'rejected' });
    a.delete('db1');
    b.refresh();
    expect(changes.at(-1)).toEqual({ id: 'db1', from: 'rejected', to: undefined });
    expect(b.state('db1')).toBeUndefined();
  });

  it('denies a different key for an id another master knows', () => {
    const [a, b] = [master(), master()];
    a.admit('app1', pub(), {});
    expect(b.admit('app1', pub(), {})).toBe('denied');
    expect(a.state('app1')).toBe('pending');
  });

  it('hears a key change another master makes without waiting for a handshake', async () => {
    const changes: KeyChange[] = [];
    const [a, b] = [master(), master((c) => changes.push(c))];
    const k = pub();
    a.admit('mail1', k, {});
    a.accept('mail1');
    expect(b.admit('mail1', k, {})).toBe('accepted');
    const follower = followSharedKeys(cluster.url('keys'), b, pino({ level: 'silent' }));
    try {
      // LISTEN is in place once a change made now is heard: admit probes until one is.
      let probes = 0;
      await waitFor(
        () => {
          a.admit(`probe${probes++}`, pub(), {});
          return changes.some((c) => c.id.startsWith('probe'));
        },
        10_000,
        'the listener to hear a probe',
      );
      a.reject('mail1');
      await waitFor(
        () => changes.some((c) => c.id === 'mail1' && c.to === 'rejected'),
        10_000,
        'the rejection made on master a to reach master b',
      );
    } finally {
      follower.unsubscribe();
    }
  });
});
