/** The console's pages, addressed by the URL hash (`#/job/<jid>`), so a page can be linked and reloaded. */
export type Route =
  | { page: 'fleet' }
  | { page: 'minion'; id: string }
  | { page: 'keys' }
  | { page: 'run'; target?: string; targetType?: string; fun?: string }
  | { page: 'jobs' }
  | { page: 'job'; jid: string }
  | { page: 'events' };

/** Reads a route from a hash; an unknown one is the fleet. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page, arg] = path.split('/').map(decodeURIComponent);
  const q = new URLSearchParams(query);
  switch (page) {
    case 'minion':
      return arg ? { page, id: arg } : { page: 'fleet' };
    case 'job':
      return arg && /^\d{20}$/.test(arg) ? { page, jid: arg } : { page: 'jobs' };
    case 'run': {
      const r: Route = { page };
      for (const k of ['target', 'targetType', 'fun'] as const) {
        const v = q.get(k);
        if (v !== null) r[k] = v;
      }
      return r;
    }
    case 'keys':
    case 'jobs':
    case 'events':
    case 'fleet':
      return { page };
    default:
      return { page: 'fleet' };
  }
}

/** The hash of a route. */
export function hrefOf(r: Route): string {
  switch (r.page) {
    case 'minion':
      return `#/minion/${encodeURIComponent(r.id)}`;
    case 'job':
      return `#/job/${r.jid}`;
    case 'run': {
      const q = new URLSearchParams();
      for (const k of ['target', 'targetType', 'fun'] as const) if (r[k] !== undefined) q.set(k, r[k]);
      const s = q.toString();
      return `#/run${s ? `?${s}` : ''}`;
    }
    default:
      return `#/${r.page}`;
  }
}
