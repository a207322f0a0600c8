import { join } from 'node:path';
import type { MasterConfig } from '../config.js';
import { Accounts } from './accounts.js';
import { Acl } from './acl.js';
import { ADMIN_USER } from './auth.js';
import { hookRoutes, hookTable } from './hooks.js';
import { LoginLimiter } from './login-limiter.js';
import type { ApiServices, RouteFactory } from './route.js';
import { auditRoutes } from './routes-audit.js';
import { authRoutes } from './routes-auth.js';
import { consoleRoutes } from './routes-console.js';
import { eventRoutes } from './routes-events.js';
import { jobRoutes } from './routes-jobs.js';
import { minionRoutes } from './routes-minions.js';
import { miscRoutes } from './routes-misc.js';
import { runnerRoutes } from './routes-runners.js';
import { saltApiRoutes } from './routes-salt-api.js';
import { TokenKind, TokenStore, type SharedTokenRecords } from './tokens.js';

/** Every route group the master serves: native `/api/v1`, hooks, ops, and salt-api at the root. */
export const API_ROUTES: readonly RouteFactory[] = [
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
