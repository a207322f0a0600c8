import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PillarService } from '../pillar/pillar-service.js';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Observable } from 'rxjs';
import type { BusEvent, EventBus } from '../core/event-bus.js';
import type { JobManager } from '../core/job-manager.js';
import type { JobStore } from '../core/job-store.js';
import type { MinionRegistry } from '../core/registry.js';
import type { KeyStore } from '../keys/key-store.js';
import type { AuthServices, PermissionValue, Principal } from './auth.js';
import type { HookTable } from './hooks.js';
import type { Metrics } from './metrics.js';
import type { ScheduleControl } from './salt-schedule.js';
import type { EnrollmentTokens } from '../keys/enrollment.js';
import type { LoginLimiter } from './login-limiter.js';
import type { RunnerLookup } from '../runners/runner-host.js';
import type { OrchestrateServices } from '../orchestrate/run-orchestration.js';

/** What the API serves; built by main.ts (or a test fixture). */
export interface ApiServices extends AuthServices {
  manager: JobManager;
  registry: MinionRegistry;
  store: JobStore;
  keys: KeyStore;
  /** One-time enrollment tokens (`brine-key --gen-token`). */
  enrollment: EnrollmentTokens;
  bus: EventBus;
  hooks: HookTable;
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
  /** The master scheduler, for the `schedule.*` runners; absent, they answer 503. */
  schedule?: ScheduleControl;
  /** Custom runners from `_runners/` (issue #21). @default none */
  runners?: RunnerLookup;
  /** File roots, jids and the master id for `state.orchestrate`; absent, it answers 503. @default none */
  orchestrate?: OrchestrateServices;
  /** The built web console served at `/ui/` (`packages/master/ui`); absent: `/ui/` answers 404. */
  consoleDir?: string;
  /**
   * Other masters' events matching the globs, for the event views beside this master's bus
   * (several masters on one database, docs/scale.md). @default none
   */
  clusterEvents$?: (globs: readonly string[]) => Observable<BusEvent>;
}

/** What a handler receives: the request, its principal, and its validated parts. */
export interface RouteContext<B = unknown, Q = unknown, P = unknown> {
  req: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  body: B;
  query: Q;
  params: P;
}

/** Which API a route belongs to: the OpenAPI document groups routes by it. */
export type RouteTag = 'jobs' | 'minions' | 'keys' | 'events' | 'auth' | 'hooks' | 'ops' | 'salt-api' | 'console';

/** A route with typed schemas, as route files write it; {@link route} erases the types. */
export interface RouteDef<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  permission: PermissionValue;
  /** One line for the OpenAPI document. */
  summary: string;
  tag: RouteTag;
  body?: B;
  query?: Q;
  params?: P;
  /** Status of a success. @default 200 */
  status?: number;
  /** Content type of a success, when not JSON (streams, metrics), or `websocket` for an upgrade. */
  produces?: string;
  /** Also read the token from `?token=` (EventSource cannot set headers). @default false */
  queryToken?: boolean;
  /** Also read the token from the `:token` path parameter (salt-api's `/ws/<token>`). @default false */
  pathToken?: boolean;
  handler(ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>): Promise<unknown>;
}

/** One registered route, as the router, the OpenAPI document and the auth-matrix test see it. */
export type RouteSpec = Omit<RouteDef<z.ZodType, z.ZodType, z.ZodType>, 'handler'> & {
  handler(ctx: RouteContext): Promise<unknown>;
};

/** Declares a route, checking its handler against its schemas. */
export function route<
  B extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  P extends z.ZodType = z.ZodUnknown,
>(def: RouteDef<B, Q, P>): RouteSpec {
  return def as unknown as RouteSpec;
}

/** Makes a group of routes from the services. */
export type RouteFactory = (s: ApiServices) => RouteSpec[];
