import { useMemo, useRef } from 'preact/hooks';
import type { StoredMinionRow } from './api.js';
import { useViewport } from './virtual-list.js';

const CELL_PX = 16;
/** The grid's height when its rows need more: about 36 rows, 2,800 cells at a time on a wide screen. */
const MAX_HEIGHT_PX = 580;

/** The class of a row's cell: `ok`, `failed`, or the outcome (`timed_out`, `offline`, ...), or `pending`. */
export function cellClass(r: StoredMinionRow): string {
  if (r.outcome === null || r.outcome === undefined) return 'pending';
  if (r.outcome === 'returned') return r.success ? 'ok' : 'failed';
  return r.outcome;
}

/**
 * One square per targeted minion, coloured by outcome, with a legend of counts. Only the rows of
 * squares in view exist in the DOM, so 10,000 cells scroll like 300. A square is a button that
 * opens that minion's return.
 */
export function OutcomeGrid({ rows, onPick }: { rows: readonly StoredMinionRow[]; onPick: (id: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const { top, height, width } = useViewport(ref);
  const perRow = Math.max(1, Math.floor((width - 4) / CELL_PX));
  const lines = Math.ceil(rows.length / perRow);
  const first = Math.max(0, Math.floor(top / CELL_PX) - 4);
  const last = Math.min(lines, Math.ceil((top + height) / CELL_PX) + 4);
  const counts = useMemo(() => {
    const c = new Map<string, number>();
    for (const r of rows) c.set(cellClass(r), (c.get(cellClass(r)) ?? 0) + 1);
    return [...c].sort((a, b) => b[1] - a[1]);
  }, [rows]);
  const cells = [];
  for (let i = first * perRow; i < Math.min(rows.length, last * perRow); i++) {
    const r = rows[i]!;
    const cls = cellClass(r);
    cells.push(
      <button
        type="button"
        key={r.id}
        class={`cell ${cls}`}
        title={`${r.id}: ${cls}${r.reason ? ` (${r.reason})` : ''}`}
        aria-label={`${r.id}: ${cls}`}
        data-minion={r.id}
        onClick={() => onPick(r.id)}
      />,
    );
  }
  return (
    <div class="grid-wrap">
      <ul class="legend" aria-label="Outcomes" data-testid="outcome-legend">
        {counts.map(([cls, n]) => (
          <li key={cls}>
            <span class={`cell ${cls}`} aria-hidden="true" /> {cls} <span class="count">{n}</span>
          </li>
        ))}
      </ul>
      <div
        ref={ref}
        class="outcome-grid"
        role="region"
        aria-label={`Outcome of ${rows.length} minions`}
        tabIndex={0}
        style={{ height: `${Math.min(lines * CELL_PX + 6, MAX_HEIGHT_PX)}px` }}
      >
        <div class="vlist-space" style={{ height: `${lines * CELL_PX}px` }}>
          <div
            class="grid-cells"
            style={{
              transform: `translateY(${first * CELL_PX}px)`,
              gridTemplateColumns: `repeat(${perRow}, ${CELL_PX}px)`,
            }}
          >
            {cells}
          </div>
        </div>
      </div>
    </div>
  );
}
