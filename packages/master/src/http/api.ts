import { join } from 'node:path';
import type { MasterConfig } from '../config.js';
import { Accounts } from './auth/accounts.js';
import { Acl } from './auth/acl.js';
import { ADMIN_USER } from './auth/auth.js';
import { hookRoutes, hookTable, type HookTable } from './native/hooks.js';
import { LoginLimiter } from './auth/login-limiter.js';
import type { RouteFactory } from './shared/route.js';
import type { MasterServices } from './shared/services.js';
import type { OrchestrateServices, ScheduleControl } from './salt/salt-function.js';
import { auditRoutes } from './native/routes-audit.js';
import { authRoutes } from './auth/routes-auth.js';
import { consoleRoutes } from './console/routes-console.js';
import { eventRoutes } from './native/routes-events.js';
import { jobRoutes } from './native/routes-jobs.js';
import { minionRoutes } from './native/routes-minions.js';
import { miscRoutes } from './native/routes-misc.js';
import { runnerRoutes } from './native/routes-runners.js';
import { saltApiRoutes } from './salt/routes-salt-api.js';
import { TokenKind, TokenStore, type SharedTokenRecords } from './auth/tokens.js';

/** What the API is built on: the master's services, and those that route files define. */
export interface ApiServices extends MasterServices {
  hooks: HookTable;
  /** The master scheduler, for the `schedule.*` runners; absent, they answer 503. */
  schedule?: ScheduleControl;
  /** File roots, jids and the master id for `state.orchestrate`; absent, it answers 503. @default none */
  orchestrate?: OrchestrateServices;
}

/** Every route group the master serves: native `/api/v1`, hooks, ops, and salt-api at the root. */
export const API_ROUTES: readonly RouteFactory<ApiServices>[] = [
  jobRoutes,
  minionRoutes,
  eventRoutes,
  authRoutes,
  hookRoutes,
  miscRoutes,
  saltApiRoutes,
  runnerRoutes,
  consoleRoutes,
  auditRoutes,
];

/** The auth part of {@link ApiServices}, from the config. */
export type AuthSetup = Pick<
  ApiServices,
  'accounts' | 'acl' | 'tokens' | 'hooks' | 'sessionTtlMs' | 'maxTokenTtlMs' | 'loginLimiter'
> & {
  /** The local admin credential for `<state_dir>/cli.json`: full access, valid until the master stops. */
  adminToken: string;
};

/**
 * Builds accounts, the compiled ACL, the token store (`<state_dir>/tokens.json`, hashed) and the
 * hook table from a validated config, and mints the admin token. Throws AuthConfigError for an
 * ACL that does not compile and TokenFileError for an unreadable token file.
 */
export function authFromConfig(config: MasterConfig, now: () => number, shared?: SharedTokenRecords): AuthSetup {
  const tokens = new TokenStore({ file: join(config.state_dir, 'tokens.json'), now, ...(shared ? { shared } : {}) });
  const { token: adminToken } = tokens.issue({
    user: ADMIN_USER,
    kind: TokenKind.admin,
    ttlMs: Number.POSITIVE_INFINITY,
  });
  return {
    accounts: new Accounts(config.users),
    acl: new Acl(config.acl, { nodegroups: config.nodegroups }),
    tokens,
    hooks: hookTable(config.hooks, { maxAgeMs: config.api.hook_max_age_s * 1000, now }),
    sessionTtlMs: config.api.token_expire_s * 1000,
    maxTokenTtlMs: config.api.max_token_ttl_s * 1000,
    loginLimiter: new LoginLimiter({
      freeFailuresPerAddress: config.api.login_failures_per_address,
      freeFailuresPerUser: config.api.login_failures_per_user,
      maxBackoffMs: config.api.login_backoff_max_s * 1000,
      maxConcurrent: config.api.login_max_concurrent,
      maxQueued: config.api.login_max_queued,
      maxPerAddress: config.api.login_max_per_address,
      now,
    }),
    adminToken,
  };
}
