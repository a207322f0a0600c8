import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Frame } from '@brine/protocol';
import { MasterConnection, type Session } from './connection/connection.js';
import type { BackoffOptions } from './connection/backoff.js';
import { FileClient } from './connection/file-client.js';
import type { MasterOrderValue } from './connection/master-list.js';
import type { MasterPin } from './connection/master-pin.js';
import { MineClient, PillarClient } from './connection/pillar-client.js';
import { Executor } from './executor/executor.js';
import type { GrainsAccess, ModuleFunction, ScheduleControl } from './modules/types.js';
import { BRINE_VERSION } from './modules/version.js';
import type { JidLog } from './outbox/jid-log.js';
import type { Outbox } from './outbox/outbox.js';
import type { MinionShared } from './minion-shared.js';

/** What {@link wireMinion} needs for one minion; the daemon and the swarm each fill it in. */
export interface WireMinionOptions<R extends ReadonlyMap<string, ModuleFunction>> {
  id: string;
  key: { privateKey: KeyObject; publicRaw: Buffer };
  /** The masters' URLs, tried in `order`. */
  masters: readonly string[];
  /** @default 'failover' */
  order?: MasterOrderValue;
  pin: MasterPin;
  /**
   * The executor's and the connection's loggers. A daemon gives each a `component` child; a
   * swarm gives both its minion's logger, as a child logger costs about half a kilobyte.
   */
  logs: { executor: Logger; connection: Logger };
  /** The parts shared by every minion of the process (one per process). */
  shared: MinionShared;
  outbox: Outbox;
  jidLog: JidLog;
  grains: GrainsAccess;
  /** Builds the function registry; state runs read pillar through the client given. */
  registry(clients: { pillar: PillarClient }): R;
  /** The mine functions configured on the minion. @default none */
  mineFunctions?: Record<string, unknown>;
  maxConcurrent: number;
  maxQueued: number;
  maxOutputBytes: number;
  maxFrameBytes: number;
  cacheDir: string;
  backoff: BackoffOptions;
  enrollToken?: string;
  localAddress?: string;
  /** The minion's own schedule, for the `schedule.*` functions. @default none */
  schedule?(): ScheduleControl | undefined;
  /** Told after each connect, once the executor has the session. */
  onReady?(session: Session): void;
  /** Told when an authenticated session ends, after the executor and clients let go of it. */
  onClosed?(): void;
}

/** One wired minion: its connection (not started yet), its executor and its clients. */
export interface WiredMinion<R extends ReadonlyMap<string, ModuleFunction>> {
  connection: MasterConnection;
  executor: Executor;
  files: FileClient;
  pillar: PillarClient;
  mine: MineClient;
  registry: R;
}

/** Where {@link routeMasterFrame} sends frames. */
export interface FrameTargets {
  files: Pick<FileClient, 'onFrame'>;
  pillar: Pick<PillarClient, 'onFrame'>;
  mine: Pick<MineClient, 'onFrame'>;
  executor: Pick<Executor, 'onFrame'>;
}

/**
 * Hands a frame of the master's, in an authenticated session, to the part it concerns: file
 * chunks and listings to the file client, pillar to the pillar client, mine answers to the mine
 * client, and everything else (jobs, cancels, acks) to the executor.
 */
export function routeMasterFrame(frame: Frame, session: Session, to: FrameTargets): void {
  if (frame.type === 'file.chunk' || frame.type === 'file.listing') to.files.onFrame(frame);
  else if (frame.type === 'pillar.data') to.pillar.onFrame(frame);
  else if (frame.type === 'mine.response') to.mine.onFrame(frame);
  else to.executor.onFrame(frame, session);
}

/**
 * Wires one minion, as the daemon and every virtual minion of a swarm run it: the file, pillar
 * and mine clients over the master connection, the executor, and the routing of the master's
 * frames between them. The caller starts the connection (`connection.start(splayMs)`) once the
 * rest of its wiring is done, and stops it.
 */
export function wireMinion<R extends ReadonlyMap<string, ModuleFunction>>(o: WireMinionOptions<R>): WiredMinion<R> {
  // Assigned below; the clients reach it through this binding.
  // eslint-disable-next-line prefer-const
  let connection: MasterConnection | undefined;
  const send = (frame: Parameters<MasterConnection['send']>[0]) => connection?.send(frame) ?? false;
  const files = new FileClient(send);
  const pillar = new PillarClient(send);
  const mine = new MineClient(send, o.mineFunctions);
  const registry = o.registry({ pillar });
  const executor = new Executor({
    id: o.id,
    registry,
    outbox: o.outbox,
    jidLog: o.jidLog,
    grains: o.grains,
    files,
    pillar,
    mine,
    log: o.logs.executor,
    verifier: o.shared.verifier,
    afterTurn: o.shared.afterTurn,
    targets: o.shared.targets,
    ...(o.shared.spawner ? { spawner: o.shared.spawner } : {}),
    maxConcurrent: o.maxConcurrent,
    maxQueued: o.maxQueued,
    maxOutputBytes: o.maxOutputBytes,
    cacheDir: o.cacheDir,
    now: () => Date.now(),
    ...(o.schedule ? { schedule: o.schedule } : {}),
  });
  connection = new MasterConnection({
    id: o.id,
    url: o.masters[0]!,
    urls: o.masters,
    ...(o.order ? { order: o.order } : {}),
    privateKey: o.key.privateKey,
    publicRaw: o.key.publicRaw,
    pin: o.pin,
    log: o.logs.connection,
    version: BRINE_VERSION,
    grains: () => o.grains.all(),
    running: () => executor.runningJids(),
    onReady: (session) => {
      executor.attach(session);
      o.onReady?.(session);
    },
    onFrame: (frame, session) => routeMasterFrame(frame, session, { files, pillar, mine, executor }),
    onClosed: () => {
      executor.detach();
      files.failAll();
      pillar.failAll();
      mine.failAll();
      o.onClosed?.();
    },
    backoff: o.backoff,
    maxFrameBytes: o.maxFrameBytes,
    ...(o.shared.decode ? { decode: o.shared.decode } : {}),
    ...(o.masters.some((u) => u.startsWith('wss:')) ? { tlsContext: o.shared.tlsContext() } : {}),
    ...(o.enrollToken ? { enrollToken: o.enrollToken } : {}),
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
  });
  return { connection, executor, files, pillar, mine, registry };
}
