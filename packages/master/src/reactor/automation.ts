import { join } from 'node:path';
import type { Logger } from 'pino';
import { Subject, type SchedulerLike } from 'rxjs';
import type { MasterConfig } from '../config.js';
import type { EventBus } from '../core/event-bus.js';
import type { JobManager } from '../core/job-manager.js';
import type { Acl } from '../http/auth/acl.js';
import { MasterSchedule } from '../schedule/master-schedule.js';
import { masterCalls, type MasterCallDeps } from './master-calls.js';
import type { OrchestrationRunDeps } from '../orchestrate/run-orchestration.js';
import { renderReactions } from './reactor-files.js';
import { reactorOrchestrate } from './reactor-orchestrate.js';
import type { RunnerLookup } from '../runners/runner-host.js';
import { startReactor, type MasterCall } from './reactor.js';
import { startJobAs, type Identity, type StartAsDeps } from './start-as.js';

/** What the reactor and the scheduler are built from. */
export interface AutomationDeps {
  config: Pick<
    MasterConfig,
    | 'file_roots'
    | 'reactor'
    | 'reactor_concurrency'
    | 'reactor_tag_limit'
    | 'reactor_user'
    | 'schedule'
    | 'schedule_user'
    | 'state_dir'
    | 'users'
  >;
  /** How jobs are started, checked against an identity's ACL and audited. */
  start: StartAsDeps;
  acl: Pick<Acl, 'grantsFor'>;
  bus: EventBus;
  keys: MasterCallDeps['keys'];
  drift: MasterCallDeps['drift'];
  /** Where a `runner.state.orchestrate` reaction's run is recorded and announced; absent, reactions cannot orchestrate. */
  orchestrate?: { run: OrchestrationRunDeps; manager: Pick<JobManager, 'cancel'> };
  /** The master's custom runners (`_runners/`), callable from a reaction's orchestration steps under `@runner`. @default none */
  runners?: RunnerLookup;
  scheduler: SchedulerLike;
  random(): number;
  log: Logger;
}

/** The master's reactor and scheduler (docs/automation.md). */
export interface Automation {
  /** The scheduler, for the `schedule.*` runners; it runs nothing until {@link Automation.start}. */
  schedule: MasterSchedule;
  /** Starts the reactor, then the scheduler. */
  start(): void;
  /** Stops the reactor and the scheduler. */
  stop(): void;
}

/** A configured account as it acts: its name and the grants its ACL gives it and its groups. */
export function identityOf(
  acl: Pick<Acl, 'grantsFor'>,
  users: AutomationDeps['config']['users'],
  user: string,
): Identity {
  return { user, grants: acl.grantsFor(user, users[user]?.groups ?? []) };
}

/**
 * Builds the reactor and the scheduler, each starting jobs as its configured identity
 * (`reactor_user`, `schedule_user`) under that identity's ACL, never as an administrator.
 */
export function createAutomation(d: AutomationDeps): Automation {
  const c = d.config;
  const scheduleIdentity = identityOf(d.acl, c.users, c.schedule_user);
  const schedule = new MasterSchedule({
    config: c.schedule,
    file: join(c.state_dir, 'schedule.json'),
    scheduler: d.scheduler,
    random: d.random,
    start: (name, request) => startJobAs(d.start, scheduleIdentity, request, { source: 'schedule', detail: name }),
    bus: d.bus,
    log: d.log.child({ part: 'schedule' }),
  });
  let reactor: { unsubscribe(): void } | undefined;
  const reactorIdentity = identityOf(d.acl, c.users, c.reactor_user);
  // Told at stop: orchestrations the reactor started end and record what they did.
  const reactorStopping$ = new Subject<void>();
  // The reactor's runner and wheel calls; an orchestration's salt.runner steps reach the same table.
  const reactorCalls: Record<string, MasterCall> = masterCalls({
    keys: d.keys,
    bus: d.bus,
    drift: d.drift,
    ...(d.orchestrate
      ? {
          orchestrate: reactorOrchestrate({
            run: d.orchestrate.run,
            start: d.start,
            identity: reactorIdentity,
            bus: d.bus,
            manager: d.orchestrate.manager,
            calls: () => reactorCalls,
            ...(d.runners ? { runners: { runners: d.runners, log: d.log.child({ part: 'runners' }) } } : {}),
            stop$: reactorStopping$,
          }),
        }
      : {}),
  });
  return {
    schedule,
    start: () => {
      reactor = startReactor({
        bus: d.bus,
        start: d.start,
        identity: reactorIdentity,
        entries: c.reactor,
        loopLimit: { max: c.reactor_tag_limit.max, windowMs: c.reactor_tag_limit.window_ms },
        concurrency: c.reactor_concurrency,
        scheduler: d.scheduler,
        render: (file, context) => renderReactions(file, context, { fileRoots: c.file_roots }),
        calls: reactorCalls,
        log: d.log.child({ part: 'reactor' }),
      });
      schedule.start();
    },
    stop: () => {
      reactorStopping$.next();
      reactor?.unsubscribe();
      schedule.stop();
    },
  };
}
