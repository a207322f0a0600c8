import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import { NotFoundError } from '../shared/errors.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';

const ms = z.coerce.number().int().nonnegative();

/**
 * `GET /api/v1/audit`: the audit entries (one per API request: who, route, status, outcome,
 * job; one per job the reactor or the scheduler started, with its `source`), newest first. With several masters on one database, every master's entries; with one,
 * this master's recent ones (its log keeps them all).
 */
export function auditRoutes(s: Pick<MasterServices, 'auditTrail'>): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/audit',
      permission: Permission.audit,
      tag: 'ops',
      summary: 'The audit log, newest first; filters since/until (ms), user, outcome, limit (at most 1000)',
      query: z.object({
        since: ms.optional(),
        until: ms.optional(),
        user: z.string().min(1).max(255).optional(),
        outcome: z.enum(['ok', 'denied', 'error']).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      handler: async ({ query }) => {
        if (!s.auditTrail) throw new NotFoundError('this master keeps no audit trail');
        const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
        return { entries: s.auditTrail.list(q) };
      },
    }),
  ];
}
