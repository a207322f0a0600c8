import { postgresMissing, startPostgres, waitFor, type PgCluster } from '@brine/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type BusEvent } from '../core/event-bus.js';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { MAX_WRITES_IN_FLIGHT, relayEvents, type EventRelay, type EventRelayOptions } from './pg-events.js';
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
  /** One master: its own bus, connection and relay. */
  const master = (masterId: string, more: Partial<EventRelayOptions> = {}) => {
    const db = openPgBridge({ url: cluster.url('events') });
    bridges.push(db);
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
});
