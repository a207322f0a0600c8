import { Component } from 'preact';
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
  const lineNodes = [];
  for (let line = first; line < last; line++)
    lineNodes.push(
      <GridLine key={line} rows={rows} start={line * perRow} end={Math.min(rows.length, (line + 1) * perRow)} />,
    );
  // One listener for every cell: a click (or Enter on a focused cell) names its minion.
  const pick = (e: MouseEvent) => {
    const id = (e.target as HTMLElement).dataset['minion'];
    if (id !== undefined) onPick(id);
  };
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
          <div class="grid-lines" style={{ transform: `translateY(${first * CELL_PX}px)` }} onClick={pick}>
            {lineNodes}
          </div>
        </div>
      </div>
    </div>
  );
}

interface GridLineProps {
  rows: readonly StoredMinionRow[];
  start: number;
  end: number;
}

/**
 * One line of cells. It renders again only when its slice or the rows change, so a scroll by one
 * line mounts one line and drops one, instead of diffing every cell in view (measured: 34 long
 * tasks over a 120-frame scroll of 10,000 cells before, see bench/console.mjs).
 */
class GridLine extends Component<GridLineProps> {
  override shouldComponentUpdate(next: GridLineProps): boolean {
    return next.rows !== this.props.rows || next.start !== this.props.start || next.end !== this.props.end;
  }

  override render() {
    const { rows, start, end } = this.props;
    const cells = [];
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      const cls = cellClass(r);
      cells.push(
        <button
          type="button"
          class={`cell ${cls}`}
          title={`${r.id}: ${cls}${r.reason ? ` (${r.reason})` : ''}`}
          data-minion={r.id}
        />,
      );
    }
    return <div class="grid-line">{cells}</div>;
  }
}
