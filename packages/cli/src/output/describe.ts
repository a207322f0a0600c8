import type { JobSummary, MinionResult } from '@brine/protocol';
import { stripControl } from './ansi.js';

/** Short words for each non-return reason identifier the master sends; `{after}` becomes " after 5 s". */
const REASON_TEXT: Readonly<Record<string, string>> = {
  not_connected: 'offline',
  unknown_minion: 'offline, unknown minion',
  ack_timeout: 'no ack',
  disconnected_before_ack: 'disconnected before ack',
  job_timeout_running: 'timed out{after}, still running',
  job_timeout_disconnected: 'timed out{after}, minion disconnected',
  job_timeout: 'timed out{after}',
  cancelled: 'cancelled',
  failhard: 'cancelled by --failhard',
  first_reached: 'cancelled, --first reached',
  deadline: 'cancelled, --deadline passed',
  minion_restarted: 'interrupted, minion restarted',
  master_restarted: 'interrupted, master restarted',
};

/** Used when a non-return carries no reason: the outcome alone. */
const OUTCOME_TEXT: Readonly<Record<string, string>> = {
  offline: 'offline',
  no_ack: 'no ack',
  timed_out: 'timed out{after}',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

/** `5 s`, `2.5 s`, `250 ms`. */
export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * Why a minion did not return, in a few words: `offline`, `no ack`,
 * `timed out after 5 s, still running`, `cancelled`, ... The time is the result's `durationMs`,
 * else `timeoutMs` (the timeout the CLI asked for); an unknown reason is shown as it came.
 */
export function nonReturnText(result: MinionResult, timeoutMs?: number): string {
  const template =
    (result.reason !== undefined ? REASON_TEXT[result.reason] : undefined) ??
    (result.reason !== undefined ? stripControl(result.reason) : undefined) ??
    OUTCOME_TEXT[result.outcome] ??
    result.outcome;
  const ms = result.durationMs ?? timeoutMs;
  return template.replace('{after}', ms === undefined ? '' : ` after ${formatSeconds(ms)}`);
}

/**
 * The line Salt prints in place of a return: `Minion did not return. [offline]`. With `verbose`
 * the reason identifier follows, for bug reports and grep: `... [offline] (not_connected)`.
 */
export function didNotReturnLine(result: MinionResult, options: { verbose: boolean; timeoutMs?: number }): string {
  const line = `Minion did not return. [${nonReturnText(result, options.timeoutMs)}]`;
  return options.verbose && result.reason !== undefined ? `${line} (${stripControl(result.reason)})` : line;
}

const RULE = '-------------------------------------------';

/** Salt's `--summary` block, one line per element, without trailing newlines. */
export function summaryLines(summary: JobSummary): string[] {
  return [
    RULE,
    'Summary',
    RULE,
    `# of minions targeted: ${summary.targeted}`,
    `# of minions returned: ${summary.returned}`,
    `# of minions that did not return: ${summary.didNotReturn}`,
    `# of minions with errors: ${summary.failed}`,
    RULE,
  ];
}

/** A result as the structured formats show it: the fields of {@link MinionResult} without `id`, absent ones left out. */
export type ResultRecord = Omit<MinionResult, 'id'>;

/** The record for one result, with keys in a fixed order. */
export function resultRecord(r: MinionResult): ResultRecord {
  const rec: ResultRecord = { outcome: r.outcome, success: r.success };
  if (r.retcode !== undefined) rec.retcode = r.retcode;
  if (r.ret !== undefined) rec.ret = r.ret;
  if (r.reason !== undefined) rec.reason = r.reason;
  if (r.durationMs !== undefined) rec.durationMs = r.durationMs;
  return rec;
}

/** C1 controls, DEL and U+2028/U+2029: allowed raw in JSON and YAML strings, but a terminal may act on them. */
export const TERMINAL_UNSAFE = /[\u007f-\u009f\u2028\u2029]/;

/** `\u009b` for the character U+009B. */
export function escapeUnicode(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `JSON.stringify` that also escapes {@link TERMINAL_UNSAFE} characters, so minion data cannot drive the terminal. */
export function toJson(value: unknown, indent?: number): string {
  // `?? 'null'`: JSON.stringify gives undefined for undefined, whatever its type says.
  return (JSON.stringify(value, null, indent) ?? 'null').replace(new RegExp(TERMINAL_UNSAFE, 'g'), escapeUnicode);
}
