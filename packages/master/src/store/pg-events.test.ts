import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type BusEvent } from '../core/event-bus.js';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { MAX_WRITES_IN_FLIGHT, globToLike, relayEvents, type EventRelay, type EventRelayOptions } from './pg-events.js';
import { migratePg } from './pg-schema.js';

const missing = postgresMissing();
const log = pino({ level: 'silent' });

describe.skipIf(missing !== undefined)(`the event bus across masters${missing ? ` (${missing})` : ''}`, () => {
  let cluster: PgCluster;
  const bridges: (PgBridge | PgAsyncBridge)[] = [];
  const relays: EventRelay[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('events');
  });
  afterAll(() => {
    for (const r of relays) r.stop();
    for (const b of bridges) b.close();
    cluster?.stop();
  });
  /** One master: its own bus, connection and relay; `read` hears the tags of each bus_events read. */
  const master = (masterId: string, more: Partial<EventRelayOptions> = {}, read?: (tags: string[]) => void) => {
    const bridge = openPgBridge({ url: cluster.url('events') });
    bridges.push(bridge);
    const db: PgBridge = {
      ...bridge,
      run: (statements) => {
        const results = bridge.run(statements);
        if (read && statements[0]?.text.includes('FROM bus_events WHERE id >'))
          read(results[0]!.rows.flatMap((r) => (typeof r['tag'] === 'string' ? [r['tag']] : [])));
        return results;
      },
    };
    migratePg(db);
    const bus = new EventBus(Date.now);
    const relay = relayEvents({
      db,
      url: cluster.url('events'),
      bus,
      masterId,
      now: Date.now,
      log,
      batchMs: 10,
      ...more,
    });
    relays.push(relay);
    return { bus, relay };
  };

  it("shows each master the other masters' events, by tag glob, and never its own", async () => {
    const [a, b] = [master('A'), master('B')];
    const onB: BusEvent[] = [];
    const onA: BusEvent[] = [];
    b.relay.events$(['brine/job/*']).subscribe((e) => onB.push(e));
    a.relay.events$().subscribe((e) => onA.push(e));
    // B listens once a probe published now reaches it.
    let n = 0;
    await waitFor(
      () => {
        a.bus.publish(`brine/job/probe${n++}/new`, { n });
        return onB.length > 0;
      },
      15_000,
      'a probe from A to reach B',
    );
    a.bus.publish('brine/minion/web1/connected', { id: 'web1' });
    a.bus.publish('brine/job/20260101000000000001/ret/web1', { ret: { nested: [1, 'two'] } });
    await waitFor(() => onB.some((e) => e.tag.endsWith('/ret/web1')), 15_000, 'the return event on B');
    expect(onB.find((e) => e.tag.endsWith('/ret/web1'))?.data).toEqual({ ret: { nested: [1, 'two'] } });
    expect(onB.some((e) => e.tag.startsWith('brine/minion/'))).toBe(false);
    expect(onA).toEqual([]);
  });

  it('writes through a connection of its own without waiting, and drops a batch when that connection is behind', async () => {
    const writer = openPgAsyncBridge({ url: cluster.url('events') });
    bridges.push(writer);
    const a = master('C', { writer });
    a.bus.publish('brine/job/20260101000000000002/new', { n: 1 });
    const rows = () => cluster.psql("SELECT count(*) FROM bus_events WHERE master_id = 'C'", 'events');
    await waitFor(() => rows() === '1', 15_000, "C's event in bus_events");
    const lines: { msg?: string; dropped?: number }[] = [];
    const behind = master('D', {
      writer: { pending: () => MAX_WRITES_IN_FLIGHT, transaction: () => Promise.reject(new Error('not called')) },
      log: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg?: string }) }),
    });
    behind.bus.publish('brine/job/20260101000000000003/new', { n: 2 });
    await waitFor(() => lines.length > 0, 15_000, 'the dropped batch to be logged');
    expect(lines[0]).toMatchObject({ msg: 'could not share events: the database is behind', dropped: 1 });
  });

  it('reads nothing while no stream is open, and then only the tags its globs may match', async () => {
    const reads: string[][] = [];
    const [a, b, c] = [master('E'), master('F', {}, (tags) => reads.push(tags)), master('G')];
    const onC: BusEvent[] = [];
    c.relay.events$(['brine/minion/*']).subscribe((e) => onC.push(e));
    let n = 0;
    await waitFor(
      () => {
        a.bus.publish(`brine/minion/early${n++}/connected`, {});
        return onC.length > 0;
      },
      15_000,
      'an event from E to reach G',
    );
    // Every probe committed before this one: once G has it, nothing earlier is left to arrive.
    a.bus.publish('brine/minion/marker/connected', {});
    await waitFor(() => onC.some((e) => e.tag.includes('/marker/')), 15_000, 'the marker on G');
    // G's events came, and F, with no stream open, read none of them.
    expect(reads).toEqual([]);
    const onB: BusEvent[] = [];
    b.relay.events$(['brine/minion/*/connected']).subscribe((e) => onB.push(e));
    a.bus.publish('brine/job/20260101000000000004/ret/web2', { ret: true });
    a.bus.publish('brine/minion/web2/connected', {});
    await waitFor(() => onB.some((e) => e.tag === 'brine/minion/web2/connected'), 15_000, 'the connect event on F');
    // Only the tags its glob may match crossed: never the return event.
    expect(reads.flat()).toContain('brine/minion/web2/connected');
    expect(reads.flat().filter((t) => !t.startsWith('brine/minion/'))).toEqual([]);
  });

  it('turns a glob into a LIKE pattern that matches at least what the glob does', () => {
    expect(globToLike('brine/minion/*/connected')).toBe('brine/minion/%/connected');
    expect(globToLike('brine/job/?/ret/[ab]x')).toBe('brine/job/_/ret/_x');
    expect(globToLike('100%_done\\[')).toBe('100\\%\\_done\\\\[');
  });
});
