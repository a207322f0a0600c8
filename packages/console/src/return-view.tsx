import type { MinionResult, StoredMinionRow } from './api.js';
import { JsonView } from './json-view.js';
import { parseStateReturn, type StateResult } from './state-return.js';

/** One minion's return: a highstate table when it is a state return, JSON otherwise. */
export function ReturnView({ result }: { result: MinionResult | StoredMinionRow }) {
  const states = parseStateReturn(result.ret);
  return (
    <div class="return-view">
      <p>
        <span class={`outcome ${result.success ? 'ok' : 'bad'}`}>{result.outcome ?? 'pending'}</span>
        {result.reason ? ` · ${result.reason}` : ''}
        {result.retcode !== undefined ? ` · retcode ${result.retcode}` : ''}
        {'durationMs' in result && result.durationMs !== undefined ? ` · ${result.durationMs} ms` : ''}
      </p>
      {states ? (
        <StateResults states={states} />
      ) : (
        result.ret !== undefined && <JsonView value={result.ret} label="Return" />
      )}
    </div>
  );
}

/** Salt's highstate summary: each state with its result, comment and changes. */
function StateResults({ states }: { states: StateResult[] }) {
  const ok = states.filter((s) => s.result === true).length;
  const changed = states.filter((s) => Object.keys(s.changes).length > 0).length;
  const failed = states.filter((s) => s.result === false).length;
  return (
    <div class="states" data-testid="state-results">
      <p>
        {states.length} states: {ok} succeeded ({changed} changed), {failed} failed
        {states.some((s) => s.result === null)
          ? `, ${states.filter((s) => s.result === null).length} would change`
          : ''}
      </p>
      <ol>
        {states.map((s) => (
          <li key={s.key} class={`state state-${s.result === true ? 'ok' : s.result === false ? 'bad' : 'test'}`}>
            <div>
              <strong>{s.id}</strong> <span class="mono">{`${s.module}.${s.fun}`}</span>
              {s.name !== s.id ? <span class="mono"> {s.name}</span> : null}
              <span class="badge">{s.result === true ? 'ok' : s.result === false ? 'failed' : 'would change'}</span>
              {s.durationMs !== undefined && <span class="muted"> {s.durationMs.toFixed(1)} ms</span>}
            </div>
            {s.comment && <p class="comment">{s.comment}</p>}
            {Object.keys(s.changes).length > 0 && <Changes changes={s.changes} />}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** A state's changes: a unified diff coloured by line, `old → new` pairs, or JSON. */
function Changes({ changes }: { changes: Record<string, unknown> }) {
  return (
    <dl class="changes">
      {Object.entries(changes).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {k === 'diff' && typeof v === 'string' ? (
              <pre class="diff" aria-label="diff">
                {v.split('\n').map((line, i) => (
                  <span key={i} class={diffLineClass(line)}>
                    {line + '\n'}
                  </span>
                ))}
              </pre>
            ) : v && typeof v === 'object' && 'old' in v && 'new' in v ? (
              <span class="mono">
                <del>{JSON.stringify((v as { old: unknown }).old)}</del> →{' '}
                <ins>{JSON.stringify((v as { new: unknown }).new)}</ins>
              </span>
            ) : (
              <JsonView value={v} label={k} />
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A unified diff line's class: file headers and hunks first, then added and removed lines. */
export function diffLineClass(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('@@')) return 'hunk';
  return line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : undefined;
}
