/**
 * The minion daemon's composition root. Lifecycle:
 * 1. take a validated config (bin/brine-minion.ts reads the YAML file and flags)
 * 2. load or make the minion's key; refuse a key readable by others
 * 3. open the outbox and the jid log; report jobs cut short by a restart as `interrupted`
 * 4. collect grains
 * 5. build the function registry, load the synced custom extensions over it, build the executor
 * 6. connect to the master after a random splay, and keep reconnecting with jittered backoff
 *    (at each connect and every `mine_interval` minutes, `mine.update` when mine functions exist)
 * 7. start the minion's own schedule (returns through the outbox) and the beacons (events go
 *    to the master while it is connected); each pillar the master sends adds, changes or
 *    removes the pillar's beacons and schedules (issue #19)
 * 8. on stop: stop the beacons, close the connection; running jobs are killed, their returns
 *    stay in the outbox
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MinionConfig } from './config.js';
import { scheduleMine } from './connection/mine-timer.js';
import { fileMasterPin } from './connection/master-pin.js';
import { createGrainsAccess } from './grains/grains-access.js';
import { loadOrCreateMinionKey } from './identity.js';
import { ExtendManager } from './extend/extend-manager.js';
import { WorkerPool } from './extend/worker-pool.js';
import { createRegistry } from './modules/registry.js';
import { createStateRegistry } from './states/registry.js';
import { FileJidLog } from './outbox/jid-log.js';
import { FileOutbox } from './outbox/outbox.js';
import { ErrorCode, validateMinionId } from '@brine/protocol';
import { asyncScheduler, BehaviorSubject } from 'rxjs';
import { minionBeacons$ } from './beacons/minion-beacons.js';
import { followPillarAutomation } from './pillar-automation.js';
import { MinionSchedule } from './schedule/minion-schedule.js';
import { HeldEvents } from './connection/held-events.js';
import { killRunningJobs } from './executor/kill-running.js';
import { MinionError } from './errors.js';
import { ensurePrivateDir } from './private-dir.js';
import { startLoopWatchdog } from './loop-watchdog.js';
import { createMinionShared } from './minion-shared.js';
import { wireMinion, type WiredMinion } from './wire-minion.js';
import type { ModuleFunction } from './modules/types.js';

/** A running minion daemon. */
export interface RunningMinion {
  id: string;
  stop(): Promise<void>;
}

/** Starts a minion daemon from a validated config. */
export async function startMinion(config: MinionConfig, log: Logger): Promise<RunningMinion> {
  const valid = validateMinionId(config.id);
  if (!valid.ok)
    throw new MinionError(
      ErrorCode.MINION_ID_INVALID,
      `minion id ${JSON.stringify(config.id)}: ${valid.error.message}`,
    );
  const stateDir = config.state_dir;
  const cacheDir = join(stateDir, 'cache');
  // Issue 13 finding 9: the state dir and the file cache hold job data; others may not read them.
  for (const dir of [stateDir, cacheDir]) {
    const { tightenedFrom } = ensurePrivateDir(dir);
    if (tightenedFrom !== undefined)
      log.warn({ dir, mode: tightenedFrom.toString(8) }, 'state directory was readable by others; tightened to 0700');
  }
  const key = loadOrCreateMinionKey(join(stateDir, 'pki'));
  const outbox = new FileOutbox(join(stateDir, 'outbox'));
  const jidLog = new FileJidLog(join(stateDir, 'jids.log'), Date.now());

  // Assigned below; closures built before it (grains, extensions) reach it through this binding.
  // eslint-disable-next-line prefer-const
  let minion: WiredMinion<Map<string, ModuleFunction>> | undefined;
  // eslint-disable-next-line prefer-const
  let extend: ExtendManager | undefined;
  let masterPub: Uint8Array | undefined;
  // Counts the syncs that changed the custom beacons: those beacons start anew on each.
  const customBeaconsSynced$ = new BehaviorSubject(0);
  const grains = await createGrainsAccess({
    id: config.id,
    configured: config.grains,
    file: join(stateDir, 'grains.json'),
    onChange: (g) => minion?.connection.sendGrains(g),
    custom: async (core) => (extend ? extend.customGrains(core) : {}),
  });
  // State runs get this minion's pillar, and the state functions the extensions layer over the
  // built-ins (ExtendManager swaps the map's contents in place on a sync).
  const stateRegistry = createStateRegistry();
  // A highstate first syncs the extensions from the master when one is connected (Salt's
  // sync_all before a highstate, issue #21); offline, it runs with what is installed.
  const beforeHighstate = async (): Promise<void> => {
    if (extend && minion?.connection.connected) await extend.syncAll();
  };
  // Made below, once the executor exists; onReady runs only after the connection starts.
  // eslint-disable-next-line prefer-const
  let mineTimer: ReturnType<typeof scheduleMine> | undefined;
  // Reports made before the master is connected (schedule slots missed while stopped) wait for it.
  const heldEvents = new HeldEvents();
  // The same wiring as each virtual minion of a swarm (wire-minion.ts).
  minion = wireMinion({
    id: config.id,
    key,
    masters: config.masters,
    order: config.master_type,
    pin: fileMasterPin(join(stateDir, 'pki', 'master.fingerprint'), config.master_fingerprint),
    logs: { executor: log.child({ component: 'executor' }), connection: log.child({ component: 'connection' }) },
    shared: createMinionShared('daemon'),
    outbox,
    jidLog,
    grains,
    registry: ({ pillar }) =>
      createRegistry({ state: { pillar: () => pillar.items(), states: stateRegistry, beforeHighstate } }),
    mineFunctions: config.mine_functions,
    maxConcurrent: config.max_concurrent_jobs,
    maxQueued: config.max_queued_jobs,
    maxOutputBytes: config.max_output_bytes,
    maxFrameBytes: config.max_frame_bytes,
    cacheDir,
    backoff: { baseMs: config.reconnect_base_ms, capMs: config.reconnect_cap_ms },
    ...(config.enroll_token ? { enrollToken: config.enroll_token } : {}),
    schedule: () => schedule,
    onReady: (session) => {
      masterPub = session.masterPub;
      mineTimer?.connected();
      heldEvents.flush((frame) => session.send(frame));
    },
  });
  const { executor, connection, files, pillar, mine } = minion;
  extend = new ExtendManager({
    registry: minion.registry,
    stateRegistry,
    sync: { files, masterPub: () => masterPub, minionId: config.id, dir: join(stateDir, 'extend'), now: Date.now },
    grains,
    workers: new WorkerPool({ log: log.child({ component: 'extend' }) }),
    loadTimeoutMs: config.extend_load_timeout_s * 1000,
    // Custom beacons synced anew start without a restart (the runner is made below).
    onBeaconsChanged: () => customBeaconsSynced$.next(customBeaconsSynced$.value + 1),
    log: log.child({ component: 'extend' }),
  });
  await extend.loadInstalled();
  // The minion's own schedule runs through the executor, so its returns use the outbox.
  const schedule = new MinionSchedule({
    config: config.schedule,
    file: join(stateDir, 'schedule.json'),
    scheduler: asyncScheduler,
    random: Math.random,
    run: (name, entry, onDone) =>
      executor.runScheduled(
        name,
        { fun: entry.function, args: entry.args, kwargs: entry.kwargs, timeoutMs: entry.timeout_s * 1000 },
        onDone,
      ),
    // As the master reports its own: brine/minion/<id>/schedule/<name>/missed (issue #19).
    missed: (report) =>
      heldEvents.send({ tag: `schedule/${report.name}/missed`, data: report }, (f) => connection.send(f)),
    log: log.child({ component: 'schedule' }),
  });
  schedule.start();
  const prune = setInterval(() => jidLog.prune(Date.now()), 600_000);
  prune.unref();
  mineTimer = scheduleMine({ executor, pillar, mine, intervalMinutes: config.mine_interval, log });

  const beaconLog = log.child({ component: 'beacons' });
  const fromPillar = followPillarAutomation({
    file: join(stateDir, 'pillar-automation.json'),
    changes$: pillar.changes$,
    configBeacons: config.beacons,
    setSchedule: (entries) => schedule.setPillar(entries),
    log,
  });
  // Beacon events are not spooled: one seen while the master is away is dropped, as in Salt.
  const beaconEvents = minionBeacons$({
    configs$: fromPillar.beacons$,
    // A sync that changes the custom beacons starts those entries anew (issue #21).
    customSynced$: customBeaconsSynced$,
    custom: () => extend.beacons(),
    grains: () => grains.all(),
    log: beaconLog,
    maxEventsPerPoll: config.beacon_max_events,
  }).subscribe((e) => {
    if (!connection.send({ type: 'event', tag: e.tag, data: e.data }))
      beaconLog.debug({ beacon: e.beacon }, 'beacon event dropped: no master connection');
  });
  // Connects last: the first pillar push finds the pillar's beacons and schedules listening.
  connection.start(config.startup_splay_ms);
  log.info({ id: config.id, masters: config.masters }, 'minion started');

  // Something that blocks the event loop (custom code cannot: every kind is imported and run in
  // its worker thread, issue #21) is reported from a thread of its own, since this
  // thread's logger cannot write while it is blocked (issue #21).
  const watchdog =
    config.loop_watchdog_s > 0
      ? startLoopWatchdog({
          stallMs: config.loop_watchdog_s * 1000,
          fields: { name: 'brine-minion', id: config.id },
          log: log.child({ component: 'watchdog' }),
        })
      : undefined;

  return {
    id: config.id,
    stop: async () => {
      await watchdog?.stop();
      fromPillar.stop();
      schedule.stop();
      // Closes every beacon's watchers too.
      beaconEvents.unsubscribe();
      clearInterval(prune);
      mineTimer.stop();
      await killRunningJobs(executor);
      connection.stop();
      extend.close();
    },
  };
}
