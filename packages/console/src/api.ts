/**
 * The console's whole conversation with the master's REST API, in one file so that the typed
 * `@brine/client` SDK can replace it later. Every call carries the session token in the
 * `Authorization` header, never in a cookie or a URL: a browser never attaches that header by
 * itself, so no other page can make the console's requests (CSRF), and the token stays out of
 * proxy logs. Streams (NDJSON job runs, SSE events) are read with `fetch` for the same reason,
 * rather than `EventSource`, which can only send a token in the URL.
 */

import { ConsoleErrorCode } from './errors.js';

/** The outcome of one targeted minion, as the API reports it. */
export interface MinionResult {
  id: string;
  outcome: string;
  success: boolean;
  retcode?: number;
  ret?: unknown;
  reason?: string;
  durationMs?: number;
}

/** A finished job's totals. */
export interface JobSummary {
  jid: string;
  fun: string;
  targeted: number;
  returned: number;
  succeeded: number;
  failed: number;
  didNotReturn: number;
  success: boolean;
  durationMs: number;
}

/** One line of `POST /api/v1/jobs?stream=ndjson`. */
export type JobStreamEvent =
  | { type: 'job.started'; jid: string; fun: string; minions: string[] }
  | { type: 'minion.progress'; jid: string; id: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'minion.result'; jid: string; result: MinionResult }
  | { type: 'job.done'; jid: string; summary: JobSummary };

/** What the run box sends. */
export interface JobRequest {
  target: string | string[];
  targetType: string;
  fun: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  stream?: boolean;
  timeoutMs?: number;
}

/** A job as the job list shows it. */
export interface JobListing {
  jid: string;
  fun: string;
  args: unknown[];
  target: string | string[];
  targetType: string;
  user: string;
  startedAt: number;
  endedAt?: number;
  targeted: number;
  summary?: JobSummary;
}

/** A job's stored row for one minion. */
export interface StoredMinionRow {
  id: string;
  outcome: string | null;
  success?: boolean;
  retcode?: number;
  ret?: unknown;
  reason?: string;
}

/** A minion of the fleet list. */
export interface FleetMinion {
  id: string;
  connected: boolean;
  lastSeen: number;
  address?: string;
  grains?: Record<string, unknown>;
}

/** A minion key. */
export interface KeyEntry {
  id: string;
  state: string;
  fingerprint: string;
}

/** Who the token is. */
export interface WhoAmI {
  user: string;
  tokenId: string | null;
  admin: boolean;
  perms: unknown[];
}

/** An event of the bus. */
export interface BusEvent {
  tag: string;
  data: unknown;
  [k: string]: unknown;
}

/** An API error with its stable code (`ERR_AUTH_FORBIDDEN`, ...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A logged-in API session: the token lives only in this object, in memory. */
export interface Api {
  readonly user: string;
  whoami(): Promise<WhoAmI>;
  logout(): Promise<void>;
  minions(grains: readonly string[]): Promise<FleetMinion[]>;
  /** The ids of the minions a target selects, as the master resolves it (`@minions`). */
  minionsMatching(target: string, targetType: string): Promise<string[]>;
  minion(id: string): Promise<FleetMinion & { grains: Record<string, unknown> }>;
  /** Pillar keys of a minion, or undefined when the master has no pillar API (or refuses it). */
  pillarKeys(id: string): Promise<string[] | undefined>;
  keys(): Promise<KeyEntry[]>;
  keyAction(id: string, action: 'accept' | 'reject' | 'delete'): Promise<string[]>;
  preview(req: JobRequest): Promise<string[]>;
  /** Runs a job and calls `onEvent` for each NDJSON line; resolves when the stream ends. */
  run(req: JobRequest, onEvent: (e: JobStreamEvent) => void, signal?: AbortSignal): Promise<void>;
  /** Runs a job and waits for every return. */
  runWait(req: JobRequest): Promise<Record<string, MinionResult>>;
  cancel(jid: string): Promise<void>;
  jobs(filter: Record<string, string | number | undefined>): Promise<JobListing[]>;
  job(jid: string): Promise<{ job: JobListing & { minions: string[] }; minions: StoredMinionRow[]; active: boolean }>;
  /** Tails the event bus until `signal` aborts. */
  events(tags: string, onEvent: (e: BusEvent) => void, signal: AbortSignal): Promise<void>;
}

type Fetch = typeof fetch;

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let code: string = ConsoleErrorCode.http;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(res.status, code, message);
}

/** Reads a streamed body line by line. */
async function readLines(res: Response, onLine: (line: string) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl).replace(/\r$/, ''));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== '') onLine(buffered);
}

/** Logs in with a configured user's password and answers a session bound to its token. */
export async function login(username: string, password: string, base = '', f: Fetch = fetch): Promise<Api> {
  const res = await check(
    await f(`${base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
  );
  const body = (await res.json()) as { token: string; user: string };
  return session(body.token, body.user, base, f);
}

/** A session over an existing token (a token made with `brine-token create` works too). */
export function session(token: string, user: string, base = '', f: Fetch = fetch): Api {
  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal) =>
    check(
      await f(base + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      }),
    );
  const json = async <T>(method: string, path: string, body?: unknown) =>
    (await (await call(method, path, body)).json()) as T;
  const enc = encodeURIComponent;
  return {
    user,
    whoami: () => json<WhoAmI>('GET', '/api/v1/whoami'),
    logout: async () => void (await call('POST', '/api/v1/logout')),
    minions: async (grains) =>
      (
        await json<{ minions: FleetMinion[] }>(
          'GET',
          `/api/v1/minions${grains.length ? `?grains=${enc(grains.join(','))}` : ''}`,
        )
      ).minions,
    minionsMatching: async (target, targetType) =>
      (
        await json<{ minions: FleetMinion[] }>(
          'GET',
          `/api/v1/minions?target=${enc(target)}&targetType=${enc(targetType)}`,
        )
      ).minions.map((m) => m.id),
    minion: async (id) =>
      (await json<{ minion: FleetMinion & { grains: Record<string, unknown> } }>('GET', `/api/v1/minions/${enc(id)}`))
        .minion,
    pillarKeys: async (id) => {
      try {
        const body = await json<{ pillar?: Record<string, unknown>; keys?: string[] }>(
          'GET',
          `/api/v1/minions/${enc(id)}/pillar?keys=true`,
        );
        return body.keys ?? Object.keys(body.pillar ?? {});
      } catch {
        return undefined;
      }
    },
    keys: async () => (await json<{ keys: KeyEntry[] }>('GET', '/api/v1/keys')).keys,
    keyAction: async (id, action) => {
      const path = action === 'delete' ? `/api/v1/keys/${enc(id)}` : `/api/v1/keys/${enc(id)}/${action}`;
      const body = await json<Record<string, string[]>>(
        action === 'delete' ? 'DELETE' : 'POST',
        path,
        action === 'delete' ? undefined : {},
      );
      return Object.values(body)[0] ?? [];
    },
    preview: async (req) => (await json<{ minions: string[] }>('POST', '/api/v1/jobs?preview=true', req)).minions,
    run: async (req, onEvent, signal) => {
      const res = await call('POST', '/api/v1/jobs?stream=ndjson', req, signal);
      await readLines(res, (line) => line && onEvent(JSON.parse(line) as JobStreamEvent));
    },
    runWait: async (req) =>
      (await json<{ minions: Record<string, MinionResult> }>('POST', '/api/v1/jobs?wait=true', req)).minions,
    cancel: async (jid) => void (await call('DELETE', `/api/v1/jobs/${jid}`)),
    jobs: async (filter) => {
      const q = Object.entries(filter)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${k}=${enc(String(v))}`)
        .join('&');
      return (await json<{ jobs: JobListing[] }>('GET', `/api/v1/jobs${q ? `?${q}` : ''}`)).jobs;
    },
    job: (jid) => json('GET', `/api/v1/jobs/${jid}`),
    events: async (tags, onEvent, signal) => {
      const res = await call('GET', `/api/v1/events${tags ? `?tags=${enc(tags)}` : ''}`, undefined, signal);
      let data = '';
      try {
        await readLines(res, (line) => {
          if (line.startsWith('data:')) data += line.slice(5).trimStart();
          else if (line === '' && data !== '') {
            onEvent(JSON.parse(data) as BusEvent);
            data = '';
          }
        });
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
  };
}
