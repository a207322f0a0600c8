import { filter, merge, type Observable } from 'rxjs';
import type { BusEvent } from '../../core/event-bus.js';
import { Area } from './acl.js';
import type { Principal } from './auth.js';
import { activeJobUser, maySeeJob } from './job-access.js';
import type { MasterServices } from '../shared/services.js';

/** What the event views read. */
export type EventServices = Pick<MasterServices, 'bus' | 'clusterEvents$' | 'manager'>;

/** Owners remembered per stream; a long-lived stream forgets them past this many jobs. */
const MAX_OWNERS = 10_000;

/**
 * The bus events a principal may see, from subscription on: everything with `@events`; job
 * events (`brine/job/<jid>/...`) with `@jobs`, or only for jobs it started with a function grant;
 * key events with `@keys`. Minion, hook and master events need `@events`. Completes when the
 * bus closes; never errors.
 */
export function visibleEvents$(s: EventServices, p: Principal, globs: readonly string[]): Observable<BusEvent> {
  // With several masters, the others' events too (never published on this master's bus).
  const all$ = s.clusterEvents$ ? merge(s.bus.events$(globs), s.clusterEvents$(globs)) : s.bus.events$(globs);
  const g = p.grants;
  if (g.admin || g.can(Area.events)) return all$;
  const owners = new Map<string, string | undefined>();
  const ownerOf = (jid: string, e: BusEvent): string | undefined => {
    if (e.tag.endsWith('/new')) {
      const user = (e.data as { user?: unknown } | null)?.user;
      if (typeof user === 'string') {
        if (owners.size >= MAX_OWNERS) owners.clear();
        owners.set(jid, user);
      }
    }
    if (!owners.has(jid)) owners.set(jid, activeJobUser(s, jid));
    return owners.get(jid);
  };
  return all$.pipe(
    filter((e) => {
      if (e.tag.startsWith('brine/key/')) return g.can(Area.keys);
      // An orchestration run (brine/run/<jid>/...) is a job of its caller's, like brine/job/.
      if (!e.tag.startsWith('brine/job/') && !e.tag.startsWith('brine/run/')) return false;
      if (g.can(Area.jobs)) return true;
      const jid = e.tag.split('/')[2] ?? '';
      const owner = ownerOf(jid, e);
      return owner !== undefined && maySeeJob(p, owner);
    }),
  );
}
