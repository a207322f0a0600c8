import type { JobSummary, MinionResult } from '@brine/protocol';
import { didNotReturnLine } from '@brine/protocol/outcome-reasons';
import { Document, visit } from 'yaml';
import { TERMINAL_UNSAFE, escapeUnicode, resultRecord, toJson, type ResultRecord } from './describe.js';
import type { OutputOptions, Outputter } from './outputter.js';

/**
 * The one document `--out json` and `--out yaml` write when the job is done:
 * ```
 * {"jid": "...", "minions": {"web1": {"outcome": "returned", "success": true, "retcode": 0, "ret": ...}},
 *  "summary": {"targeted": 1, "success": true, ...}}
 * ```
 * Salt's `{id: ret}` shape was dropped on purpose: it cannot tell a failed or missing minion from
 * one that returned a string, and without `--static` Salt prints one document per minion, which is
 * not valid JSON as a whole. Salt's shape is `jq '.minions | map_values(.ret)'` away; CI checks
 * `.summary.success` or the exit code. Every targeted minion that has a result is listed, sorted by
 * id, whatever `--hide-timeout` says.
 */
export interface JobDocument {
  jid: string;
  minions: Record<string, ResultRecord>;
  summary: JobSummary;
}

function collect(): {
  add(r: MinionResult): void;
  document(summary: JobSummary): JobDocument;
  salt(): Record<string, unknown>;
} {
  const results = new Map<string, MinionResult>();
  return {
    add: (r) => void results.set(r.id, r),
    salt() {
      // Salt's `--static` document: each minion's return, or Salt's line for one that did not return.
      const doc: Record<string, unknown> = {};
      for (const id of [...results.keys()].sort()) {
        const r = results.get(id)!;
        const value = r.outcome === 'returned' ? r.ret : didNotReturnLine(r);
        Object.defineProperty(doc, id, { value, enumerable: true, writable: true });
      }
      return doc;
    },
    document(summary) {
      const minions: Record<string, ResultRecord> = {};
      for (const id of [...results.keys()].sort()) {
        // defineProperty: an id is data, never a prototype setter, whatever the master sent.
        Object.defineProperty(minions, id, { value: resultRecord(results.get(id)!), enumerable: true, writable: true });
      }
      return { jid: summary.jid, minions, summary };
    },
  };
}

/**
 * `--out json`: one pretty-printed {@link JobDocument} when the job is done, nothing before; with
 * `saltStatic` (Salt's `--static`), Salt's `{"web1": <ret>}` instead, for scripts written for
 * `salt --static --out json` (the exit code still says who failed).
 */
export function createJsonOutputter(options: OutputOptions): Outputter {
  const c = collect();
  return {
    result: (e) => c.add(e.result),
    done: (e) => options.out.write(`${toJson(options.saltStatic ? c.salt() : c.document(e.summary), 2)}\n`),
  };
}

/** `--out yaml`: the same {@link JobDocument} (or with `saltStatic`, Salt's shape) as one YAML document when the job is done. */
export function createYamlOutputter(options: OutputOptions): Outputter {
  const c = collect();
  return {
    result: (e) => c.add(e.result),
    done: (e) => options.out.write(toYaml(options.saltStatic ? c.salt() : c.document(e.summary))),
  };
}

/**
 * YAML without anchors for repeated objects and without folding, so a reader can diff it. The
 * `yaml` package writes C1 controls and U+2028 raw; a string holding one is forced into double
 * quotes, where the `\uXXXX` escape is valid, and then escaped as `toJson` does.
 */
function toYaml(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && TERMINAL_UNSAFE.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 }).replace(new RegExp(TERMINAL_UNSAFE, 'g'), escapeUnicode);
}

/**
 * `--out ndjson`: one JSON line per minion as its result arrives,
 * `{"id":"web1","outcome":"returned","success":true,"retcode":0,"ret":...}` (absent fields left out),
 * then `{"summary":{...}}` last. With `--stream`, live output comes as
 * `{"progress":{"id":"web1","stream":"stdout","data":"..."}}` lines in between.
 */
export function createNdjsonOutputter(options: OutputOptions): Outputter {
  const line = (v: unknown): void => options.out.write(`${toJson(v)}\n`);
  return {
    progress: (e) => line({ progress: { id: e.id, stream: e.stream, data: e.data } }),
    result: (e) => line({ id: e.result.id, ...resultRecord(e.result) }),
    done: (e) => line({ summary: e.summary }),
  };
}
