import { globMatch } from '@brine/protocol';
import { postgresMissing, startPostgres, type PgCluster } from '@brine/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgBridge, type PgBridge } from '../store/pg-bridge.js';
import { migratePg } from '../store/pg-schema.js';
import { EnrollmentTokens } from './enrollment.js';
import { pgEnrollmentRecords } from './pg-enrollment-records.js';

const missing = postgresMissing();
const HOUR = 3_600_000;

describe.skipIf(missing !== undefined)(
  `enrollment tokens shared in PostgreSQL${missing ? ` (${missing})` : ''}`,
  () => {
    let cluster: PgCluster;
    const bridges: PgBridge[] = [];
    const clock = Date.UTC(2026, 0, 1);
    /** One master's connection to the shared database, and its records there. */
    const master = () => {
      const db = openPgBridge({ url: cluster.url('enroll') });
      bridges.push(db);
      migratePg(db);
      return pgEnrollmentRecords(db, () => clock);
    };
    beforeAll(async () => {
      cluster = await startPostgres();
      cluster.createDatabase('enroll');
    });
    afterAll(() => {
      for (const b of bridges) b.close();
      cluster?.stop();
    });

    it('admits on one master a minion with a token made on another, once', () => {
      const [a, b] = [new EnrollmentTokens(master()), new EnrollmentTokens(master())];
      const token = a.create(clock + HOUR, 'web-*');
      expect(b.list(clock)).toEqual([{ expiresAt: clock + HOUR, idGlob: 'web-*' }]);
      expect(b.consume(token, 'db-1', clock, globMatch)).toBe(false);
      expect(b.consume(token, 'web-1', clock, globMatch)).toBe(true);
      expect(a.consume(token, 'web-2', clock, globMatch)).toBe(false);
      expect(a.list(clock)).toEqual([]);
      expect(JSON.stringify(cluster.psql('SELECT * FROM enroll_tokens', 'enroll'))).not.toContain(token);
    });

    it('lets exactly one of two masters take a token both found valid', () => {
      const [a, b] = [master(), master()];
      const tokens = new EnrollmentTokens(a);
      const token = tokens.create(clock + HOUR);
      const { hash } = a.live(clock)[0]!;
      // The race: both masters have checked the token before either takes it.
      expect(a.find(hash)).toBeDefined();
      expect(b.find(hash)).toBeDefined();
      expect([b.take(hash, clock), a.take(hash, clock)]).toEqual([true, false]);
      expect(tokens.consume(token, 'x', clock, globMatch)).toBe(false);
    });

    it('refuses an expired token and deletes expired rows as tokens are made', () => {
      const records = master();
      const tokens = new EnrollmentTokens(records);
      const old = tokens.create(clock - 1);
      expect(tokens.consume(old, 'x', clock, globMatch)).toBe(false);
      tokens.create(clock + HOUR);
      expect(cluster.psql(`SELECT count(*) FROM enroll_tokens WHERE expires_at <= ${clock}`, 'enroll')).toBe('0');
    });
  },
);
