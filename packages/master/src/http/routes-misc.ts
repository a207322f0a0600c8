import { ApiErrorCode, globMatch } from '@brine/protocol';
import { HttpError, type ApiServices, type RouteSpec } from './app.js';
import { Permission } from './auth.js';
import type { KeyStateValue } from '../keys/key-store.js';

/** `/api/v1/minions`, `/api/v1/keys`, `/api/v1/events`, `/healthz`, `/metrics`. */
export function miscRoutes(s: ApiServices): RouteSpec[] {
  const keyAction =
    (action: 'accept' | 'reject' | 'delete'): RouteSpec['handler'] =>
    async (req) => {
      const { id } = req.params as { id: string };
      const body = (req.body ?? {}) as { includeRejected?: boolean };
      const ids =
        action === 'accept'
          ? s.keys.accept(id, body.includeRejected === true)
          : action === 'reject'
            ? s.keys.reject(id)
            : s.keys.delete(id);
      return { [action === 'accept' ? 'accepted' : action === 'reject' ? 'rejected' : 'deleted']: ids };
    };
  return [
    { method: 'GET', url: '/healthz', permission: Permission.public, handler: async () => ({ ok: true }) },
    {
      method: 'GET',
      url: '/metrics',
      permission: Permission.metrics,
      handler: async (_req, reply) => {
        reply.type('text/plain; version=0.0.4');
        return s.metrics.render({
          connectedMinions: s.registry.connectedCount,
          knownMinions: s.registry.list().length,
          activeJobs: s.manager.active().length,
        });
      },
    },
    {
      method: 'GET',
      url: '/api/v1/minions',
      permission: Permission.minions,
      handler: async (req) => {
        const q = req.query as { connected?: string };
        let minions = s.registry.list().map(({ id, connected, lastSeen, address }) => ({
          id,
          connected,
          lastSeen,
          ...(address ? { address } : {}),
        }));
        if (q.connected === 'true') minions = minions.filter((m) => m.connected);
        if (q.connected === 'false') minions = minions.filter((m) => !m.connected);
        return { minions };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/minions/:id',
      permission: Permission.minions,
      handler: async (req) => {
        const { id } = req.params as { id: string };
        const m = s.registry.get(id);
        if (!m) throw new HttpError(404, ApiErrorCode.notFound, `no minion ${id}`);
        return { minion: m };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/jobs-active',
      permission: Permission.jobs,
      handler: async () => ({ jobs: s.manager.active() }),
    },
    {
      method: 'GET',
      url: '/api/v1/keys',
      permission: Permission.keys,
      handler: async (req) => {
        const q = req.query as { state?: KeyStateValue; match?: string };
        const keys = s.keys.list(q.state).filter((k) => !q.match || globMatch(q.match, k.id));
        return { keys };
      },
    },
    { method: 'POST', url: '/api/v1/keys/:id/accept', permission: Permission.keys, handler: keyAction('accept') },
    { method: 'POST', url: '/api/v1/keys/:id/reject', permission: Permission.keys, handler: keyAction('reject') },
    { method: 'DELETE', url: '/api/v1/keys/:id', permission: Permission.keys, handler: keyAction('delete') },
    {
      method: 'GET',
      url: '/api/v1/events',
      permission: Permission.events,
      handler: async (req, reply) => {
        const q = req.query as { tags?: string };
        const globs = (q.tags ?? '').split(',').filter(Boolean);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        const sub = s.bus.events$(globs).subscribe({
          next: (e) => res.write(`data: ${JSON.stringify(e)}\n\n`),
          complete: () => res.end(),
        });
        const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15_000);
        res.on('close', () => {
          clearInterval(keepalive);
          sub.unsubscribe();
        });
        return reply;
      },
    },
  ];
}
