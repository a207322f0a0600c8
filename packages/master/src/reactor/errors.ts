import { MasterError } from '../errors.js';

/** Codes of the reactor's and the scheduler's errors. */
export const AutomationErrorCode = {
  /** A reactor SLS that cannot be read, rendered or compiled into reactions. */
  sls: 'ERR_REACTOR_SLS',
  /** A runner or wheel function a reaction names that the master does not have. */
  unknownFunction: 'ERR_REACTOR_UNKNOWN_FUNCTION',
  /** Arguments a runner or wheel reaction gives that its function does not take (no `mods` for an orchestration). */
  callArgs: 'ERR_REACTOR_CALL_ARGS',
  /** A schedule name that does not exist, or exists already. */
  scheduleName: 'ERR_SCHEDULE_NAME',
  /** A schedule that does not validate. */
  scheduleInvalid: 'ERR_SCHEDULE_INVALID',
} as const;
/** One of the {@link AutomationErrorCode} values. */
export type AutomationErrorCodeValue = (typeof AutomationErrorCode)[keyof typeof AutomationErrorCode];

/** A reactor or scheduler error with a stable code. */
export class ReactorError extends MasterError {
  constructor(code: AutomationErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(code, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
