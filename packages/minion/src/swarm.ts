import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { generateMemoryKeyPair } from '@brine/protocol';
import type { MasterConnection } from './connection/connection.js';
import type { MasterOrderValue } from './connection/master-list.js';
import { memoryMasterPin } from './connection/master-pin.js';
import { collectGrains } from './grains/collect.js';
import { createHelperSpawner } from './executor/spawner-helper.js';
import { createRegistry, overlayRegistry } from './modules/registry.js';
import { createStateLock } from './state-run/state-lock.js';
import { createStateRegistry } from './states/registry.js';
import { loadOrCreateMinionKey } from './identity.js';
import { FileJidLog, MemoryJidLog, type JidLog } from './outbox/jid-log.js';
import { FileOutbox, MemoryOutbox } from './outbox/outbox.js';
import { createMinionShared, SWARM_MAX_FRAME_BYTES } from './minion-shared.js';
import { wireMinion } from './wire-minion.js';
import { BehaviorSubject, of, type Observable, type Subscription } from 'rxjs';
import { createSwarmExtend, type SwarmMinionExtend } from './swarm-extend.js';
import { swarmBeacons } from './swarm-beacons.js';
import { SwarmStates } from './swarm-states.js';

/** Options for {@link startSwarm}. */
export interface SwarmOptions {
  count: number;
  idPrefix: string;
  /**
   * The master, or several masters sharing one database: minion `i` lists them starting at
   * `i mod n`, so the swarm spreads evenly over them, and fails over in `order`.
   */
  url: string | readonly string[];
  /** How each minion moves between several masters. @default 'failover' */
  order?: MasterOrderValue;
  masterFingerprint?: string;
  log: Logger;
  /** Source addresses to spread connections over (loopback runs out of ports past ~14k per address). */
  localAddresses: string[];
  /** Spread the first connects over this many ms. */
  splayMs: number;
  cacheDir: string;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /**
   * Keep each virtual minion's key, outbox and jid log under `<stateDir>/<id>/`, so a swarm
   * killed and restarted comes back as the same minions with their unacked returns and their
   * record of jobs run (without fsync: they survive a kill, not a power loss). In memory when
   * absent.
   */
  stateDir?: string;
}

export { sharedFrameDecoder } from './shared-frame-decoder.js';

/** The master list of a swarm's minion `i`: the masters starting at `i mod n`, so the swarm spreads evenly. */
export function swarmMasters(urls: readonly string[], i: number): string[] {
  const k = i % urls.length;
  return [...urls.slice(k), ...urls.slice(0, k)];
}

/** The beacon syncs of a minion whose manager is not made yet: none. */
const EMPTY_SYNCS: Observable<number> = of(0);

/** A running swarm. */
export interface Swarm {
  connected(): number;
  stop(): void;
}

/**
 * Runs many virtual minions in one process, for load and fault tests (Salt ships minionswarm for
 * the same). Each is wired by the daemon's own factory (wireMinion): its own id, key,
 * connection, executor and jid log, running the real protocol code. They share the state
 * functions, the host's grains (with their own id) and the process's shared parts
 * (createMinionShared('swarm'): one TLS context, a decoder and a verifier that handle each
 * distinct published job once). Outboxes are in memory unless `stateDir` is given: the swarm
 * stands in for hosts, not for their disks.
 */
export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  // One set of state functions and one registry for all; each minion its own state.* functions
  // over it, for its own state-run lock.
  const states = createStateRegistry();
  const registry = createRegistry({ state: { states } });
  // One per process: the TLS context, the frame decoder, the job verifier, the ack batch, and the
  // helper that starts commands, made now while the process is small (issue #17).
  const spawner = createHelperSpawner();
  const shared = { ...createMinionShared('swarm'), spawner };
  const base = await collectGrains({ id: `${options.idPrefix}0` });
  const pin = memoryMasterPin(options.masterFingerprint);
  const connections: MasterConnection[] = [];
  const beaconRuns: Subscription[] = [];
  // Kept as sessions start and end: the status line asks every 50 ms in the benchmarks, and
  // counting 10,000 connections each time was 0.4 s of the swarm's CPU while they connected.
  let ready = 0;
  const jidLogs: JidLog[] = [];
  // As the daemon does: forget runs past their expiry, so a long run does not grow without end.
  const pruner = setInterval(() => {
    const now = Date.now();
    for (const log of jidLogs) log.prune(now);
  }, 60_000);
  pruner.unref();
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  const width = String(options.count - 1).length;
  const ids = Array.from({ length: options.count }, (_, i) => `${options.idPrefix}${String(i).padStart(width, '0')}`);
  // Every key is made before the first connect, so key-making does not compete with handshakes.
  const keys = ids.map((id) =>
    options.stateDir ? loadOrCreateMinionKey(join(options.stateDir, id, 'pki')) : generateMemoryKeyPair(),
  );
  // Custom modules synced by the swarm's minions (issue #21): one import and one worker per
  // module content for the whole process, a manager per minion only once it syncs.
  const extend = createSwarmExtend(options.log.child({ component: 'extend' }));
  // The extension system's entries, shared: a minion's first sync copies its registry.
  for (const fn of extend.functions) registry.set(fn.name, fn);
  let extendRoot: string | undefined;
  const extendDir = (id: string, own: string | undefined) =>
    own ? join(own, 'extend') : join((extendRoot ??= mkdtempSync(join(tmpdir(), 'brine-swarm-extend-'))), id);
  for (let i = 0; i < options.count; i++) {
    const id = ids[i]!;
    const own = options.stateDir ? join(options.stateDir, id) : undefined;
    const core: Record<string, unknown> = { ...base, id, swarm: true };
    let set: Record<string, unknown> = {};
    let grains: Record<string, unknown> = core;
    const jidLog = own ? new FileJidLog(join(own, 'jids.log'), Date.now(), false) : new MemoryJidLog();
    jidLogs.push(jidLog);
    const log = options.log.child({ minionId: id });
    let masterPub: Uint8Array | undefined;
    // The grains below reach the extension manager, attached once the minion is wired.
    // eslint-disable-next-line prefer-const
    let ext: SwarmMinionExtend | undefined;
    const manager = () => ext?.current();
    // state.apply reads the shared built-ins until the minion's manager gives it its own.
    const minionStates = new SwarmStates(states);
    const grainsAccess = {
      all: () => grains,
      setValue: async (k: string, v: unknown) => {
        set = { ...set, [k]: v };
        grains = { ...grains, [k]: v };
        wired.connection.sendGrains(grains);
      },
      // After a sync of custom grains: the core ones, the custom ones, then those set by hand.
      refresh: async () => {
        const custom = (await manager()?.customGrains(core)) ?? {};
        grains = { ...core, ...custom, ...set, id };
        wired.connection.sendGrains(grains);
        return grains;
      },
    };
    const wired = wireMinion({
      id,
      key: keys[i]!,
      masters: swarmMasters(urls, i),
      ...(options.order ? { order: options.order } : {}),
      pin,
      logs: { executor: log, connection: log },
      shared,
      outbox: own ? new FileOutbox(join(own, 'outbox'), false) : new MemoryOutbox(),
      jidLog,
      grains: grainsAccess,
      registry: () =>
        overlayRegistry(registry, {
          state: {
            states: minionStates,
            lock: createStateLock(),
            // As on a daemon, a highstate syncs first when connected (Salt's sync_all); this
            // makes the minion's extension manager if it had none.
            beforeHighstate: async () => {
              if (ext && wired.connection.connected) await ext.ensure().syncAll();
            },
          },
        }),
      maxConcurrent: 4,
      maxQueued: 100,
      maxOutputBytes: 1024 * 1024,
      maxFrameBytes: SWARM_MAX_FRAME_BYTES,
      // Each minion its own cache: state runs fetch SLS files into it, and two minions must not
      // write one cached file at once.
      cacheDir: join(options.cacheDir, id),
      backoff: { baseMs: options.reconnectBaseMs, capMs: options.reconnectCapMs },
      onReady: (session) => {
        masterPub = session.masterPub;
        ready++;
      },
      onClosed: () => void ready--,
      ...(options.localAddresses.length
        ? { localAddress: options.localAddresses[i % options.localAddresses.length]! }
        : {}),
    });
    // Counts the syncs that changed the custom beacons; made with the manager, as the runner it restarts.
    let customSynced$ = EMPTY_SYNCS;
    ext = extend.attach(
      wired.registry,
      () => {
        const synced$ = (customSynced$ = new BehaviorSubject(0));
        return {
          // Its own state registry, which its state.apply reads from now on (custom states too).
          stateRegistry: (minionStates.own = new Map(states)),
          sync: {
            files: wired.files,
            masterPub: () => masterPub,
            minionId: id,
            dir: extendDir(id, own),
            now: Date.now,
          },
          grains: grainsAccess,
          onBeaconsChanged: () => synced$.next(synced$.value + 1),
        };
      },
      {
        loadNow: own !== undefined && existsSync(join(own, 'extend')),
        // Its beacon runner starts with its manager: a minion that never syncs runs none.
        onMade: (m) =>
          beaconRuns.push(
            swarmBeacons(
              {
                pillar: wired.pillar,
                customSynced$,
                custom: () => m.beacons(),
                grains: () => grains,
                log,
              },
              (e) => wired.connection.send({ type: 'event', tag: e.tag, data: e.data }),
            ),
          ),
      },
    );
    connections.push(wired.connection);
    wired.connection.start(options.splayMs);
  }
  return {
    connected: () => ready,
    stop: () => {
      clearInterval(pruner);
      spawner.close();
      connections.forEach((c) => c.stop());
      beaconRuns.forEach((r) => r.unsubscribe());
      extend.close();
      if (extendRoot) rmSync(extendRoot, { recursive: true, force: true });
    },
  };
}
