import { useState } from 'preact/hooks';
import type { MinionResult } from './api.js';
import { ReturnView } from './return-view.js';
import { VirtualList } from './virtual-list.js';

const ROW_PX = 32;

/** A short text of a return for one table cell. */
export function brief(ret: unknown): string {
  const t = typeof ret === 'string' ? ret : JSON.stringify(ret);
  return t === undefined ? '' : t.length > 120 ? `${t.slice(0, 119)}…` : t;
}

/**
 * One row per targeted minion: outcome, reason, retcode and a short return; a row opens the
 * whole return (and the live output of a `stream` job) below the list.
 */
export function ResultRows(props: {
  ids: readonly string[];
  results: ReadonlyMap<string, MinionResult>;
  output?: ReadonlyMap<string, string>;
}) {
  const [open, setOpen] = useState<string | undefined>();
  const live = props.output && props.output.size > 0;
  const shown = open ?? (live ? [...props.output!.keys()][0] : undefined);
  const openResult = shown === undefined ? undefined : props.results.get(shown);
  return (
    <>
      <VirtualList
        label="Results per minion"
        count={props.ids.length}
        rowHeightPx={ROW_PX}
        class="result-list"
        renderRow={(i) => {
          const id = props.ids[i]!;
          const r = props.results.get(id);
          return (
            <div class="vrow result-grid" key={id} data-minion={id} data-outcome={r?.outcome ?? 'pending'}>
              <button type="button" class="linkish" onClick={() => setOpen(id)} aria-label={`Show the return of ${id}`}>
                {id}
              </button>
              <span class={`outcome ${r ? (r.success ? 'ok' : 'bad') : 'wait'}`}>{r?.outcome ?? 'waiting'}</span>
              <span>{r?.reason ?? (r?.retcode !== undefined ? `retcode ${r.retcode}` : '')}</span>
              <span class="mono clip">{r ? brief(r.ret) : ''}</span>
            </div>
          );
        }}
      />
      {shown !== undefined && (
        <section aria-label={`Return of ${shown}`} class="return">
          <h3>{shown}</h3>
          {props.output?.get(shown) !== undefined && (
            <pre class="live-output" aria-label={`Live output of ${shown}`} data-testid="live-output">
              {props.output.get(shown)}
            </pre>
          )}
          {openResult && <ReturnView result={openResult} />}
        </section>
      )}
    </>
  );
}
