import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { apiAuthShape, authConfigShape } from './config-auth.js';
import { automationConfigShape } from './config-automation.js';
import { ConfigError } from './errors.js';

const nodegroup = z.union([z.string(), z.array(z.string())]);

/** The master's configuration: every option with its default. See docs/config-master.md. */
export const masterConfigSchema = z
  .object({
    /** Address the minion listener binds. */
    interface: z.string().default('0.0.0.0'),
    /** Minion listener port. */
    port: z.number().int().min(0).max(65535).default(4506),
    api: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(4507),
        /** Browser origins allowed to call the API cross-origin (CORS); `*` allows any. None by default. */
        cors_origins: z.array(z.string().max(512)).default([]),
        /**
         * HTTPS on the REST API: on by default unless `host` is loopback. Without `cert` and
         * `key` (PEM files) the API serves the master's own self-signed certificate, whose
         * fingerprint goes to the log, endpoints.json and cli.json for clients to pin.
         */
        tls: z
          .object({ enabled: z.boolean().optional(), cert: z.string().optional(), key: z.string().optional() })
          .strict()
          .refine((t) => (t.cert === undefined) === (t.key === undefined), 'api.tls.cert and api.tls.key go together')
          .prefault({}),
        /** Serve plain HTTP on a non-loopback address (behind a TLS proxy, say). */
        allow_plain_http: z.boolean().default(false),
        ...apiAuthShape,
      })
      .prefault({}),
    /** Keys, job cache and local credentials live here. */
    state_dir: z.string().default('/var/lib/brine/master'),
    /**
     * The job cache: `sqlite` (a file in state_dir, nothing to install) or a `postgres://` URL,
     * a database that several masters share (docs/scale.md).
     */
    store: z
      .string()
      .refine((s) => s === 'sqlite' || /^postgres(ql)?:\/\//.test(s), 'store is `sqlite` or a postgres:// URL')
      .default('sqlite'),
    /** TLS on the minion port. Off only with `insecure_plain_ws: true` on a loopback interface. */
    insecure_plain_ws: z.boolean().default(false),
    /** Extra names and addresses for the master's TLS certificate. */
    tls_names: z.array(z.string()).default([]),
    heartbeat_ms: z.number().int().positive().default(15_000),
    auth_timeout_ms: z.number().int().positive().default(10_000),
    ack_timeout_ms: z.number().int().positive().default(10_000),
    /** Longest a return waits to be written with others in one job-cache transaction (one fsync). */
    ingest_batch_ms: z.number().int().min(1).max(1000).default(10),
    /**
     * Acks of stored returns are gathered per minion for at most this long and sent as one frame;
     * a job published to the minion sooner takes them along in its own write.
     */
    ret_ack_delay_ms: z.number().int().min(0).max(10_000).default(5000),
    /** After a job to at least 1,000 minions, a full GC once no job has run for this long (0: never). */
    idle_gc_ms: z.number().int().min(0).default(500),
    /** After a restart, wait this long for minions to deliver returns of unfinished jobs before marking the rest interrupted. */
    restart_recovery_ms: z.number().int().nonnegative().default(60_000),
    /** Wait after a job's timeout for the minion's own timed-out return. */
    job_grace_ms: z.number().int().nonnegative().default(2_000),
    max_frame_bytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** A minion whose unsent bytes exceed this is cut off as a slow reader. */
    max_buffered_bytes: z
      .number()
      .int()
      .min(65536)
      .default(8 * 1024 * 1024),
    /** Handshakes admitted per second, with bursts of `handshake_burst`. */
    handshake_rate: z.number().positive().default(3000),
    handshake_burst: z.number().int().positive().default(1000),
    max_authenticating: z.number().int().positive().default(2000),
    /** Connections in the TLS and Brine handshakes at once; later ones wait at accept, before TLS. */
    max_handshaking: z.number().int().positive().default(500),
    /** Handshake slots (of `max_handshaking`) one source address may hold at once (issue 13 finding 4). */
    max_handshaking_per_address: z.number().int().positive().default(250),
    /** Connections from one source address between accept and authentication, waiting included; the excess is reset. */
    max_preauth_per_address: z.number().int().positive().default(2500),
    /** A connection must authenticate within this of getting its handshake slot (TLS, upgrade, Brine handshake), or it is reset. */
    handshake_timeout_ms: z.number().int().positive().default(10_000),
    /** Connections allowed to wait at accept; the excess is reset (the minion backs off and retries). */
    max_connect_queue: z.number().int().min(0).default(20_000),
    /**
     * A connection that waited at accept longer than this is reset instead of started; below the
     * minion's 60 s of patience with a master that accepted it (issue #15). Past a third of it,
     * the newest waiting connections start first.
     */
    connect_queue_wait_ms: z.number().int().positive().default(45_000),
    /** Retry delay told to pending and refused minions, in ms (jittered). */
    pending_retry_ms: z.number().int().positive().default(10_000),
    /** Pending keys at most; a new id beyond it is not recorded and told to retry (issue 13 finding 6). */
    max_pending_keys: z.number().int().min(0).default(1000),
    /** Pending keys at most from one source address. */
    max_pending_keys_per_address: z.number().int().min(0).default(100),
    /** New pending ids per minute from one source address, once `pending_key_burst` is spent. */
    pending_key_rate_per_min: z.number().positive().default(60),
    /** New pending ids one source address may make at once. */
    pending_key_burst: z.number().int().positive().default(20),
    /** How long the job cache keeps jobs, in hours (Salt's keep_jobs). */
    keep_jobs_hours: z.number().positive().default(24),
    /** How long the audit log keeps entries, in days (checked hourly, like the job cache); 0 keeps them all. */
    audit_keep_days: z.number().min(0).default(90),
    autosign: z
      .object({
        ids: z.array(z.string()).default([]),
        grains: z.record(z.string(), z.array(z.string())).default({}),
      })
      .prefault({}),
    nodegroups: z.record(z.string(), nodegroup).default({}),
    /** Directories served to minions as `brine://`. */
    file_roots: z.array(z.string()).default([]),
    /** Pillar directories per saltenv (`base` first), each with a top.sls (docs/pillar.md). */
    pillar_roots: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.array(z.string())).default({}),
    /** How pillar sources merge: Salt's smart (recurse), recurse, overwrite or none. */
    pillar_source_merging_strategy: z.enum(['smart', 'recurse', 'overwrite', 'none']).default('smart'),
    /** Concatenate lists under the same key when merging pillar (Salt's `pillar_merge_lists`). */
    pillar_merge_lists: z.boolean().default(false),
    /** External pillar sources, merged after pillar_roots in this order. */
    ext_pillar: z.array(z.object({ file_tree: z.object({ root_dir: z.string() }).strict() }).strict()).default([]),
    /** The master's age identity for encrypted pillar values (0600); default `<state_dir>/pillar/age.key`, made at first start. */
    pillar_age_key: z.string().optional(),
    /**
     * Who may read whose mine data: a list of `{minions, read}` compound targets; a minion reads
     * the entries of the minions `read` selects when a rule's `minions` selects it. Empty (the
     * default): every accepted minion reads every entry, as in Salt.
     */
    mine_access: z.array(z.object({ minions: z.string(), read: z.string() }).strict()).default([]),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** REST API users, ACLs and webhooks (docs/api.md). */
    ...authConfigShape,
    /** The reactor and the scheduler (docs/automation.md). */
    ...automationConfigShape,
  })
  .strict();

/** A validated master configuration. */
export type MasterConfig = z.infer<typeof masterConfigSchema>;

/** Reads a YAML config file (optional) and applies overrides on top; throws ConfigError. */
export function loadMasterConfig(file: string | undefined, overrides: Record<string, unknown>): MasterConfig {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const parsed: unknown = parseYaml(text) ?? {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${file}: expected a mapping`);
    raw = parsed as Record<string, unknown>;
  }
  const merged = { ...raw };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (key.startsWith('api.')) merged['api'] = { ...(merged['api'] as object), [key.slice(4)]: value };
    else merged[key] = value;
  }
  const result = masterConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`${file ?? 'flags'}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const config = result.data;
  if (config.insecure_plain_ws && !isLoopback(config.interface)) {
    throw new ConfigError('insecure_plain_ws is allowed only on a loopback interface (127.0.0.0/8 or ::1)');
  }
  if (!apiServesTls(config.api) && !isLoopback(config.api.host) && !config.api.allow_plain_http) {
    throw new ConfigError(
      `api: plain HTTP on ${config.api.host} would carry tokens and passwords in the clear; ` +
        'serve HTTPS (drop api.tls.enabled: false, or set api.tls.cert and api.tls.key), ' +
        'bind api.host to loopback, or set api.allow_plain_http: true',
    );
  }
  return config;
}

/**
 * Whether the REST API serves HTTPS: `api.tls.enabled` when set; otherwise when a certificate
 * is configured or the API binds to anything but loopback.
 */
export function apiServesTls(api: Pick<MasterConfig['api'], 'host' | 'tls'>): boolean {
  return api.tls.enabled ?? (api.tls.cert !== undefined || !isLoopback(api.host));
}

/** Whether an address is loopback. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
