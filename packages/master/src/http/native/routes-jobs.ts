import { jobRequestSchema, type JobStreamEvent, type MinionResult } from '@brine/protocol';
import { filter } from 'rxjs';
import { z } from 'zod';
import type { JobEvent } from '../../core/run-job.js';
import { Area } from '../auth/acl.js';
import { Permission } from '../auth/auth.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import { activeJobUser, maySeeJob, previewJob, startJob, type JobAccessServices } from '../auth/job-access.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';
import { openSse } from '../shared/sse.js';

const flag = z.enum(['true', 'false']).optional();
const runQuery = z.object({ wait: flag, preview: flag, stream: z.enum(['ndjson']).optional() });
const listQuery = z.object({
  fun: z.string().optional(),
  target: z.string().optional(),
  user: z.string().optional(),
  since: z.coerce.number().optional(),
  until: z.coerce.number().optional(),
  active: flag,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
/** A jid: 20 digits, checked before it reaches the store (CVE-2025-22242 was a crafted jid). */
export const jidParams = z.object({ jid: z.string().regex(/^\d{20}$/, 'a jid is 20 digits') });

/** Turns a pipeline event into the API's stream event. */
function toStreamEvent(jid: string, e: JobEvent): JobStreamEvent {
  if (e.type === 'result') return { type: 'minion.result', jid, result: e.result };
  if (e.type === 'progress') return { type: 'minion.progress', jid, id: e.id, stream: e.stream, data: e.data };
  return { type: 'job.done', jid, summary: e.summary };
}

/** `/api/v1/jobs`: run, list, look up, watch and cancel jobs. */
export function jobRoutes(s: JobAccessServices & Pick<MasterServices, 'store'>): RouteSpec[] {
  const seeOrThrow = (
    principal: Parameters<typeof maySeeJob>[0],
    user: string | undefined,
    jid: string,
    active = true,
  ) => {
    if (user === undefined) throw new NotFoundError(`no ${active ? 'active ' : ''}job ${jid}`);
    if (!maySeeJob(principal, user)) throw new ForbiddenError(`job ${jid} is not yours and this token lacks @jobs`);
  };
  return [
    route({
      method: 'POST',
      url: '/api/v1/jobs',
      permission: Permission.run,
      tag: 'jobs',
      summary:
        'Run a job: 202 {jid, minions}; ?wait=true for the results; ?stream=ndjson for events; ?preview=true for the targets',
      status: 202,
      body: jobRequestSchema,
      query: runQuery,
      handler: async ({ req, reply, principal, body, query }) => {
        if (query.preview === 'true') {
          reply.status(200);
          return { minions: previewJob(s, principal, body) };
        }
        const { jid, minions, events$ } = startJob(s, principal, body, req);
        if (query.stream === 'ndjson') {
          reply.hijack();
          const res = reply.raw;
          res.writeHead(200, {
            'content-type': 'application/x-ndjson',
            'cache-control': 'no-store',
            'x-brine-jid': jid,
          });
          const started: JobStreamEvent = { type: 'job.started', jid, fun: body.fun, minions };
          res.write(JSON.stringify(started) + '\n');
          const sub = events$.subscribe({
            next: (e) => res.write(JSON.stringify(toStreamEvent(jid, e)) + '\n'),
            complete: () => res.end(),
          });
          res.on('close', () => sub.unsubscribe());
          return reply;
        }
        if (query.wait === 'true') {
          reply.status(200);
          const results: Record<string, MinionResult> = {};
          return await new Promise((resolve) => {
            const sub = events$.pipe(filter((e) => e.type !== 'progress')).subscribe((e) => {
              if (e.type === 'result') results[e.result.id] = e.result;
              else if (e.type === 'done')
                resolve({ jid, success: e.summary.success, summary: e.summary, minions: results });
            });
            // A caller that hangs up stops listening; the job runs on (cancel is DELETE).
            // (The response's close: the request's fires once its body is read.)
            reply.raw.once('close', () => sub.unsubscribe());
          });
        }
        return { jid, minions };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/jobs',
      permission: Permission.jobs,
      tag: 'jobs',
      summary: 'List jobs, newest first (without @jobs: only your own)',
      query: listQuery,
      handler: async ({ principal, query: q }) => {
        const own = !principal.grants.admin && !principal.grants.can(Area.jobs);
        const jobs = s.store.listJobs({
          ...(q.fun === undefined ? {} : { fun: q.fun }),
          ...(q.target === undefined ? {} : { target: q.target }),
          ...(own ? { user: principal.user } : q.user === undefined ? {} : { user: q.user }),
          ...(q.since === undefined ? {} : { since: q.since }),
          ...(q.until === undefined ? {} : { until: q.until }),
          ...(q.active === undefined ? {} : { active: q.active === 'true' }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.offset === undefined ? {} : { offset: q.offset }),
        });
        return { jobs };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/jobs/active',
      permission: Permission.jobs,
      tag: 'jobs',
      summary: 'Jobs running now (without @jobs: only your own)',
      handler: async ({ principal }) => ({ jobs: s.manager.active().filter((j) => maySeeJob(principal, j.user)) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/jobs/:jid',
      permission: Permission.jobs,
      tag: 'jobs',
      summary: 'One job with a row for every targeted minion, including those that never returned',
      params: jidParams,
      handler: async ({ principal, params: { jid } }) => {
        const found = s.store.lookupJob(jid);
        seeOrThrow(principal, found?.job.user, jid, false);
        return { job: found!.job, minions: found!.minions, active: s.manager.events$(jid) !== undefined };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/jobs/:jid',
      permission: Permission.jobs,
      tag: 'jobs',
      summary: 'Cancel an active job; its minions kill its processes',
      params: jidParams,
      handler: async ({ req, principal, params: { jid } }) => {
        req.audit.jid = jid;
        seeOrThrow(principal, activeJobUser(s, jid), jid);
        s.manager.cancel(jid);
        return { jid, cancelled: true };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/jobs/:jid/events',
      permission: Permission.jobs,
      tag: 'jobs',
      summary: "An active job's events as Server-Sent Events, replayed from its start",
      produces: 'text/event-stream',
      queryToken: true,
      params: jidParams,
      handler: async ({ reply, principal, params: { jid } }) => {
        seeOrThrow(principal, activeJobUser(s, jid), jid);
        const events$ = s.manager.events$(jid);
        if (!events$) throw new NotFoundError(`no active job ${jid}`);
        const sse = openSse(reply);
        const sub = events$.subscribe({
          next: (e) => sse.send(JSON.stringify(toStreamEvent(jid, e)), toStreamEvent(jid, e).type),
          complete: () => sse.end(),
        });
        sse.onClose(() => sub.unsubscribe());
        return reply;
      },
    }),
  ];
}
