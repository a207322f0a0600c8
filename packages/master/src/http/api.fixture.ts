import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { RunnerFunctionSpec } from '@brine/extend';
import { z } from 'zod';
import { createJidGenerator, ErrorCode, type JobSpec } from '@brine/protocol';
import pino from 'pino';
import { asyncScheduler } from 'rxjs';
import { authConfigShape } from '../config-auth.js';
import { EventBus } from '../core/event-bus.js';
import { FrameRouter } from '../core/frame-router.js';
import { JobManager } from '../core/job-manager.js';
import type { MinionLink } from '../core/minion-link.js';
import { MinionRegistry } from '../core/registry.js';
import { KeyStore } from '../keys/key-store.js';
import { EnrollmentTokens } from '../keys/enrollment.js';
import { memoryAuditTrail } from '../audit/audit-trail.js';
import { openMemoryJobStore } from '../store/memory-job-store.js';
import { Accounts, hashPassword } from './auth/accounts.js';
import { Acl } from './auth/acl.js';
import { API_ROUTES } from './api.js';
import { buildApi } from './app.js';
import { ADMIN_USER } from './auth/auth.js';
import { hookTable } from './native/hooks.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { Metrics } from './shared/metrics.js';
import type { ApiServices } from './api.js';
import { TokenKind, TokenStore } from './auth/tokens.js';

/** What a fake minion answers for a function: a return, or `silent` for a job that never ends. */
export type FakeAnswer = { ret: unknown; retcode?: number } | 'silent';

/**
 * The fake minions' functions: test.ping, test.echo, test.arg, test.fail, test.sleep (silent),
 * grains.items, sys.doc; nosuch.fun answers as a minion without the function does.
 */
export function fakeAnswer(spec: JobSpec, grains: Record<string, unknown>): FakeAnswer {
  switch (spec.fun) {
    case 'test.ping':
      return { ret: true };
    case 'test.echo':
      return { ret: spec.args[0] ?? '' };
    case 'test.arg':
      return { ret: { args: spec.args, kwargs: spec.kwargs } };
    case 'test.fail':
      return { ret: 'boom', retcode: 1 };
    case 'test.sleep':
      return 'silent';
    case 'grains.items':
      return { ret: grains };
    case 'nosuch.fun':
      return { ret: { code: ErrorCode.FUNCTION_UNKNOWN, message: "'nosuch.fun' is not available" }, retcode: 254 };
    case 'sys.doc':
      return { ret: { [`${String(grains['id'] ?? 'x')}.fn`]: 'Docs.', 'test.ping': 'Pong.' } };
    default:
      return { ret: { fun: spec.fun } };
  }
}

/** Options of {@link apiFixture}: config sections (as YAML would give them) and minions. */
export interface FixtureOptions {
  /** Minion ids (connected) with grains. */
  minions?: Record<string, Record<string, unknown>>;
  /** `users:` with plain passwords; hashed here with a cheap cost. */
  users?: Record<string, { password?: string; groups?: string[]; disabled?: boolean }>;
  acl?: unknown;
  hooks?: unknown;
  /** Minion keys to add, by state. */
  keys?: Record<string, 'accepted' | 'pending' | 'rejected'>;
  /** `api.cors_origins`. */
  corsOrigins?: string[];
}

/** An in-process API on real core objects with fake minions; `clock` moves token time (`at` freezes it). */
export interface ApiFixture {
  app: FastifyInstance;
  s: ApiServices;
  adminToken: string;
  /** Audit and other log lines, parsed. */
  logs: Record<string, unknown>[];
  clock: { skewMs: number; at?: number | undefined };
  /** Every job frame sent to a fake minion. */
  published: JobSpec[];
  /** Issues an API token for a configured user. */
  tokenFor(user: string, ttlMs?: number): string;
  close(): Promise<void>;
}

/** Builds the API the master serves, with an in-memory job store, fake minions and captured logs. */
export async function apiFixture(options: FixtureOptions = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'brine-api-'));
  const clock: ApiFixture['clock'] = { skewMs: 0 };
  const now = () => clock.at ?? Date.now() + clock.skewMs;
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(JSON.parse(String(c))), cb()) }));
  const users: Record<string, unknown> = {};
  for (const [name, u] of Object.entries(options.users ?? {}))
    users[name] = {
      groups: u.groups ?? [],
      disabled: u.disabled ?? false,
      ...(u.password === undefined ? {} : { password_hash: await hashPassword(u.password, { ln: 4, r: 8, p: 1 }) }),
    };
  const auth = {
    users: authConfigShape.users.parse(users),
    acl: authConfigShape.acl.parse(options.acl ?? {}),
    hooks: authConfigShape.hooks.parse(options.hooks ?? {}),
  };
  const bus = new EventBus(now);
  const registry = new MinionRegistry(Date.now);
  const router = new FrameRouter();
  const store = openMemoryJobStore();
  const published: JobSpec[] = [];
  const newJid = createJidGenerator();
  const manager = new JobManager({
    registry,
    router,
    bus,
    store,
    scheduler: asyncScheduler,
    now: Date.now,
    newJid: () => newJid(Date.now()),
    publishFrame: (spec) => () => new TextEncoder().encode(JSON.stringify(spec)),
    cancelFrame: (jid) => new TextEncoder().encode(JSON.stringify({ cancel: jid })),
    masterFingerprint: 'fixture',
    targetOptions: {},
    ackTimeoutMs: 2000,
    graceMs: 100,
  });
  for (const [id, grains] of Object.entries(options.minions ?? {}))
    registry.attach(fakeLink(id, grains), grains, '127.0.0.1');
  function fakeLink(id: string, grains: Record<string, unknown>): MinionLink {
    return {
      id,
      close: () => {},
      send: (bytes) => {
        const spec = JSON.parse(new TextDecoder().decode(bytes)) as JobSpec & { cancel?: string };
        if (spec.cancel !== undefined) return true;
        published.push(spec);
        setImmediate(() => {
          router.route({ kind: 'ack', minionId: id, jid: spec.jid, attempt: spec.attempt, state: 'started' });
          const answer = fakeAnswer(spec, grains);
          if (answer === 'silent') return;
          const retcode = answer.retcode ?? 0;
          const result = {
            jid: spec.jid,
            id,
            outcome: 'returned' as const,
            ret: answer.ret,
            retcode,
            success: retcode === 0,
            durationMs: 1,
          };
          store.writeResults([result]);
          router.route({
            kind: 'return',
            minionId: id,
            jid: spec.jid,
            attempt: spec.attempt,
            outcome: 'returned',
            ret: answer.ret,
            retcode,
            success: retcode === 0,
            durationMs: 1,
          });
        });
        return true;
      },
    };
  }
  const keys = new KeyStore(join(dir, 'pki'));
  const enrollment = new EnrollmentTokens(join(dir, 'pki', 'enroll_tokens.json'));
  for (const [id, state] of Object.entries(options.keys ?? {})) {
    keys.admit(id, Buffer.from(id.padEnd(32, '.')), {});
    if (state === 'accepted') keys.accept(id);
    if (state === 'rejected') keys.reject(id);
  }
  const tokens = new TokenStore({ file: join(dir, 'tokens.json'), now });
  // A stand-in for the built console (scripts/build-console.mjs), so `/ui/` serves files here.
  mkdirSync(join(dir, 'ui', 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'ui', 'index.html'),
    '<!doctype html><script type="module" src="/ui/assets/app.js"></script>',
  );
  writeFileSync(join(dir, 'ui', 'assets', 'app.js'), 'export {};\n');
  const s: ApiServices = {
    manager,
    registry,
    store,
    keys,
    enrollment,
    auditTrail: memoryAuditTrail(),
    bus,
    metrics: new Metrics(),
    log,
    now,
    tokens,
    accounts: new Accounts(auth.users),
    acl: new Acl(auth.acl),
    hooks: hookTable(auth.hooks),
    sessionTtlMs: 3_600_000,
    maxTokenTtlMs: 30 * 86_400_000,
    corsOrigins: options.corsOrigins ?? [],
    configValues: { interface: '0.0.0.0', port: 4506, nodegroups: {} },
    loginLimiter: new LoginLimiter({ now }),
    runners: { find: async (fun) => (fun === 'demo.echo' ? DEMO_RUNNER : undefined) },
    consoleDir: join(dir, 'ui'),
  };
  const app = buildApi(s, API_ROUTES);
  await app.ready();
  const adminToken = tokens.issue({ user: ADMIN_USER, kind: TokenKind.admin, ttlMs: Number.POSITIVE_INFINITY }).token;
  return {
    app,
    s,
    adminToken,
    logs,
    clock,
    published,
    tokenFor: (user, ttlMs = 3_600_000) => tokens.issue({ user, kind: TokenKind.api, ttlMs }).token,
    close: async () => {
      manager.cancelAll();
      await app.close();
      bus.close();
      registry.close('test');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The one custom runner of the fixture, `demo.echo`: returns its text and the caller. */
const DEMO_RUNNER: RunnerFunctionSpec = {
  doc: 'Returns its text and the calling user.',
  params: ['text'],
  schema: z.object({ text: z.string().default('') }),
  run: async (input, ctx) => ({ text: (input as { text: string }).text, user: ctx.user }),
};
