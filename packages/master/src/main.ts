/**
 * The master's composition root. Lifecycle:
 * 1. take a validated config (bin/brine-master.ts reads the YAML file and flags)
 * 2. load or make the master's keys and TLS certificate; refuse keys readable by others
 * 3. open the stores (SQLite and files, or a shared PostgreSQL), the key store and the minion cache
 * 4. build the core: registry, event bus, frame router, return ingest, job manager; pillar and mine
 * 5. listen for minions (WebSocket over TLS)
 * 6. serve the REST API (HTTPS unless on loopback) and write the local admin credential for the CLI
 * 7. purge old jobs on a timer
 * 8. start the reactor and the scheduler (docs/automation.md), as their configured identities
 * 9. on stop: stop the reactor and the scheduler, refuse new work, flush the ingest, close
 *    sockets, close the store
 */
import { hostname } from 'node:os';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { asyncScheduler, Subject } from 'rxjs';
import {
  createJidGenerator,
  encodeFrame,
  globMatch,
  publishFrames,
  signExtendListing,
  signJob,
  type ExtendKind,
  type JobSummary,
} from '@brine/protocol';
import type { MasterConfig } from './config.js';
import { EventBus } from './core/event-bus.js';
import { MinionEventLimiter } from './core/event-limiter.js';
import { FrameRouter } from './core/frame-router.js';
import { JobManager } from './core/job-manager.js';
import { MinionRegistry } from './core/registry.js';
import { ReturnIngest } from './core/return-ingest.js';
import { API_ROUTES, authFromConfig } from './http/api.js';
import { buildApi } from './http/app.js';
import { saltConfigValues } from './http/salt-wheel.js';
import { httpsOptions, loadApiTls } from './http/api-tls.js';
import { apiServesTls } from './config.js';
import { Metrics } from './http/metrics.js';
import { KeyStore } from './keys/key-store.js';
import { loadOrCreateMasterIdentity } from './keys/master-identity.js';
import { EnrollmentTokens } from './keys/enrollment.js';
import { PendingKeyLimiter } from './keys/pending-limiter.js';
import { MinionCache } from './store/minion-cache.js';
import { servedFiles } from './files/served-files.js';
import { COMPILED_PREFIX, ExtendCompiler } from './files/extend-compiler.js';
import { RunnerHost } from './runners/runner-host.js';
import { AckCoalescer } from './transport/ack-coalescer.js';
import { createAckPiggyback } from './transport/ack-piggyback.js';
import { returnGate } from './core/return-gate.js';
import { openStores } from './store/open-stores.js';
import { shareWithMasters } from './store/share-with-masters.js';
import { Admission } from './transport/admission.js';
import { startMinionServer } from './transport/ws-server.js';
import { dispatchMinionFrame } from './transport/dispatch.js';
import { idleCollector } from './idle-gc.js';
import { ensurePrivateDir, type PrivatePath } from './private-dir.js';
import { createMasterPillar } from './pillar/pillar-setup.js';
import { pushPillar } from './pillar/pillar-delivery.js';
import { FaultPoint, faultsFromEnv, type Faults } from './faults.js';
import type { JobStore } from './core/job-store.js';
import { ConfigError } from './errors.js';
import { checkReactorFiles } from './reactor/check-reactor.js';
import { masterCalls } from './reactor/master-calls.js';
import { renderReactions } from './reactor/reactor-files.js';
import { startReactor, type MasterCall } from './reactor/reactor.js';
import { reactorOrchestrate } from './reactor/reactor-orchestrate.js';
import { startJobAs } from './reactor/start-as.js';
import { MasterSchedule } from './schedule/master-schedule.js';
import { ScheduledReturns } from './schedule/scheduled-returns.js';

/** A running master. */
export interface RunningMaster {
  minionPort: number;
  apiPort: number;
  apiUrl: string;
  fingerprint: string;
  /** Stops gracefully: no new work, pending returns flushed, sockets and store closed. */
  stop(): Promise<void>;
}

/** Starts a master from a validated config. */
export async function startMaster(
  config: MasterConfig,
  log: Logger,
  faults: Faults = faultsFromEnv(undefined, () => {}),
): Promise<RunningMaster> {
  const now = () => Date.now();
  const stateDir = config.state_dir;
  // A reactor SLS that cannot work is refused now, not at the event that needs it.
  const reactorProblems = await checkReactorFiles(config.reactor, { fileRoots: config.file_roots });
  if (reactorProblems.length > 0) throw new ConfigError(reactorProblems.join('\n'));
  // Issue 13 finding 9: keys, job arguments and outputs live here; others may not read them.
  const warnWide = ({ path, tightenedFrom }: PrivatePath) => {
    if (tightenedFrom !== undefined)
      log.warn({ path, mode: tightenedFrom.toString(8) }, 'state file or directory was readable by others; tightened');
  };
  warnWide(ensurePrivateDir(stateDir));
  const pkiDir = join(stateDir, 'pki');
  const identity = await loadOrCreateMasterIdentity(pkiDir, ['localhost', '127.0.0.1', ...config.tls_names]);
  log.info({ fingerprint: identity.fingerprint }, 'master key loaded');

  const bus = new EventBus(now);
  const registry = new MinionRegistry(now);
  const cache = new MinionCache(join(stateDir, 'minions'));
  const stores = openStores(config.store, stateDir, { onTightened: warnWide });
  const keys = new KeyStore(stores.keys ?? pkiDir, {
    autosign: { ids: config.autosign.ids, grains: config.autosign.grains },
    pendingLimits: new PendingKeyLimiter({
      maxPending: config.max_pending_keys,
      maxPendingPerAddress: config.max_pending_keys_per_address,
      ratePerAddressPerMin: config.pending_key_rate_per_min,
      burstPerAddress: config.pending_key_burst,
      now,
    }),
    onChange: (c) => {
      bus.publish(`brine/key/${c.id}/${c.to ?? 'deleted'}`, c);
      if (c.to === undefined || c.to === 'rejected' || c.to === 'denied') {
        registry.forget(c.id, c.to === undefined ? 'key_deleted' : 'key_rejected');
        if (c.to === undefined) cache.remove(c.id);
      }
    },
  });
  const enrollment = new EnrollmentTokens(join(pkiDir, 'enroll_tokens.json'));
  for (const m of cache.load()) if (keys.state(m.id) === 'accepted') registry.remember(m.id, m.grains, m.lastSeen);
  for (const k of keys.list('accepted')) if (!registry.get(k.id)) registry.remember(k.id, {}, 0);

  // With a shared PostgreSQL: other masters' key changes and events, minion sessions under a
  // lease, and a recovery pass that leaves other live masters' jobs alone (docs/scale.md).
  const sharing = stores.db
    ? shareWithMasters({ url: config.store, db: stores.db, keys, bus, leaseMs: config.heartbeat_ms * 3, now, log })
    : undefined;
  const realStore = sharing ? sharing.guard(stores.jobs) : stores.jobs;
  const store: JobStore = {
    ...realStore,
    writeResults: (rows) => {
      faults.hit(FaultPoint.write);
      const stored = realStore.writeResults(rows);
      faults.hit(FaultPoint.afterWrite);
      return stored;
    },
  };
  const metrics = new Metrics();
  // Event-loop delay for /metrics: what a reconnect storm or a large fan-out does to everyone else.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  metrics.process = () => {
    const figures = {
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      rssBytes: process.memoryUsage.rss(),
    };
    loopDelay.reset();
    return figures;
  };
  const router = new FrameRouter();
  const acks = new AckCoalescer((id, frame) => registry.link(id)?.send(frame), config.ret_ack_delay_ms);
  const ingest = new ReturnIngest({
    store,
    scheduler: asyncScheduler,
    maxDelayMs: config.ingest_batch_ms,
    maxBatch: 5000,
    sink: {
      ack: (id, items) => acks.add(id, items),
      deliver: (frame) => {
        metrics.returnsStored++;
        router.route(frame);
      },
      failed: (err, rows) =>
        log.error({ err: (err as Error).message, rows }, 'job cache write failed; returns stay in minion outboxes'),
    },
  });
  const newJid = createJidGenerator();
  // Acks still waiting for a minion ride along with the next job sent to it, in the same write.
  const piggyback = createAckPiggyback({
    takeAcks: (id) => acks.take(id),
    onPublish: () => faults.hit(FaultPoint.publish),
  });
  const manager = new JobManager({
    registry,
    router,
    bus,
    store,
    scheduler: asyncScheduler,
    now,
    newJid: () => newJid(now()),
    publishFrame: (spec, audience) => piggyback.jobFrames(publishFrames(signJob(identity.privateKey, spec), audience)),
    cancelFrame: (jid) => encodeFrame({ type: 'job.cancel', jid }),
    masterFingerprint: identity.fingerprint,
    targetOptions: { nodegroups: config.nodegroups },
    ackTimeoutMs: config.ack_timeout_ms,
    graceMs: config.job_grace_ms,
  });

  const collector = idleCollector({ idleMs: config.idle_gc_ms, minMinions: 1000, busy: () => manager.busy });
  const jobsDone = bus
    .events$(['brine/job/*/done'])
    .subscribe((e) => collector.jobEnded((e.data as JobSummary).targeted));

  // Extensions (issue #21) are compiled into their own root, served under _compiled/.
  const extendOut = join(config.state_dir, 'extend');
  mkdirSync(join(extendOut, COMPILED_PREFIX), { recursive: true });
  const files = servedFiles(config.file_roots, extendOut);
  const extendCompiler = new ExtendCompiler({ roots: config.file_roots, outDir: extendOut });
  const extendListing = async (minionId: string, kind: ExtendKind) => {
    const compiled = await extendCompiler.compile(kind);
    return signExtendListing(identity.privateKey, minionId, { kind, issuedAt: now(), ...compiled });
  };
  const scheduledReturns = new ScheduledReturns({
    store,
    bus,
    newJid: () => newJid(now()),
    now,
    file: join(stateDir, 'minion-schedule.jsonl'),
    keepMs: config.keep_jobs_hours * 3_600_000,
  });
  const minionEvents = new MinionEventLimiter({
    perSec: config.minion_event_rate.per_sec,
    burst: config.minion_event_rate.burst,
  });
  const masterPillar = await createMasterPillar(config, {
    registry,
    targetOptions: { nodegroups: config.nodegroups },
    log: log.child({ component: 'pillar' }),
  });
  const pillarDelivery = {
    service: masterPillar.service,
    log: log.child({ component: 'pillar' }),
    configured: masterPillar.configured,
    maxFrameBytes: config.max_frame_bytes,
  };
  const admitReturn = returnGate({
    attemptPublished: (jid, attempt) => manager.attemptPublished(jid, attempt),
    ack: (id, items) => acks.add(id, items),
    dropped: (minionId, jid, attempt) =>
      log.warn({ minionId, jid, attempt }, 'return for an attempt never published; dropped'),
  });
  manager.recoverUnfinished(config.restart_recovery_ms);
  const minionServer = await startMinionServer({
    host: config.interface,
    port: config.port,
    ...(config.insecure_plain_ws ? {} : { tls: identity.tls }),
    maxHandshaking: config.max_handshaking,
    maxConnectQueue: config.max_connect_queue,
    connectQueueWaitMs: config.connect_queue_wait_ms,
    handshakeTimeoutMs: config.handshake_timeout_ms,
    maxHandshakingPerAddress: config.max_handshaking_per_address,
    maxPreauthPerAddress: config.max_preauth_per_address,
    deps: {
      identity,
      certFingerprint: config.insecure_plain_ws ? '' : identity.tls.certFingerprint,
      admission: new Admission({
        ratePerSec: config.handshake_rate,
        burst: config.handshake_burst,
        maxAuthenticating: config.max_authenticating,
        now,
        random: Math.random,
      }),
      log: log.child({ component: 'transport' }),
      admitKey: ({ id, pub }, { grains, enrollToken }, address) => {
        // A token is spent only on an id the master has never seen.
        const enrolled =
          enrollToken !== undefined &&
          keys.state(id) === undefined &&
          enrollment.consume(enrollToken, id, now(), globMatch);
        if (enrolled) log.info({ minionId: id }, 'minion enrolled with a one-time token');
        return keys.admit(id, pub, grains, { enrolled, address });
      },
      onAuthenticated: (plainLink, hello, auth, address) => {
        const link = piggyback.wrap(plainLink);
        registry.attach(link, auth.grains, address);
        cache.save(link.id, auth.grains, now());
        if (masterPillar.configured) void pushPillar(link, pillarDelivery);
        bus.publish(`brine/minion/${link.id}/connected`, {
          id: link.id,
          address,
          running: auth.running,
          version: hello.version,
        });
      },
      onFrame: (link, frame) => {
        if (frame.type === 'job.return' && frame.schedule !== undefined) {
          // A run of the minion's own schedule: recorded under a master jid, then acked (issue #19).
          try {
            scheduledReturns.accept(link.id, frame);
            acks.add(link.id, [[frame.jid, frame.attempt]]);
          } catch (err) {
            log.error(
              { minionId: link.id, err: (err as Error).message },
              'scheduled return not stored; stays in the outbox',
            );
          }
          return;
        }
        if (frame.type === 'job.return' && !admitReturn(link.id, frame)) return;
        if (frame.type === 'job.return') faults.hit(FaultPoint.ingest);
        dispatchMinionFrame(link, frame, {
          router,
          ingest,
          bus,
          registry,
          cache,
          files,
          extendListing,
          pillar: pillarDelivery,
          mine: masterPillar.mine,
          now,
          events: minionEvents,
          eventsDropped: (minionId, count) =>
            log.warn({ minionId, count }, 'minion events over the rate limit dropped'),
        });
      },
      onClosed: (link) => {
        registry.detach(piggyback.wrapperOf(link));
        minionEvents.forget(link.id);
        bus.publish(`brine/minion/${link.id}/disconnected`, { id: link.id });
      },
      maxFrameBytes: config.max_frame_bytes,
      maxBufferedBytes: config.max_buffered_bytes,
      authTimeoutMs: config.auth_timeout_ms,
      heartbeatMs: config.heartbeat_ms,
      pendingRetryMs: config.pending_retry_ms,
      random: Math.random,
    },
  });
  log.info(
    { host: config.interface, port: minionServer.port, tls: !config.insecure_plain_ws },
    'listening for minions',
  );

  // Users, ACLs, hooks and the hashed token file; the admin token lives only in memory and cli.json.
  const { adminToken, ...auth } = authFromConfig(config, now, stores.tokens);
  // HTTPS unless the API binds to loopback (config.ts refuses plain HTTP elsewhere unless allowed).
  const apiTls = apiServesTls(config.api) ? loadApiTls(config.api.tls, identity.tls) : undefined;
  const automationLog = log.child({ component: 'automation' });
  const identityOf = (user: string) => ({ user, grants: auth.acl.grantsFor(user, config.users[user]?.groups ?? []) });
  const startAs = { manager, registry, audit: log.child({ component: 'api' }) };
  const scheduleIdentity = identityOf(config.schedule_user);
  // Salt's master id is `<host>_master`; orchestrate results and the job cache use it.
  const orchestrateServices = {
    fileRoots: config.file_roots,
    newJid: () => newJid(now()),
    masterId: `${hostname()}_master`,
  };
  const schedule = new MasterSchedule({
    config: config.schedule,
    file: join(stateDir, 'schedule.json'),
    scheduler: asyncScheduler,
    random: Math.random,
    start: (name, request) => startJobAs(startAs, scheduleIdentity, request, { source: 'schedule', detail: name }),
    bus,
    log: automationLog.child({ part: 'schedule' }),
  });
  const api = buildApi(
    {
      manager,
      registry,
      store,
      keys,
      enrollment,
      bus,
      metrics,
      log: log.child({ component: 'api' }),
      now,
      ...auth,
      corsOrigins: config.api.cors_origins,
      pillar: masterPillar.service,
      configValues: saltConfigValues(config),
      schedule,
      runners: new RunnerHost({
        compiler: extendCompiler,
        outDir: extendOut,
        log: log.child({ component: 'runners' }),
      }),
      orchestrate: orchestrateServices,
      // Built by `npm run setup` (packages/console); the same path from src/ and from dist/.
      consoleDir: fileURLToPath(new URL('../ui/', import.meta.url)),
      ...(sharing ? { clusterEvents$: sharing.events$ } : {}),
    },
    API_ROUTES,
    apiTls ? { https: httpsOptions(apiTls) } : {},
  );
  await api.listen({ host: config.api.host, port: config.api.port });
  const apiPort = (api.server.address() as { port: number }).port;
  const apiHost = config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host;
  const apiUrl = `${apiTls ? 'https' : 'http'}://${apiHost.includes(':') ? `[${apiHost}]` : apiHost}:${apiPort}`;
  const pin = apiTls ? { fingerprint: apiTls.fingerprint } : {};
  // The local admin credential: readable by the master's user only, so `brine` works on this host.
  // Both files are written whole or not at all (rename): a reader never sees half a file.
  writeAtomic(join(stateDir, 'cli.json'), JSON.stringify({ url: apiUrl, token: adminToken, ...pin }) + '\n', 0o600);
  // Public facts for operators and scripts: where to connect, and the fingerprint minions should pin.
  writeAtomic(
    join(stateDir, 'endpoints.json'),
    JSON.stringify({
      api: apiUrl,
      minionPort: minionServer.port,
      tls: !config.insecure_plain_ws,
      fingerprint: identity.fingerprint,
      ...(apiTls ? { apiFingerprint: apiTls.fingerprint } : {}),
    }) + '\n',
    0o644,
  );
  log.info({ url: apiUrl, ...(apiTls ? { tlsFingerprint: apiTls.fingerprint } : {}) }, 'REST API listening');

  const purge = setInterval(() => {
    const removed = store.purgeBefore(now() - config.keep_jobs_hours * 3_600_000);
    if (removed) log.info({ removed }, 'old jobs purged');
  }, 3_600_000);
  purge.unref();
  store.purgeBefore(now() - config.keep_jobs_hours * 3_600_000);

  const reactorIdentity = identityOf(config.reactor_user);
  // Told at stop: orchestrations the reactor started end and record what they did.
  const reactorStopping$ = new Subject<void>();
  // The reactor's runner and wheel calls; an orchestration's salt.runner steps reach the same table.
  const reactorCalls: Record<string, MasterCall> = masterCalls({
    keys,
    bus,
    drift: metrics,
    orchestrate: reactorOrchestrate({
      run: { store, bus, now, services: orchestrateServices },
      start: startAs,
      identity: reactorIdentity,
      bus,
      manager,
      calls: () => reactorCalls,
      stop$: reactorStopping$,
    }),
  });
  const reactor = startReactor({
    bus,
    start: startAs,
    identity: reactorIdentity,
    entries: config.reactor,
    loopLimit: { max: config.reactor_tag_limit.max, windowMs: config.reactor_tag_limit.window_ms },
    concurrency: config.reactor_concurrency,
    scheduler: asyncScheduler,
    render: (file, context) => renderReactions(file, context, { fileRoots: config.file_roots }),
    calls: reactorCalls,
    log: automationLog.child({ part: 'reactor' }),
  });
  schedule.start();

  let stopped: Promise<void> | undefined;
  return {
    minionPort: minionServer.port,
    apiPort,
    apiUrl,
    fingerprint: identity.fingerprint,
    stop: () =>
      (stopped ??= (async () => {
        log.info('stopping');
        reactorStopping$.next();
        reactor.unsubscribe();
        schedule.stop();
        clearInterval(purge);
        loopDelay.disable();
        await api.close();
        manager.cancelAll();
        ingest.close();
        acks.flush();
        await minionServer.close();
        registry.close('shutdown');
        jobsDone.unsubscribe();
        collector.stop();
        bus.close();
        cache.flushSync();
        masterPillar.flush();
        sharing?.stop();
        store.close();
        log.info('stopped');
      })()),
  };
}

function writeAtomic(file: string, text: string, mode: number): void {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}
