import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MinionError, MinionErrorCode } from './errors.js';
import { beaconsConfigSchema } from './beacons/beacons-config.js';
import { minionScheduleConfigSchema } from './schedule/schedule-config.js';

/** The minion's configuration: every option with its default. See docs/config-minion.md. */
export const minionConfigSchema = z
  .object({
    /** The master's minion endpoint, or several masters sharing one database (docs/scale.md). */
    master: z.union([z.string(), z.array(z.string()).min(1).max(64)]).default('wss://127.0.0.1:4506'),
    /** With several masters: `random` starts at one at random, `failover` goes down the list in order. */
    master_type: z.enum(['random', 'failover']).default('random'),
    /** This minion's id; defaults to the host name. */
    id: z.string().optional(),
    state_dir: z.string().default('/var/lib/brine/minion'),
    /** The master's key fingerprint to pin; without it the first master seen is pinned (TOFU). */
    master_fingerprint: z.string().optional(),
    /** A one-time enrollment token from `brine-key --gen-token`: accepted without an operator on first contact. */
    enroll_token: z.string().max(256).optional(),
    /** Allow `ws://` (no TLS) to a loopback master. */
    insecure_plain_ws: z.boolean().default(false),
    max_concurrent_jobs: z.number().int().positive().default(8),
    max_queued_jobs: z.number().int().nonnegative().default(1000),
    /** Per stream (stdout, stderr) and per process; more is dropped and flagged `truncated`. */
    max_output_bytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    max_frame_bytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    /** Random delay before the first connect, so a fleet started together does not arrive together. */
    startup_splay_ms: z.number().int().nonnegative().default(1000),
    reconnect_base_ms: z.number().int().positive().default(1000),
    reconnect_cap_ms: z.number().int().positive().default(60_000),
    /** Custom grains, merged over the collected ones. */
    grains: z.record(z.string(), z.unknown()).default({}),
    /**
     * Functions whose results `mine.update` sends to the master's mine: `{fun: [args]}` or
     * `{alias: [{mine_function: fun}, args...]}`, as Salt; pillar's `mine_functions` merge over these.
     */
    mine_functions: z.record(z.string(), z.unknown()).default({}),
    /** Minutes between runs of `mine.update` (at connect, then on this interval); 0: never by itself. */
    mine_interval: z.number().min(0).default(60),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Seconds the event loop may be blocked before a watchdog thread logs an error (something
     * holding the minion's thread; custom code of every kind is imported and run in worker
     * threads, so only a built-in could). 0: no watchdog. Off by default:
     * the thread costs about 10 MB of RSS (docs/extending.md). @default 0
     */
    loop_watchdog_s: z.number().min(0).max(3600).default(0),
    /**
     * Seconds a synced extension's file may take to load in its worker thread (its top-level
     * code and `virtual()`) before it is reported as failed and its thread terminated (issue
     * #21, docs/extending.md). @default 10
     */
    extend_load_timeout_s: z.number().positive().max(600).default(10),
    /** Beacons by name: inotify, service, diskusage, load, memusage, status (docs/automation.md). */
    beacons: beaconsConfigSchema,
    /** The most events one poll of one beacon sends; the rest are dropped and logged. */
    beacon_max_events: z.number().int().positive().max(10_000).default(20),
    /** The minion's own schedules (intervals or cron), run even while the master is unreachable. */
    schedule: minionScheduleConfigSchema,
  })
  .strict();

/** A validated minion configuration (id resolved; `masters` is `master` as a list). */
export type MinionConfig = z.infer<typeof minionConfigSchema> & { id: string; masters: string[] };

/** Reads a YAML config file (optional) with overrides on top; throws a coded MinionError. */
export function loadMinionConfig(file: string | undefined, overrides: Record<string, unknown>): MinionConfig {
  let raw: Record<string, unknown> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new MinionError(MinionErrorCode.config, `cannot read ${file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed))
      throw new MinionError(MinionErrorCode.config, `${file}: expected a mapping`);
    raw = parsed as Record<string, unknown>;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const r = minionConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new MinionError(
      MinionErrorCode.config,
      `${file ?? 'flags'}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const masters = typeof r.data.master === 'string' ? [r.data.master] : r.data.master;
  for (const master of masters) checkMasterUrl(master, r.data.insecure_plain_ws);
  return { ...r.data, id: r.data.id ?? hostname(), masters };
}

/** Refuses a master URL that is not wss://, or ws:// other than to loopback with insecure_plain_ws. */
function checkMasterUrl(master: string, insecurePlainWs: boolean): void {
  let url: URL;
  try {
    url = new URL(master);
  } catch {
    throw new MinionError(MinionErrorCode.config, `master is not a URL: ${master}`);
  }
  if (url.protocol === 'ws:') {
    const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
    if (!insecurePlainWs || !loopback) {
      throw new MinionError(
        MinionErrorCode.config,
        'a ws:// master needs insecure_plain_ws: true and a loopback address; use wss://',
      );
    }
  } else if (url.protocol !== 'wss:') {
    throw new MinionError(MinionErrorCode.config, `master must be a wss:// URL, got ${url.protocol}`);
  }
}
