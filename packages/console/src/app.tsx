/**
 * The console's shell: the login form until a session exists, then a navigation bar with the
 * pages the user's ACL opens, and the page the URL hash names. The token lives in memory only,
 * so a reload asks to log in again (see api.ts for why it is not a cookie).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { capsOf, type Caps } from './caps.js';
import { EventsPage } from './pages/events.js';
import { FleetPage } from './pages/fleet.js';
import { JobPage } from './pages/job.js';
import { JobsPage } from './pages/jobs.js';
import { KeysPage } from './pages/keys.js';
import { LoginPage } from './pages/login.js';
import { MinionPage } from './pages/minion.js';
import { RunPage } from './pages/run.js';
import { parseRoute, type Route } from './route.js';
import { ThemeToggle } from './theme.js';

/** A logged-in session and what its ACL allows. */
export interface Session {
  api: Api;
  caps: Caps;
}

/** The pages the navigation bar lists (a minion page belongs to Fleet, a job page to Jobs). */
type NavPage = 'fleet' | 'keys' | 'run' | 'jobs' | 'events';

const NAV: { page: NavPage; label: string; allowed: (c: Caps) => boolean }[] = [
  { page: 'fleet', label: 'Fleet', allowed: (c) => c.minions },
  { page: 'keys', label: 'Keys', allowed: (c) => c.keys },
  { page: 'run', label: 'Run', allowed: (c) => c.run },
  { page: 'jobs', label: 'Jobs', allowed: (c) => c.jobs },
  { page: 'events', label: 'Events', allowed: (c) => c.events },
];

/** Which nav entry a route belongs to. */
const navOf = (r: Route): NavPage => (r.page === 'minion' ? 'fleet' : r.page === 'job' ? 'jobs' : r.page);

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** The whole console. */
export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const route = useHashRoute();
  const allowed = useMemo(() => (session ? NAV.filter((n) => n.allowed(session.caps)) : []), [session]);
  useEffect(() => {
    const title = NAV.find((n) => n.page === navOf(route))?.label ?? 'Console';
    document.title = `${title} · Brine`;
  }, [route]);
  if (!session) {
    return (
      <LoginPage
        onLogin={async (api) => {
          setSession({ api, caps: capsOf(await api.whoami()) });
        }}
      />
    );
  }
  const logout = async () => {
    // Revokes the token on the master: a copy of it is worthless from now on.
    await session.api.logout().catch(() => undefined);
    setSession(undefined);
  };
  const here = navOf(route);
  const page = allowed.some((n) => n.page === here)
    ? route
    : allowed[0]
      ? parseRoute(`#/${allowed[0].page}`)
      : undefined;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Brine</span>
        <nav aria-label="Console pages">
          <ul>
            {allowed.map((n) => (
              <li key={n.page}>
                <a href={`#/${n.page}`} aria-current={navOf(page ?? route) === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="who">
          {session.api.user}
          {session.caps.admin ? ' (admin)' : ''}
        </span>
        <ThemeToggle />
        <button type="button" onClick={logout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page ? (
          <Page route={page} s={session} />
        ) : (
          <p role="status">Your account has no grant the console can show.</p>
        )}
      </main>
    </div>
  );
}

function Page({ route, s }: { route: Route; s: Session }) {
  switch (route.page) {
    case 'fleet':
      return <FleetPage s={s} />;
    case 'minion':
      return <MinionPage s={s} id={route.id} />;
    case 'keys':
      return <KeysPage s={s} />;
    case 'run':
      return <RunPage s={s} initial={route} />;
    case 'jobs':
      return <JobsPage s={s} />;
    case 'job':
      return <JobPage s={s} jid={route.jid} />;
    case 'events':
      return <EventsPage s={s} />;
  }
}
