import type { Logger } from 'pino';
import { Subscription, asyncScheduler, bufferTime, filter, interval, map, tap, type Observable } from 'rxjs';
import type { BusEvent } from '../core/event-bus.js';
import type { FrameRouter } from '../core/frame-router.js';
import type { JobManager, JobManagerDeps } from '../core/job-manager.js';
import type { JobStore } from '../core/job-store.js';
import type { ConnectionChange, JobFrame } from '../core/minion-link.js';
import type { MinionRegistry } from '../core/registry.js';
import type { ReturnIngest } from '../core/return-ingest.js';
import type { PgBridge } from '../store/pg-bridge.js';
import { RETURNS_CHANNEL } from '../store/pg-job-store.js';
import { pgNotifications$ } from '../store/pg-listener.js';
import { sessionHolders } from '../store/pg-sessions.js';
import { frameOutbox } from './frame-outbox.js';
import { claimJob, ownedJobs, releaseJob } from './job-ownership.js';
import { ownershipPass } from './ownership-pass.js';
import { remoteFleet, type RemoteFleet } from './remote-fleet.js';
import { remoteReturns } from './remote-returns.js';
import { shareGrains } from './shared-grains.js';
import { ROUTED_CHANNEL, purgeRouted, routeToMinions, routeToOwners, takeRouted } from './routed-frames.js';

/** What {@link routeAcrossMasters} needs. */
export interface RoutingOptions {
  /** The shared database's URL, for the LISTEN connection. */
  url: string;
  db: PgBridge;
  masterId: string;
  /** Other masters' events (SharedMaster.events$): their minions' connects. */
  events$(globs: readonly string[]): Observable<BusEvent>;
  /** The owner lease: how long after its last heartbeat a master's jobs are taken over, in ms. */
  leaseMs: number;
  /** Frames for other masters are written every this many ms. @default 5 */
  batchMs?: number;
}

/** The pieces a master wires in to act as one system with the others. */
export interface MasterRouting {
  /** For the job manager: targets over all masters' minions; frames to remote ones routed. */
  fleet: RemoteFleet;
  /** For the job manager: its frames, plus the returns other masters store for its jobs. */
  jobRouter: Pick<FrameRouter, 'frames$'>;
  /** For frame dispatch: an ack or progress no local job waits for goes to the job's owner. */
  minionRouter: Pick<FrameRouter, 'route'>;
  /** For frame dispatch: the ingest, behind a write of the acks and progress routed before each return. */
  ordered(ingest: Pick<ReturnIngest, 'submit'>): Pick<ReturnIngest, 'submit'>;
  ownership: NonNullable<JobManagerDeps['ownership']>;
  /** The store for the restart recovery: owned jobs are left to takeover. */
  guard(store: JobStore): JobStore;
  /**
   * Starts delivering routed frames, and taking over dead masters' jobs into `to.manager`;
   * `to.learned` hears the minions held elsewhere whose grains this master read (to compile
   * their pillar for `I@` targets).
   */
  start(to: {
    manager: Pick<JobManager, 'adopt' | 'active' | 'leave'>;
    store: Pick<JobStore, 'lookupJob'>;
    learned?: (ids: string[]) => void;
  }): void;
  stop(): void;
}

/**
 * Makes several masters on one PostgreSQL behave as one system (issue #20, docs/scale.md): a job
 * resolves over every master's minions and reaches those held elsewhere through their masters;
 * their acks and progress come back to the job's owner, and the returns stored by any master
 * reach its pipeline; a job whose owner's lease ended is taken over by exactly one live master.
 * Everything crosses as table rows with one NOTIFY per batch and master. Only with PostgreSQL.
 */
export function routeAcrossMasters(
  o: RoutingOptions,
  local: { registry: MinionRegistry; router: FrameRouter },
  now: () => number,
  parent: Logger,
): MasterRouting {
  const log = parent.child({ component: 'routing' });
  const me = o.masterId;
  const safely = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.warn({ err: (err as Error).message }, what);
    }
  };
  const outbox = frameOutbox(
    {
      toMinions: (frames) => routeToMinions(o.db, me, now(), frames),
      toOwners: (frames) => routeToOwners(o.db, me, now(), frames),
      failed: (err, frames) => log.warn({ err: (err as Error).message, frames }, 'could not route frames'),
    },
    o.batchMs ?? 5,
  );
  const remoteConnects$: Observable<ConnectionChange> = o.events$(['brine/minion/*/connected']).pipe(
    map((e) => ({ id: e.tag.split('/')[2]!, connected: true })),
    filter((c) => !local.registry.isConnected(c.id)),
    // The holder's session row is written in its own batch: read the holders again first.
    tap(() => safely('could not read minion sessions', () => fleet.refresh())),
  );
  let learned: ((ids: string[]) => void) | undefined;
  const grains = shareGrains(o.db, local.registry, {
    failed: (err) => log.warn({ err: (err as Error).message }, 'could not share grains'),
    learned: (ids) => learned?.(ids),
  });
  const fleet = remoteFleet({
    registry: local.registry,
    holders: () => {
      grains.refresh();
      return sessionHolders(o.db, now());
    },
    masterId: me,
    send: (id, bytes) => outbox.toMinion(id, bytes),
    remoteConnects$,
  });
  const returns = remoteReturns(o.db, local.router);
  let ownPid = -1;
  safely('could not read the backend pid', () => {
    ownPid = Number(o.db.run([{ text: 'SELECT pg_backend_pid() AS pid' }])[0]!.rows[0]!.pid);
  });
  const deliverRouted = () =>
    safely('could not read routed frames', () => {
      for (const batch of takeRouted(o.db, me)) {
        if (batch.kind === 'owner') for (const f of batch.frames) local.router.route(f);
        else for (const id of batch.minionIds) local.registry.link(id)?.send(batch.bytes);
      }
    });
  const all = new Subscription();
  return {
    fleet,
    jobRouter: { frames$: (jid) => returns.frames$(jid) },
    minionRouter: {
      route: (frame: JobFrame) => {
        if (local.router.route(frame)) return true;
        if (frame.kind !== 'return') outbox.toOwner(frame);
        return false;
      },
    },
    ordered: (ingest) => ({
      submit: (frame) => {
        // The owner reads a return only once stored: what the minion sent before it is written first.
        outbox.flushOwners();
        ingest.submit(frame);
      },
    }),
    ownership: {
      claim: (job) => claimJob(o.db, me, job),
      release: (jid) => safely('could not release a job', () => releaseJob(o.db, jid)),
    },
    guard: (store) => ({
      ...store,
      unfinishedJobs: () => {
        const jobs = store.unfinishedJobs();
        const owned = ownedJobs(
          o.db,
          jobs.map((j) => j.jid),
        );
        return jobs.filter((j) => !owned.has(j.jid));
      },
    }),
    start: (to) => {
      learned = to.learned;
      const notes$ = pgNotifications$({
        url: o.url,
        channels: [ROUTED_CHANNEL, RETURNS_CHANNEL],
        onError: (err) => log.warn({ err: err.message }, 'lost the routing listener; reconnecting'),
      });
      all.add(notes$.pipe(filter((n) => n.channel === ROUTED_CHANNEL && n.payload === me)).subscribe(deliverRouted));
      all.add(
        notes$
          .pipe(
            // Returns this master stored reached its jobs through its own ingest already.
            filter((n) => n.channel === RETURNS_CHANNEL && n.processId !== ownPid),
            bufferTime(10, asyncScheduler),
            filter((b) => b.length > 0),
          )
          .subscribe((batch) =>
            safely('could not read returns stored by other masters', () => {
              // The acks and progress a holder routed before storing these returns came first:
              // it wrote them before the returns, on the same connection, and their notification
              // (heard on this same LISTEN connection, in commit order) is handled at once,
              // while these wait for their 10 ms batch.
              // The batches of one 10 ms window: the rows their transactions wrote, in one query.
              const written = { jids: new Set<string>(), xids: [] as string[] };
              const jids = new Set<string>();
              let more = false;
              for (const n of batch) {
                const payload = JSON.parse(n.payload) as { jids?: string[]; more?: boolean; xid?: string };
                const into = payload.xid === undefined ? jids : written.jids;
                if (payload.xid !== undefined) written.xids.push(payload.xid);
                for (const jid of payload.jids ?? []) into.add(jid);
                more ||= payload.more === true;
              }
              if (more) return returns.readAll();
              returns.readWritten(written.jids, written.xids);
              if (jids.size > 0) returns.read(jids);
            }),
          ),
      );
      const ownership = ownershipPass({
        db: o.db,
        masterId: me,
        manager: to.manager,
        store: to.store,
        readReturns: (jids) => returns.read(jids),
        now,
        log,
      });
      // Each third of the lease: take over jobs of dead masters, and catch up on what a lost
      // notification would have said (routed frames, returns of followed jobs).
      all.add(
        interval(Math.max(100, Math.floor(o.leaseMs / 3)), asyncScheduler).subscribe(() => {
          ownership();
          deliverRouted();
          safely('could not read returns', () => returns.readAll());
          safely('could not purge routed frames', () => purgeRouted(o.db, now() - 60_000));
          safely('could not read minion sessions', () => fleet.refresh());
          grains.catchUp();
        }),
      );
    },
    stop: () => {
      all.unsubscribe();
      grains.stop();
      outbox.close();
    },
  };
}
