import type { Logger } from 'pino';
import type { z } from 'zod';

/** What a runner asks the master to run: a job as the calling user, under that user's ACL. */
export interface RunnerJobRequest {
  target: string;
  /** @default 'glob' */
  targetType?: string;
  fun: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  timeoutMs?: number;
}

/** One minion's answer to a job a runner started. */
export interface RunnerMinionResult {
  id: string;
  outcome: string;
  ret?: unknown;
  success?: boolean;
}

/** A minimal client in a runner's scope: start a job and wait for every minion's result. */
export interface RunnerClient {
  /** Runs a job as the calling user; resolves with one result per targeted minion. */
  run(request: RunnerJobRequest): Promise<RunnerMinionResult[]>;
}

/** What a runner function receives. */
export interface RunnerContext {
  log: Logger;
  /** The user that called the runner; jobs run as that user. */
  user: string;
  client: RunnerClient;
}

/** One runner function, without its module prefix. */
export interface RunnerFunctionSpec<S extends z.ZodType = z.ZodType> {
  doc: string;
  params: readonly string[];
  schema: S;
  run(input: z.output<S>, ctx: RunnerContext): Promise<unknown>;
}

/** A runner module (a file in the master's `_runners/` default-exports one). */
export interface RunnerDefinition {
  name: string;
  functions: Readonly<Record<string, RunnerFunctionSpec>>;
}

/** Defines a runner module. */
export function defineRunner(def: RunnerDefinition): RunnerDefinition {
  return def;
}

/** Types one runner function from its schema. */
export function runnerFn<S extends z.ZodType>(spec: RunnerFunctionSpec<S>): RunnerFunctionSpec {
  return spec as unknown as RunnerFunctionSpec;
}
