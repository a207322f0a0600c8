import type { JobSummary, MinionResult } from '@brine/protocol';

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
