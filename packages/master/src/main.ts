/**
 * The master's composition root. Lifecycle:
 * 1. take a validated config (bin/brine-master.ts reads the YAML file and flags)
 * 2. load or make the master's keys and TLS certificate; refuse keys readable by others
 * 3. open the stores (SQLite and files, or a shared PostgreSQL), the key store and the minion cache
 * 4. build the core: registry, event bus, frame router, return ingest, job manager; pillar and mine
 * 5. listen for minions (WebSocket over TLS)
 * 6. serve the REST API (HTTPS unless on loopback) and write the local admin credential for the CLI
 * 7. purge old jobs and audit entries on a timer
 * 8. start the reactor and the scheduler (docs/automation.md), as their configured identities
 * 9. on stop: stop the reactor and the scheduler, refuse new work, flush the ingest, close
 *    sockets, close the store
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { asyncScheduler } from 'rxjs';
import { createJidGenerator, encodeFrame, publishFrames, signJob, type JobSummary } from '@brine/protocol';
import type { MasterConfig } from './config.js';
import { EventBus } from './core/event-bus.js';
import { MinionEventLimiter } from './core/event-limiter.js';
import { FrameRouter } from './core/frame-router.js';
import { JobManager } from './core/job-manager.js';
import { MinionRegistry } from './core/registry.js';
import { rememberKnownMinions } from './core/known-minions.js';
import { ReturnIngest } from './core/return-ingest.js';
import { API_ROUTES, authFromConfig } from './http/api.js';
import { buildApi } from './http/app.js';
import { saltConfigValues } from './http/salt/salt-wheel.js';
import { httpsOptions, loadApiTls } from './http/api-tls.js';
import { apiServesTls } from './config.js';
import { Metrics } from './http/shared/metrics.js';
import { watchProcess } from './http/shared/process-figures.js';
import { KeyStore } from './keys/key-store.js';
import { loadOrCreateMasterIdentity } from './keys/master-identity.js';
import { EnrollmentTokens } from './keys/enrollment.js';
import { keyAdmission } from './keys/admit-key.js';
import { keyChangeEffects } from './keys/key-change.js';
import { memoryAuditTrail } from './audit/audit-trail.js';
import { pgAuditTrail } from './store/pg-audit-trail.js';
import { PendingKeyLimiter } from './keys/pending-limiter.js';
import { MinionCache } from './store/minion-cache.js';
import { createMasterExtend } from './files/extend-setup.js';
import { RunnerHost } from './runners/runner-host.js';
import { AckCoalescer } from './transport/ack-coalescer.js';
import { createAckPiggyback } from './transport/ack-piggyback.js';
import { returnGate } from './core/return-gate.js';
import { openStores } from './store/open-stores.js';
import { withWriteFaults } from './store/fault-store.js';
import { purgeOldJobs } from './store/purge-jobs.js';
import { purgeOldAudit } from './audit/purge-audit.js';
import { shareWithMasters } from './store/share-with-masters.js';
import { routeAcrossMasters } from './routing/route-across-masters.js';
import { Admission } from './transport/admission.js';
import { startMinionServer } from './transport/ws-server.js';
import { dispatchMinionFrame } from './transport/dispatch.js';
import { frameIntake } from './transport/frame-intake.js';
import { sessionEffects } from './transport/session-effects.js';
import { idleCollector } from './idle-gc.js';
import { apiUrlOf, writeEndpointFiles } from './endpoint-files.js';
import { ensurePrivateDir, type PrivatePath } from './private-dir.js';
import { createMasterPillar } from './pillar/pillar-setup.js';
import { pushPillar } from './pillar/pillar-delivery.js';
import { FaultPoint, faultsFromEnv, type Faults } from './faults.js';
import { ConfigError } from './errors.js';
import { checkReactorFiles } from './reactor/check-reactor.js';
import { createAutomation } from './reactor/automation.js';
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
    onChange: keyChangeEffects({ bus, registry, cache }),
  });
  const enrollment = new EnrollmentTokens(stores.enrollment ?? join(pkiDir, 'enroll_tokens.json'));
  rememberKnownMinions(registry, cache.load(), new Set(keys.list('accepted').map((k) => k.id)));

  // With a shared PostgreSQL: other masters' key changes and events, minion sessions under a
  // lease, and a recovery pass that leaves other live masters' jobs alone (docs/scale.md).
  const sharing = stores.db
    ? shareWithMasters({ url: config.store, db: stores.db, keys, bus, leaseMs: config.heartbeat_ms * 3, now, log })
    : undefined;
  const store = withWriteFaults(sharing ? sharing.guard(stores.jobs) : stores.jobs, faults);
  // The audit log beside its log lines: every master's in one table when shared, else recent ones in memory.
  const auditTrail =
    sharing && stores.db
      ? pgAuditTrail({
          db: stores.db,
          writer: sharing.writer,
          masterId: sharing.masterId,
          log: log.child({ component: 'audit' }),
        })
      : memoryAuditTrail();
  const metrics = new Metrics();
  const processWatch = watchProcess();
  metrics.process = processWatch.figures;
  const router = new FrameRouter();
  // Several masters as one system: jobs reach minions held elsewhere, and outlive their master.
  const routing =
    sharing &&
    stores.db &&
    routeAcrossMasters(
      { ...sharing, url: config.store, db: stores.db, leaseMs: config.heartbeat_ms * 3 },
      { registry, router },
      now,
      log,
    );
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
  const minionIngest = routing ? routing.ordered(ingest) : ingest;
  const newJid = createJidGenerator();
  // Acks still waiting for a minion ride along with the next job sent to it, in the same write.
  const piggyback = createAckPiggyback({
    takeAcks: (id) => acks.take(id),
    onPublish: () => faults.hit(FaultPoint.publish),
  });
  const manager = new JobManager({
    registry: routing ? routing.fleet : registry,
    router: routing ? routing.jobRouter : router,
    bus,
    store: routing ? routing.guard(store) : store,
    ...(routing ? { ownership: routing.ownership } : {}),
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

  // Extensions (issue #21): compiled into their own root, served under _compiled/.
  const extend = createMasterExtend({
    fileRoots: config.file_roots,
    stateDir: config.state_dir,
    privateKey: identity.privateKey,
    now,
  });
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
  manager.recoverUnfinished(config.restart_recovery_ms);
  routing?.start({
    manager,
    store,
    // A pillar target (`I@`) published here matches minions other masters hold too.
    ...(masterPillar.configured ? { learned: (ids: string[]) => void masterPillar.service.prime(ids) } : {}),
  });
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
      admitKey: keyAdmission({
        keys,
        enrollment,
        now,
        enrolled: (minionId) => log.info({ minionId }, 'minion enrolled with a one-time token'),
      }),
      onFrame: frameIntake({
        acceptScheduled: (minionId, frame) => scheduledReturns.accept(minionId, frame),
        ack: (minionId, items) => acks.add(minionId, items),
        admitReturn: returnGate({
          attemptPublished: (jid, attempt) => manager.attemptPublished(jid, attempt),
          ack: (id, items) => acks.add(id, items),
          dropped: (minionId, jid, attempt) =>
            log.warn({ minionId, jid, attempt }, 'return for an attempt never published; dropped'),
        }),
        returning: () => faults.hit(FaultPoint.ingest),
        scheduledFailed: (minionId, err) =>
          log.error({ minionId, err: (err as Error).message }, 'scheduled return not stored; stays in the outbox'),
        dispatch: (link, frame) =>
          dispatchMinionFrame(link, frame, {
            router: routing ? routing.minionRouter : router,
            ingest: minionIngest,
            bus,
            registry,
            cache,
            files: extend.files,
            extendListing: extend.listing,
            pillar: pillarDelivery,
            mine: masterPillar.mine,
            now,
            events: minionEvents,
            eventsDropped: (minionId, count) =>
              log.warn({ minionId, count }, 'minion events over the rate limit dropped'),
          }),
      }),
      ...sessionEffects({
        piggyback,
        registry,
        remember: (id, grains) => cache.save(id, grains, now()),
        ...(masterPillar.configured ? { pushPillar: (link) => void pushPillar(link, pillarDelivery) } : {}),
        forgetEvents: (id) => minionEvents.forget(id),
        bus,
      }),
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
  // Salt's master id is `<host>_master`; orchestrate results and the job cache use it.
  const orchestrateServices = {
    fileRoots: config.file_roots,
    newJid: () => newJid(now()),
    masterId: `${hostname()}_master`,
  };
  // One host of `_runners/` for the API and the reactor's orchestrations (issues #19, #21).
  const runners = new RunnerHost({
    compiler: extend.compiler,
    outDir: extend.outDir,
    log: log.child({ component: 'runners' }),
  });
  const automation = createAutomation({
    config,
    start: { manager, registry, audit: log.child({ component: 'api' }), trail: auditTrail, now },
    acl: auth.acl,
    bus,
    keys,
    drift: metrics,
    orchestrate: { run: { store, bus, now, services: orchestrateServices }, manager },
    runners,
    scheduler: asyncScheduler,
    random: Math.random,
    log: log.child({ component: 'automation' }),
  });
  const api = buildApi(
    {
      manager,
      registry,
      store,
      keys,
      enrollment,
      auditTrail,
      bus,
      metrics,
      log: log.child({ component: 'api' }),
      now,
      ...auth,
      corsOrigins: config.api.cors_origins,
      pillar: masterPillar.service,
      configValues: saltConfigValues(config),
      schedule: automation.schedule,
      runners,
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
  const apiUrl = apiUrlOf(config.api.host, apiPort, apiTls !== undefined);
  writeEndpointFiles(stateDir, {
    apiUrl,
    adminToken,
    ...(apiTls ? { apiFingerprint: apiTls.fingerprint } : {}),
    minionPort: minionServer.port,
    tls: !config.insecure_plain_ws,
    fingerprint: identity.fingerprint,
  });
  log.info({ url: apiUrl, ...(apiTls ? { tlsFingerprint: apiTls.fingerprint } : {}) }, 'REST API listening');

  const stopPurge = purgeOldJobs({ store, keepMs: config.keep_jobs_hours * 3_600_000, now, log });
  const stopAuditPurge = purgeOldAudit({ trail: auditTrail, keepMs: config.audit_keep_days * 86_400_000, now, log });

  automation.start();

  let stopped: Promise<void> | undefined;
  return {
    minionPort: minionServer.port,
    apiPort,
    apiUrl,
    fingerprint: identity.fingerprint,
    stop: () =>
      (stopped ??= (async () => {
        log.info('stopping');
        automation.stop();
        stopPurge();
        stopAuditPurge();
        processWatch.stop();
        await api.close();
        // Beside other masters, its jobs are left to them (taken over) rather than cancelled.
        if (routing) manager.leaveAll();
        else manager.cancelAll();
        ingest.close();
        acks.flush();
        await minionServer.close();
        await keys.flush();
        registry.close('shutdown');
        jobsDone.unsubscribe();
        collector.stop();
        bus.close();
        cache.flushSync();
        masterPillar.flush();
        routing?.stop();
        await auditTrail.close();
        sharing?.stop();
        store.close();
        log.info('stopped');
      })()),
  };
}
