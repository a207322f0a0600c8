import { postgresMissing, startPostgres, type PgCluster } from '@brine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../http/auth/tokens.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { migratePg } from './pg-schema.js';
import { pgTokenRecords } from './pg-token-records.js';

const missing = postgresMissing();
const HOUR = 3_600_000;

describe.skipIf(missing !== undefined)(`API tokens shared in PostgreSQL${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  const bridges: PgBridge[] = [];
  let clock = Date.UTC(2026, 0, 1);
  const now = () => clock;
  /** A token store as one master holds it: its own connection to the shared database. */
  const master = () => {
    const db = openPgBridge({ url: cluster.url('tokens') });
    bridges.push(db);
    migratePg(db);
    return new TokenStore({ file: '/nonexistent/tokens.json', shared: pgTokenRecords(db, now), now });
  };
  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('tokens');
  });
  afterAll(() => {
    for (const b of bridges) b.close();
    cluster?.stop();
  });

  it('accepts on one master a token issued on another, and refuses it everywhere once revoked on either', () => {
    const [a, b] = [master(), master()];
    const { token, info } = a.issue({ user: 'ci', kind: 'api', ttlMs: HOUR, description: 'deploys' });
    expect(b.verify(token)).toMatchObject({ id: info.id, user: 'ci', kind: 'api', description: 'deploys' });
    expect(b.list().map((t) => t.id)).toEqual([info.id]);
    expect(b.revoke(info.id)?.revokedAt).toBe(clock);
    expect(a.verify(token)).toBeUndefined();
    expect(a.list()[0]).toMatchObject({ id: info.id, revokedAt: clock });
  });

  it('keeps each master admin token to itself, and refuses a shared token once expired', () => {
    const [a, b] = [master(), master()];
    const admin = a.issue({ user: 'admin', kind: 'admin', ttlMs: Infinity });
    expect(a.verify(admin.token)).toBeDefined();
    expect(b.verify(admin.token)).toBeUndefined();
    const session = a.issue({ user: 'alice', kind: 'session', ttlMs: HOUR });
    clock += HOUR;
    expect(b.verify(session.token)).toBeUndefined();
  });
});
