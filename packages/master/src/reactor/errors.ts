import { ErrorCode } from '@brine/protocol';
import { MasterError, MasterErrorCode } from '../errors.js';

/** Codes of the reactor's and the scheduler's errors: entries of the master's and the protocol's tables. */
export const AutomationErrorCode = {
  /** A reactor SLS that cannot be read, rendered or compiled into reactions. */
  sls: MasterErrorCode.reactorSls,
  /** A runner or wheel function a reaction names that the master does not have. */
  unknownFunction: MasterErrorCode.reactorUnknownFunction,
  /** Arguments a runner or wheel reaction gives that its function does not take (no `mods` for an orchestration). */
  callArgs: MasterErrorCode.reactorCallArgs,
  /** A schedule name that does not exist, or exists already. */
  scheduleName: ErrorCode.SCHEDULE_NAME,
  /** A schedule that does not validate. */
  scheduleInvalid: ErrorCode.SCHEDULE_INVALID,
} as const;
/** One of the {@link AutomationErrorCode} values. */
export type AutomationErrorCodeValue = (typeof AutomationErrorCode)[keyof typeof AutomationErrorCode];

/** A reactor or scheduler error with a stable code. */
export class ReactorError extends MasterError {
  constructor(code: AutomationErrorCodeValue, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
