import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Cluster } from '@brine/testing';

/** The minion endpoint of a cluster's master, as a raw client dials it. */
export function minionUrl(cluster: Cluster): string {
  return `${cluster.endpoints.tls ? 'wss' : 'ws'}://127.0.0.1:${cluster.endpoints.minionPort}`;
}

/** One minion's row in a finished job. */
export interface ResultRow {
  outcome: string;
  success: boolean;
  ret?: unknown;
}

/** Runs a job and waits for it to finish; returns its jid and each targeted minion's result. */
export async function runJob(
  cluster: Cluster,
  body: Record<string, unknown>,
): Promise<{ status: number; jid: string; minions: Record<string, ResultRow> }> {
  const res = await cluster.api<{ jid: string; minions: Record<string, ResultRow> }>('POST', '/api/v1/jobs?wait=true', {
    timeoutMs: 5000,
    ackTimeoutMs: 3000,
    ...body,
  });
  return { status: res.status, jid: res.body?.jid, minions: res.body?.minions ?? {} };
}

/** The master's log so far. */
export function masterLog(cluster: Cluster): string {
  const file = join(cluster.dir, 'master.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** A minion's log so far (`minion-<id>.log` in the cluster dir). */
export function minionLog(cluster: Cluster, id: string): string {
  const file = join(cluster.dir, `minion-${id}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Log lines (JSON) whose `msg` is `msg`. */
export function logRecords(text: string, msg: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Whether the master process still runs, answers `/healthz`, and never printed an uncaught
 * exception or unhandled rejection (Node prints those to stderr, which the fixture logs).
 */
export async function masterHealth(cluster: Cluster): Promise<{ alive: boolean; healthy: boolean; crashes: string[] }> {
  const m = cluster.master;
  const alive = m !== undefined && m.exitCode === null && m.signalCode === null;
  let healthy = false;
  try {
    healthy = (await cluster.api<{ ok: boolean }>('GET', '/healthz')).body.ok === true;
  } catch {
    healthy = false;
  }
  const crashes = masterLog(cluster)
    .split('\n')
    .filter((l) => /uncaught|unhandled|^\s+at |Error:/i.test(l) && !l.startsWith('{'));
  return { alive, healthy, crashes };
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `fn` over `items`, at most `concurrency` at a time; results in input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * Replaces the msgpack string `marker` inside an encoded frame with raw msgpack bytes: how a test
 * puts values in a frame that no encoder here would write (64-bit ints, cycles, typed arrays).
 */
export function spliceValue(frame: Buffer, marker: string, value: Buffer): Buffer {
  if (marker.length > 31) throw new Error('marker must encode as a fixstr');
  const at = frame.indexOf(marker) - 1;
  return Buffer.concat([frame.subarray(0, at), value, frame.subarray(at + 1 + marker.length)]);
}
