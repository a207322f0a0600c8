import type { JobStreamEvent } from '@brine/protocol';
import { UsageError } from '../args.js';
import { createHighstateOutputter } from './highstate.js';
import { isStateRun, type StateOutput } from './highstate-format.js';
import { createNestedOutputter } from './nested.js';
import { createJsonOutputter, createNdjsonOutputter, createYamlOutputter } from './structured.js';
import { createTableOutputter } from './table.js';
import { createRawOutputter, createTxtOutputter } from './txt.js';

/** `job.started`: the jid and the minions the target matched. */
export type JobStartedEvent = Extract<JobStreamEvent, { type: 'job.started' }>;
/** `minion.progress`: a chunk of live stdout/stderr from a streaming function. */
export type MinionProgressEvent = Extract<JobStreamEvent, { type: 'minion.progress' }>;
/** `minion.result`: one minion's end state. */
export type MinionResultEvent = Extract<JobStreamEvent, { type: 'minion.result' }>;
/** `job.done`: the job's totals; always the last event. */
export type JobDoneEvent = Extract<JobStreamEvent, { type: 'job.done' }>;

/** Formats a job's events as they arrive; `done` writes whatever was held back and must come last. */
export interface Outputter {
  start?(e: JobStartedEvent): void;
  progress?(e: MinionProgressEvent): void;
  result(e: MinionResultEvent): void;
  done(e: JobDoneEvent): void;
}

/**
 * How the outputters write. `hideTimeout`, `showJid`, `verbose` and `summary` shape the formats for
 * people (nested, txt, raw, table); json, yaml and ndjson always carry every minion, the jid and the
 * summary, so a script never misses a failure.
 */
export interface OutputOptions {
  /** Use ANSI colours (see `shouldColor`). */
  color: boolean;
  /** Print the jid first and each non-return's reason identifier (Salt's `-v`). */
  verbose: boolean;
  /** Do not print minions that did not return; they still count in the summary and exit code. */
  hideTimeout: boolean;
  /** Print `jid: <jid>` first (Salt's `--show-jid`). */
  showJid: boolean;
  /** Print Salt's summary block at the end (Salt's `--summary`). */
  summary: boolean;
  out: { write(s: string): void };
  /** The job timeout the CLI asked for, for "timed out after 5 s" when a result has no duration. */
  timeoutMs?: number;
  /** Terminal width, for the table's RETURN column. @default 100 */
  columns?: number;
  /** `highstate`: Salt's `--state-output`. @default 'full' */
  stateOutput?: StateOutput;
  /** `highstate`: false leaves out states that succeeded without changes. @default true */
  stateVerbose?: boolean;
  /** Salt's `--static`: `json` and `yaml` print Salt's `{minion: return}` rather than the job document. @default false */
  saltStatic?: boolean;
}

/** The names `--out` accepts; `nested` is the default, as in Salt. */
export const OUTPUT_FORMATS = ['nested', 'json', 'ndjson', 'yaml', 'txt', 'raw', 'table', 'highstate'] as const;
/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const FACTORIES: Record<OutputFormat, (o: OutputOptions) => Outputter> = {
  nested: createNestedOutputter,
  json: createJsonOutputter,
  ndjson: createNdjsonOutputter,
  yaml: createYamlOutputter,
  txt: createTxtOutputter,
  raw: createRawOutputter,
  table: createTableOutputter,
  highstate: createHighstateOutputter,
};

/**
 * The format when `--out` is not given: `highstate` for the `state.*` functions that run
 * states (as Salt), `nested` for everything else.
 */
export function defaultFormat(fun: string): OutputFormat {
  return isStateRun(fun) ? 'highstate' : 'nested';
}

/** Whether `name` is one of {@link OUTPUT_FORMATS}. */
export function isOutputFormat(name: string): name is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(name);
}

/**
 * Creates the outputter `--out <name>` asks for.
 * @throws {UsageError} naming the flag and the value when `name` is not a format.
 */
export function createOutputter(name: string, options: OutputOptions): Outputter {
  if (!isOutputFormat(name)) {
    throw new UsageError(`--out: "${name}" is not an output format; expected one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return FACTORIES[name](options);
}

/** Hands one stream event to the matching outputter method. */
export function writeEvent(outputter: Outputter, e: JobStreamEvent): void {
  switch (e.type) {
    case 'job.started':
      return outputter.start?.(e);
    case 'minion.progress':
      return outputter.progress?.(e);
    case 'minion.result':
      return outputter.result(e);
    case 'job.done':
      return outputter.done(e);
  }
}
