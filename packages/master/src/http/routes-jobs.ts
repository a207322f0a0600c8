import { ApiErrorCode, jobRequestSchema, type JobStreamEvent, type MinionResult } from '@brine/protocol';
import { filter } from 'rxjs';
import { z } from 'zod';
import type { JobEvent } from '../core/run-job.js';
import { HttpError, type ApiServices, type RouteSpec } from './app.js';
import { Permission } from './auth.js';

const listQuery = z.object({
  fun: z.string().optional(),
  target: z.string().optional(),
  user: z.string().optional(),
  since: z.coerce.number().optional(),
  until: z.coerce.number().optional(),
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

/** Parses a body or query with a schema, answering 400 with the first issue. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new HttpError(400, ApiErrorCode.badRequest, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

/** Turns a pipeline event into the API's stream event. */
function toStreamEvent(jid: string, e: JobEvent): JobStreamEvent {
  if (e.type === 'result') return { type: 'minion.result', jid, result: e.result };
  if (e.type === 'progress') return { type: 'minion.progress', jid, id: e.id, stream: e.stream, data: e.data };
  return { type: 'job.done', jid, summary: e.summary };
}

/** `/api/v1/jobs`: run, list, look up and cancel jobs. */
export function jobRoutes(s: ApiServices): RouteSpec[] {
  return [
    {
      method: 'POST',
      url: '/api/v1/jobs',
      permission: Permission.run,
      handler: async (req, reply, principal) => {
        const request = parseOr400(jobRequestSchema, req.body);
        const q = req.query as Record<string, string | undefined>;
        if (q['preview'] === 'true') {
          const p = s.manager.preview(request.target, request.targetType);
          if (!p.ok) throw new HttpError(400, p.error.code, p.error.message, p.error);
          return { minions: p.minions };
        }
        const started = s.manager.start(request, principal.user);
        if (!started.ok) {
          const status = started.error.code === ApiErrorCode.noMinions ? 404 : 400;
          throw new HttpError(status, started.error.code, started.error.message, started.error);
        }
        s.metrics.jobsStarted++;
        const { jid, minions, events$ } = started.job;
        if (q['stream'] === 'ndjson') {
          reply.hijack();
          const res = reply.raw;
          res.writeHead(200, {
            'content-type': 'application/x-ndjson',
            'cache-control': 'no-store',
            'x-brine-jid': jid,
          });
          res.write(
            JSON.stringify({ type: 'job.started', jid, fun: request.fun, minions } satisfies JobStreamEvent) + '\n',
          );
          const sub = events$.subscribe({
            next: (e) => res.write(JSON.stringify(toStreamEvent(jid, e)) + '\n'),
            complete: () => res.end(),
          });
          res.on('close', () => sub.unsubscribe());
          return reply;
        }
        if (q['wait'] === 'true') {
          const results: Record<string, MinionResult> = {};
          return await new Promise((resolve) => {
            events$.pipe(filter((e) => e.type !== 'progress')).subscribe((e) => {
              if (e.type === 'result') results[e.result.id] = e.result;
              else if (e.type === 'done')
                resolve({ jid, success: e.summary.success, summary: e.summary, minions: results });
            });
          });
        }
        return reply.status(202).send({ jid, minions });
      },
    },
    {
      method: 'GET',
      url: '/api/v1/jobs',
      permission: Permission.jobs,
      handler: async (req) => {
        const q = parseOr400(listQuery, req.query);
        const jobs = s.store.listJobs({
          ...(q.fun === undefined ? {} : { fun: q.fun }),
          ...(q.target === undefined ? {} : { target: q.target }),
          ...(q.user === undefined ? {} : { user: q.user }),
          ...(q.since === undefined ? {} : { since: q.since }),
          ...(q.until === undefined ? {} : { until: q.until }),
          ...(q.active === undefined ? {} : { active: q.active === 'true' }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.offset === undefined ? {} : { offset: q.offset }),
        });
        return { jobs };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/jobs/:jid',
      permission: Permission.jobs,
      handler: async (req) => {
        const { jid } = req.params as { jid: string };
        const found = s.store.lookupJob(jid);
        if (!found) throw new HttpError(404, ApiErrorCode.notFound, `no job ${jid}`);
        return { job: found.job, minions: found.minions, active: s.manager.events$(jid) !== undefined };
      },
    },
    {
      method: 'DELETE',
      url: '/api/v1/jobs/:jid',
      permission: Permission.jobs,
      handler: async (req) => {
        const { jid } = req.params as { jid: string };
        if (!s.manager.cancel(jid)) throw new HttpError(404, ApiErrorCode.notFound, `no active job ${jid}`);
        return { jid, cancelled: true };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/jobs/:jid/events',
      permission: Permission.jobs,
      handler: async (req, reply) => {
        const { jid } = req.params as { jid: string };
        const events$ = s.manager.events$(jid);
        if (!events$) throw new HttpError(404, ApiErrorCode.notFound, `no active job ${jid}`);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        const sub = events$.subscribe({
          next: (e) =>
            res.write(`event: ${toStreamEvent(jid, e).type}\ndata: ${JSON.stringify(toStreamEvent(jid, e))}\n\n`),
          complete: () => res.end(),
        });
        res.on('close', () => sub.unsubscribe());
        return reply;
      },
    },
  ];
}
