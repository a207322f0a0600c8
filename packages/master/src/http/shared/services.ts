import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { BusEvent, EventBus } from '../../core/event-bus.js';
import type { JobManager } from '../../core/job-manager.js';
import type { JobStore } from '../../core/job-store.js';
import type { MinionRegistry } from '../../core/registry.js';
import type { EnrollmentTokens } from '../../keys/enrollment.js';
import type { AuditTrail } from '../../audit/audit-trail.js';
import type { KeyStore } from '../../keys/key-store.js';
import type { PillarService } from '../../pillar/pillar-service.js';
import type { RunnerLookup } from '../../runners/runner-host.js';
import type { AuthServices } from '../auth/auth.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { Metrics } from './metrics.js';

/**
 * The master's services as the API reads them; main.ts (or a test fixture) makes them. Route
 * factories and helpers take the `Pick<>` of it they use. The services that route files define
 * themselves (hooks, schedule, orchestrate) are added in `api.ts`'s `ApiServices`, so no file here
 * imports a route file back.
 */
export interface MasterServices extends AuthServices {
  manager: JobManager;
  registry: MinionRegistry;
  store: JobStore;
  keys: KeyStore;
  /** One-time enrollment tokens (`brine-key --gen-token`). */
  enrollment: EnrollmentTokens;
  /** Where each request's audit entry is kept beside its log line, for `GET /api/v1/audit`. @default none */
  auditTrail?: AuditTrail;
  bus: EventBus;
  metrics: Metrics;
  log: Logger;
  now(): number;
  /** Lifetime of a login token. */
  sessionTtlMs: number;
  /** Longest lifetime an API token may be made with. */
  maxTokenTtlMs: number;
  /** Origins allowed to call the API from a browser (`api.cors_origins`). @default [] */
  corsOrigins?: readonly string[];
  /** The pillar cache, for `cache.clear_pillar`. @default none: the runner clears nothing */
  pillar?: Pick<PillarService, 'clear'>;
  /** The master config as wheel `config.values` shows it, secrets removed. @default {} */
  configValues?: Readonly<Record<string, unknown>>;
  /** Rate limits and bounded concurrency for password logins. */
  loginLimiter: LoginLimiter;
  /** Custom runners from `_runners/` (issue #21). @default none */
  runners?: RunnerLookup;
  /** The built web console served at `/ui/` (`packages/master/ui`); absent: `/ui/` answers 404. */
  consoleDir?: string;
  /**
   * Other masters' events matching the globs, for the event views beside this master's bus
   * (several masters on one database, docs/scale.md). @default none
   */
  clusterEvents$?: (globs: readonly string[]) => Observable<BusEvent>;
}
