import type { Session } from '../app.js';
import { useLoad, when } from '../use.js';
import { JsonView } from '../json-view.js';

/**
 * One minion: its grains, its pillar's keys (only where the master has a pillar API and the
 * ACL lets this user ask; never the values), and the recent jobs aimed at it by name.
 */
export function MinionPage({ s, id }: { s: Session; id: string }) {
  const [minion] = useLoad(() => s.api.minion(id), [s, id]);
  const [pillar] = useLoad(() => s.api.pillarKeys(id), [s, id]);
  const [jobs] = useLoad(async () => (s.caps.jobs ? s.api.jobs({ target: id, limit: 20 }) : []), [s, id]);
  return (
    <section class="page" aria-labelledby="minion-title">
      <p>
        <a href="#/fleet">← Fleet</a>
      </p>
      <h1 id="minion-title">{id}</h1>
      {minion.state === 'error' && <p role="alert">{minion.error}</p>}
      {minion.state === 'ok' && (
        <>
          <p class="summary">
            <span class={minion.value.connected ? 'up' : 'down'}>
              {minion.value.connected ? 'connected' : 'disconnected'}
            </span>{' '}
            · last seen {when(minion.value.lastSeen)}
            {minion.value.address ? ` · ${minion.value.address}` : ''}
            {s.caps.run && (
              <>
                {' '}
                · <a href={`#/run?target=${encodeURIComponent(id)}&targetType=list`}>Run on this minion</a>
              </>
            )}
          </p>
          <h2>Grains</h2>
          <JsonView value={minion.value.grains} label="Grains" />
        </>
      )}
      {pillar.state === 'ok' && pillar.value !== undefined && (
        <>
          <h2>Pillar keys</h2>
          <ul class="tags" data-testid="pillar-keys">
            {pillar.value.map((k) => (
              <li key={k}>{k}</li>
            ))}
          </ul>
        </>
      )}
      {s.caps.jobs && (
        <>
          <h2>Recent jobs targeting {id}</h2>
          {jobs.state === 'ok' && jobs.value.length === 0 && <p>None in the job cache.</p>}
          {jobs.state === 'ok' && jobs.value.length > 0 && (
            <ul>
              {jobs.value.map((j) => (
                <li key={j.jid}>
                  <a href={`#/job/${j.jid}`}>{j.fun}</a> {when(j.startedAt)} by {j.user}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
