import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import { visibleEvents$, type EventServices } from '../auth/event-visibility.js';
import { route, type RouteSpec } from '../shared/route.js';
import { openSse } from '../shared/sse.js';

const eventsQuery = z.object({
  /** Comma-separated tag globs; all events when absent. */
  tags: z.string().max(2000).optional(),
  token: z.string().optional(),
});

/** `GET /api/v1/events`: the event bus as Server-Sent Events, filtered by what the token may see. */
export function eventRoutes(s: EventServices): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/events',
      permission: Permission.events,
      tag: 'events',
      summary:
        'The event bus as Server-Sent Events (?tags=glob,glob); job events need @jobs or your own job, others @events',
      produces: 'text/event-stream',
      queryToken: true,
      query: eventsQuery,
      handler: async ({ reply, principal, query }) => {
        const globs = (query.tags ?? '').split(',').filter(Boolean);
        const sse = openSse(reply);
        const sub = visibleEvents$(s, principal, globs).subscribe({
          next: (e) => sse.send(JSON.stringify(e)),
          complete: () => sse.end(),
        });
        sse.onClose(() => sub.unsubscribe());
        return reply;
      },
    }),
  ];
}
