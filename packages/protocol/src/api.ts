import { z } from 'zod';
import { FUN_LIST, FUN_NAME, MAX_COMPOUND_FUNCTIONS, jobCalls } from './compound-job.js';
import { Outcome, TargetType, type OutcomeValue, type ProgressStreamValue, type TargetTypeValue } from './frames.js';

/** Default time a job may run on a minion before it is reported `timed_out`, in ms. */
export const DEFAULT_JOB_TIMEOUT_MS = 60_000;
/** Default time for a minion to acknowledge a job before it is reported `no_ack`, in ms. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

const targetType = z.enum(Object.values(TargetType) as [TargetTypeValue, ...TargetTypeValue[]]);

/** The body of `POST /api/v1/jobs`: a job as a caller asks for it. */
export const jobRequestSchema = z
  .object({
    target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    targetType: targetType.default('glob'),
    /**
     * `module.function`, or several (a compound job, as Salt's `test.echo,cmd.run`): a list or
     * the names joined by commas. A compound job's `args` is one list per function.
     */
    fun: z.union([
      z.string().regex(FUN_LIST, 'module.function, or several joined by commas'),
      z
        .array(z.string().regex(FUN_NAME, 'module.function'))
        .min(1)
        .max(MAX_COMPOUND_FUNCTIONS)
        .transform((funs) => funs.join(',')),
    ]),
    args: z.array(z.unknown()).default([]),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    /** How long the job may run on each minion. */
    timeoutMs: z.number().int().positive().max(86_400_000).default(DEFAULT_JOB_TIMEOUT_MS),
    /** How long each minion has to acknowledge the job. */
    ackTimeoutMs: z.number().int().positive().max(3_600_000).optional(),
    /** Sliding-window batch: a count (`10`) or a percentage of the targets (`'25%'`). */
    batch: z.union([z.number().int().positive(), z.string().regex(/^\d+%$/)]).optional(),
    batchWaitMs: z.number().int().nonnegative().optional(),
    failhard: z.boolean().default(false),
    /** Complete after this many successful returns and cancel the rest. */
    first: z.number().int().positive().optional(),
    /**
     * One deadline for the whole job from its start, across batches and retries: past it, minions
     * not started are `cancelled` (reason `deadline`) and running ones are stopped.
     */
    deadlineMs: z
      .number()
      .int()
      .positive()
      .max(7 * 86_400_000)
      .optional(),
    /** Re-run a failed function on that minion up to this many times. */
    retries: z.number().int().nonnegative().max(100).default(0),
    retryDelayMs: z.number().int().nonnegative().default(0),
    /** Send live output of `cmd.*` functions as progress events. */
    stream: z.boolean().default(false),
  })
  .superRefine((job, ctx) => {
    const calls = jobCalls(job);
    if (!calls.ok) ctx.addIssue({ code: 'custom', path: ['args'], message: calls.message });
  });
export type JobRequest = z.infer<typeof jobRequestSchema>;
export type JobRequestInput = z.input<typeof jobRequestSchema>;

/** One targeted minion's end state in a job. */
export interface MinionResult {
  id: string;
  outcome: OutcomeValue;
  /** True only for `returned` with a successful function. */
  success: boolean;
  retcode?: number;
  ret?: unknown;
  /** For a non-return: an identifier saying why (`not_connected`, `ack_timeout`, `job_timeout_running`, ...). */
  reason?: string;
  /** How long the job ran on the minion, when it returned. */
  durationMs?: number;
}

/** The totals of a finished job; `success` is what CI should look at. */
export interface JobSummary {
  jid: string;
  fun: string;
  targeted: number;
  returned: number;
  succeeded: number;
  failed: number;
  /** Targeted minions with any outcome other than `returned`. */
  didNotReturn: number;
  /** Every targeted minion returned success. */
  success: boolean;
  durationMs: number;
}

/** One line of the NDJSON stream the master sends for `POST /api/v1/jobs?stream=ndjson`. */
export type JobStreamEvent =
  | { type: 'job.started'; jid: string; fun: string; minions: string[] }
  | { type: 'minion.progress'; jid: string; id: string; stream: ProgressStreamValue; data: string }
  | { type: 'minion.result'; jid: string; result: MinionResult }
  | { type: 'job.done'; jid: string; summary: JobSummary };

/** The API error body: `{code, message}`, with stable codes. */
export interface ApiError {
  code: string;
  message: string;
  data?: unknown;
}

/** Whether an outcome counts as "the minion returned". */
export function isReturned(outcome: OutcomeValue): boolean {
  return outcome === Outcome.returned;
}
