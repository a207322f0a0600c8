import type { JobRequestInput } from '@brine/protocol';
import type { FunctionCatalogue } from './functions.generated.js';

/** The keyword arguments of a catalogued function; any object for one the catalogue lacks. */
export type KwargsOf<F extends string> = F extends keyof FunctionCatalogue
  ? Partial<FunctionCatalogue[F]>
  : Record<string, unknown>;

/**
 * A job as `run$` takes it: the API's job request (`POST /api/v1/jobs`, protocol's
 * `jobRequestSchema`), with the keyword arguments of a catalogued function typed from the
 * minion registry's schemas (`functions.generated.ts`, made by `scripts/gen-client-functions.mjs`).
 */
export type JobOptions<F extends string = string> = Omit<JobRequestInput, 'fun' | 'kwargs'> & {
  /** One function, or several (a compound job: then `args` holds one list per function). */
  fun: F | F[];
  kwargs?: KwargsOf<F>;
};
