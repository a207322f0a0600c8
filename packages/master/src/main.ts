/**
 * The master's composition root. Lifecycle:
 * 1. take a validated config (bin/brine-master.ts reads the YAML file and flags)
 * 2. load or make the master's keys and TLS certificate; refuse keys readable by others
 * 3. open the stores (SQLite and files, or a shared PostgreSQL), the key store and the minion cache
 * 4. build the core: registry, event bus, frame router, return ingest, job manager
 * 5. listen for minions (WebSocket over TLS)
 * 6. serve the REST API (HTTPS unless on loopback) and write the local admin credential for the CLI
 * 7. purge old jobs on a timer
 * 8. on stop: refuse new work, flush the ingest, close sockets, close the store
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { asyncScheduler } from 'rxjs';
import { createJidGenerator, encodeFrame, globMatch, publishFrames, signJob, type JobSummary } from '@brine/protocol';
import type { MasterConfig } from './config.js';
import { EventBus } from './core/event-bus.js';
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
import { MinionCache } from './store/minion-cache.js';
import { FileServer } from './files/file-server.js';
import { AckCoalescer } from './transport/ack-coalescer.js';
import { openStores } from './store/open-stores.js';
import { shareWithMasters } from './store/share-with-masters.js';
import { Admission } from './transport/admission.js';
import { startMinionServer } from './transport/ws-server.js';
import { dispatchMinionFrame } from './transport/dispatch.js';
import { idleCollector } from './idle-gc.js';
import { FaultPoint, faultsFromEnv, type Faults } from './faults.js';
import type { JobStore } from './core/job-store.js';
import type { MinionLink } from './core/minion-link.js';

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
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const pkiDir = join(stateDir, 'pki');
  const identity = await loadOrCreateMasterIdentity(pkiDir, ['localhost', '127.0.0.1', ...config.tls_names]);
  log.info({ fingerprint: identity.fingerprint }, 'master key loaded');

  const bus = new EventBus(now);
  const registry = new MinionRegistry(now);
  const cache = new MinionCache(join(stateDir, 'minions'));
  const stores = openStores(config.store, stateDir);
  const keys = new KeyStore(stores.keys ?? pkiDir, {
    autosign: { ids: config.autosign.ids, grains: config.autosign.grains },
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
  const publishFrameSet = new WeakSet<Uint8Array>();
  // The registry holds the fault-counting wrapper of each link; closes arrive with the plain one.
  const wrapped = new WeakMap<MinionLink, MinionLink>();
  const manager = new JobManager({
    registry,
    router,
    bus,
    store,
    scheduler: asyncScheduler,
    now,
    newJid: () => newJid(now()),
    publishFrame: (spec, audience) => {
      const forMinion = publishFrames(signJob(identity.privateKey, spec), audience);
      return (id) => {
        const bytes = forMinion(id);
        if (bytes) publishFrameSet.add(bytes);
        return bytes;
      };
    },
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

  const files = new FileServer(config.file_roots);
  manager.recoverUnfinished(config.restart_recovery_ms);
  const minionServer = await startMinionServer({
    host: config.interface,
    port: config.port,
    ...(config.insecure_plain_ws ? {} : { tls: identity.tls }),
    maxHandshaking: config.max_handshaking,
    maxConnectQueue: config.max_connect_queue,
    connectQueueWaitMs: config.connect_queue_wait_ms,
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
      admitKey: (id, pub, grains, enrollToken) => {
        // A token is spent only on an id the master has never seen.
        const enrolled =
          enrollToken !== undefined &&
          keys.state(id) === undefined &&
          enrollment.consume(enrollToken, id, now(), globMatch);
        if (enrolled) log.info({ minionId: id }, 'minion enrolled with a one-time token');
        return keys.admit(id, pub, grains, enrolled);
      },
      onAuthenticated: (plainLink, hello, auth, address) => {
        const link: MinionLink = {
          id: plainLink.id,
          close: (reason) => plainLink.close(reason),
          send: (bytes) => {
            if (!publishFrameSet.has(bytes)) return plainLink.send(bytes);
            faults.hit(FaultPoint.publish);
            // Acks still waiting for this minion ride along with the job, in the same write.
            const ack = acks.take(plainLink.id);
            return ack ? plainLink.sendPair(ack, bytes) : plainLink.send(bytes);
          },
        };
        wrapped.set(plainLink, link);
        registry.attach(link, auth.grains, address);
        cache.save(link.id, auth.grains, now());
        bus.publish(`brine/minion/${link.id}/connected`, {
          id: link.id,
          address,
          running: auth.running,
          version: hello.version,
        });
      },
      onFrame: (link, frame) => {
        if (frame.type === 'job.return' && !manager.attemptPublished(frame.jid, frame.attempt)) {
          log.warn(
            { minionId: link.id, jid: frame.jid, attempt: frame.attempt },
            'return for an attempt never published; dropped',
          );
          acks.add(link.id, [[frame.jid, frame.attempt]]);
          return;
        }
        if (frame.type === 'job.return') faults.hit(FaultPoint.ingest);
        dispatchMinionFrame(link, frame, { router, ingest, bus, registry, cache, files, now });
      },
      onClosed: (link) => {
        registry.detach(wrapped.get(link) ?? link);
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
      configValues: saltConfigValues(config),
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

  let stopped: Promise<void> | undefined;
  return {
    minionPort: minionServer.port,
    apiPort,
    apiUrl,
    fingerprint: identity.fingerprint,
    stop: () =>
      (stopped ??= (async () => {
        log.info('stopping');
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
