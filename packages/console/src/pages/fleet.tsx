import { useEffect, useMemo, useState } from 'preact/hooks';
import type { FleetMinion } from '../api.js';
import type { Session } from '../app.js';
import { FACET_GRAINS, facetCounts, grainValues } from '../facets.js';
import { TARGET_TYPES } from '../target-types.js';
import { useDebounced, useLoad, when } from '../use.js';
import { VirtualList } from '../virtual-list.js';

const ROW_PX = 34;

/**
 * Every accepted minion: connection, last seen, key state, grains facets, and a target search
 * whose live count is the master's own resolution of the expression (what a job would target).
 */
export function FleetPage({ s }: { s: Session }) {
  const [fleet, reload] = useLoad(
    async () => ({
      minions: await s.api.minions(FACET_GRAINS),
      keys: s.caps.keys ? new Map((await s.api.keys()).map((k) => [k.id, k.state])) : undefined,
    }),
    [s],
  );
  const [target, setTarget] = useState('');
  const [targetType, setTargetType] = useState('glob');
  const [facet, setFacet] = useState<{ grain: string; value: string } | undefined>();
  const settled = useDebounced(target.trim(), 250);
  const [matched, setMatched] = useState<{ ids?: Set<string>; error?: string }>({});
  useEffect(() => {
    if (settled === '') return setMatched({});
    let live = true;
    s.api
      .minionsMatching(settled, targetType)
      .then((ids) => live && setMatched({ ids: new Set(ids) }))
      .catch((err: Error) => live && setMatched({ error: err.message }));
    return () => {
      live = false;
    };
  }, [s, settled, targetType]);
  const all = fleet.state === 'ok' ? fleet.value.minions : [];
  const shown = useMemo(
    () =>
      all.filter(
        (m) =>
          (!matched.ids || matched.ids.has(m.id)) &&
          (!facet || grainValues(m.grains?.[facet.grain]).includes(facet.value)),
      ),
    [all, matched, facet],
  );
  const facets = useMemo(() => facetCounts(all, FACET_GRAINS), [all]);
  const connected = useMemo(() => all.reduce((n, m) => n + (m.connected ? 1 : 0), 0), [all]);
  const keys = fleet.state === 'ok' ? fleet.value.keys : undefined;
  return (
    <section aria-labelledby="fleet-title" class="page">
      <h1 id="fleet-title">Fleet</h1>
      {fleet.state === 'error' && <p role="alert">{fleet.error}</p>}
      <p class="summary" data-testid="fleet-summary">
        {all.length} minions, {connected} connected{' '}
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </p>
      <form class="row" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Target
          <input
            value={target}
            placeholder="web* or G@os:Debian and L@a,b"
            onInput={(e) => setTarget(e.currentTarget.value)}
            aria-describedby="fleet-count"
          />
        </label>
        <label>
          Type
          <select value={targetType} onChange={(e) => setTargetType(e.currentTarget.value)}>
            {TARGET_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <output id="fleet-count" aria-live="polite" data-testid="fleet-count">
          {matched.error ? matched.error : `${shown.length} shown`}
        </output>
        {s.caps.run && settled !== '' && !matched.error && (
          <a class="button" href={`#/run?target=${encodeURIComponent(settled)}&targetType=${targetType}`}>
            Run on these
          </a>
        )}
      </form>
      <div class="facets" aria-label="Grains facets">
        {[...facets].map(([grain, values]) => (
          <fieldset key={grain}>
            <legend>{grain}</legend>
            {values.slice(0, 8).map(([value, n]) => {
              const on = facet?.grain === grain && facet.value === value;
              return (
                <button
                  type="button"
                  key={value}
                  aria-pressed={on}
                  onClick={() => setFacet(on ? undefined : { grain, value })}
                >
                  {value} <span class="count">{n}</span>
                </button>
              );
            })}
          </fieldset>
        ))}
      </div>
      <div class="table-head fleet-grid" aria-hidden="true">
        <span>Minion</span>
        <span>State</span>
        <span>Last seen</span>
        <span>Key</span>
        <span>OS</span>
        <span>Role</span>
      </div>
      <VirtualList
        label={`Minions (${shown.length})`}
        count={shown.length}
        rowHeightPx={ROW_PX}
        class="fleet-list"
        renderRow={(i) => <FleetRow key={shown[i]!.id} m={shown[i]!} keyState={keys?.get(shown[i]!.id)} />}
      />
    </section>
  );
}

function FleetRow({ m, keyState }: { m: FleetMinion; keyState: string | undefined }) {
  const role = grainValues(m.grains?.['role'] ?? m.grains?.['roles']).join(', ');
  return (
    <div class="vrow fleet-grid" data-minion={m.id}>
      <a href={`#/minion/${encodeURIComponent(m.id)}`}>{m.id}</a>
      <span class={m.connected ? 'up' : 'down'}>{m.connected ? 'connected' : 'disconnected'}</span>
      <span>{when(m.lastSeen)}</span>
      <span>{keyState ?? 'accepted'}</span>
      <span>{grainValues(m.grains?.['os']).join(' ')}</span>
      <span>{role}</span>
    </div>
  );
}
