import type { FastifyRequest } from 'fastify';
import type { MasterSchedule } from '../../schedule/master-schedule.js';
import type { Principal } from '../auth/auth.js';
import type { JobAccessServices } from '../auth/job-access.js';
import type { MasterServices } from '../shared/services.js';
import type { OrchestrateServices } from '../../orchestrate/run-orchestration.js';
import type { BoundArgs, SaltSignature } from './salt-call-args.js';

/** What the `schedule.*` runners drive: the master's scheduler. */
export type ScheduleControl = Pick<MasterSchedule, 'list' | 'add' | 'delete' | 'setEnabled' | 'runJob'>;

export type { OrchestrateServices } from '../../orchestrate/run-orchestration.js';

/** What salt-api's runner and wheel functions read. */
export type SaltServices = JobAccessServices &
  Pick<MasterServices, 'bus' | 'configValues' | 'keys' | 'log' | 'now' | 'pillar' | 'runners' | 'store'> & {
    /** The master scheduler, for the `schedule.*` runners; absent, they answer 503. */
    schedule?: ScheduleControl;
    /** File roots, jids and the master id for `state.orchestrate`; absent, it answers 503. @default none */
    orchestrate?: OrchestrateServices;
  };

/** What a runner or wheel function runs with. */
export interface SaltFunContext {
  s: SaltServices;
  p: Principal;
  req: FastifyRequest;
}

/** A runner or wheel function the dialect serves: its signature, who may call it, and its body. */
export interface SaltFunction extends SaltSignature {
  /** One line for `doc.runner` / `doc.wheel`. */
  doc: string;
  /** Whether a principal may call it (admin always may). */
  allowed(p: Principal, fun: string): boolean;
  run(ctx: SaltFunContext, args: BoundArgs): unknown;
}
