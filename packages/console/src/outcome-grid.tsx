import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StoredMinionRow } from './api.js';
import { useViewport } from './virtual-list.js';

/** A cell's pitch: a 14 px square and a 1 px gap each side. */
const CELL_PX = 16;
/** The grid's height when its lines need more: 36 lines, 2,800 cells at a time on a wide screen. */
const MAX_HEIGHT_PX = 580;
/** Left padding inside the grid. */
const PAD_PX = 2;

/** The class of a row's cell: `ok`, `failed`, or the outcome (`timed_out`, `offline`, ...), or `pending`. */
export function cellClass(r: StoredMinionRow): string {
  if (r.outcome === null || r.outcome === undefined) return 'pending';
  if (r.outcome === 'returned') return r.success ? 'ok' : 'failed';
  return r.outcome;
}

/** The CSS custom property that colours each cell class (styles.css defines them per theme). */
const COLOR_VAR: Readonly<Record<string, string>> = {
  ok: '--ok',
  failed: '--bad',
  interrupted: '--bad',
  timed_out: '--warn',
  no_ack: '--warn',
  offline: '--muted',
  cancelled: '--muted',
  pending: '--line',
};

/**
 * One square per targeted minion, coloured by outcome, with a legend of counts. The squares in
 * view are drawn on one canvas that stays at the top of the scroller, so a scroll costs one
 * redraw of a few thousand rectangles, not a DOM of thousands of elements (bench/console.mjs at
 * 10,000 minions: a DOM cell per minion took 34 long tasks in a 120-frame scroll). The grid is a
 * focusable region: arrow keys, Home and End move a cursor whose minion a live status names,
 * Enter opens its return; a click opens the square under the pointer.
 */
export function OutcomeGrid({ rows, onPick }: { rows: readonly StoredMinionRow[]; onPick: (id: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { top, height, width } = useViewport(ref);
  const [cursor, setCursor] = useState(-1);
  const perRow = Math.max(1, Math.floor((width - 2 * PAD_PX) / CELL_PX));
  const lines = Math.ceil(rows.length / perRow);
  const classes = useMemo(() => rows.map(cellClass), [rows]);
  const counts = useMemo(() => {
    const c = new Map<string, number>();
    for (const cls of classes) c.set(cls, (c.get(cls) ?? 0) + 1);
    return [...c].sort((a, b) => b[1] - a[1]);
  }, [classes]);

  useEffect(() => {
    const el = canvas.current;
    // The canvas is never taller than the lines, so it adds no scroll of its own.
    const heightPx = Math.min(height, lines * CELL_PX);
    if (el) draw(el, { classes, perRow, topPx: top, widthPx: width, heightPx, cursor });
  }, [classes, perRow, lines, top, width, height, cursor]);

  const indexAt = (e: MouseEvent): number => {
    const box = canvas.current!.getBoundingClientRect();
    const col = Math.floor((e.clientX - box.left - PAD_PX) / CELL_PX);
    const line = Math.floor((e.clientY - box.top + top) / CELL_PX);
    const i = line * perRow + col;
    return col >= 0 && col < perRow && i >= 0 && i < rows.length ? i : -1;
  };
  const move = (to: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setCursor(i);
    const el = ref.current!;
    const y = Math.floor(i / perRow) * CELL_PX;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + CELL_PX > el.scrollTop + el.clientHeight) el.scrollTop = y + CELL_PX - el.clientHeight;
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const at = Math.max(cursor, 0);
    const to: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowLeft: at - 1,
      ArrowDown: at + perRow,
      ArrowUp: at - perRow,
      Home: 0,
      End: rows.length - 1,
    };
    if (e.key in to) move(cursor < 0 ? 0 : to[e.key]!);
    else if ((e.key === 'Enter' || e.key === ' ') && rows[at]) onPick(rows[at]!.id);
    else return;
    e.preventDefault();
  };
  const current = cursor >= 0 ? rows[cursor] : undefined;
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
        aria-label={`Outcome of ${rows.length} minions: arrow keys move, Enter opens a return`}
        aria-describedby="grid-cursor"
        tabIndex={0}
        onKeyDown={onKeyDown}
        onFocus={() => cursor < 0 && rows.length > 0 && setCursor(0)}
        style={{ height: `${Math.min(lines * CELL_PX + 6, MAX_HEIGHT_PX)}px` }}
      >
        <div class="vlist-space" style={{ height: `${lines * CELL_PX}px` }}>
          <canvas
            ref={canvas}
            class="grid-canvas"
            onClick={(e) => {
              const i = indexAt(e);
              if (i < 0) return;
              setCursor(i);
              onPick(rows[i]!.id);
            }}
            onMouseMove={(e) => {
              const i = indexAt(e);
              e.currentTarget.title = i >= 0 ? `${rows[i]!.id}: ${classes[i]}` : '';
            }}
          />
        </div>
      </div>
      <output id="grid-cursor" aria-live="polite" data-testid="grid-cursor" class="muted">
        {current ? `${current.id}: ${classes[cursor]}${current.reason ? ` (${current.reason})` : ''}` : ''}
      </output>
    </div>
  );
}

/** What one redraw needs. */
interface DrawState {
  classes: readonly string[];
  perRow: number;
  topPx: number;
  widthPx: number;
  heightPx: number;
  cursor: number;
}

/** Draws the cells in view (and the cursor) on a canvas the size of the viewport. */
function draw(el: HTMLCanvasElement, s: DrawState): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, s.widthPx);
  const h = Math.max(1, s.heightPx);
  if (el.width !== Math.round(w * dpr) || el.height !== Math.round(h * dpr)) {
    el.width = Math.round(w * dpr);
    el.height = Math.round(h * dpr);
    el.style.width = `${w}px`;
    el.style.height = `${h}px`;
  }
  // Sticky at the top of the scroller, the canvas shows whatever the scroll offset reveals.
  el.style.top = '0px';
  const ctx = el.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const css = getComputedStyle(el);
  const colors = new Map(Object.entries(COLOR_VAR).map(([cls, v]) => [cls, css.getPropertyValue(v).trim()]));
  const first = Math.floor(s.topPx / CELL_PX);
  const last = Math.ceil((s.topPx + h) / CELL_PX);
  let drawn = -1;
  for (let line = first; line < last; line++) {
    const y = line * CELL_PX - s.topPx + 1;
    for (let col = 0; col < s.perRow; col++) {
      const i = line * s.perRow + col;
      if (i >= s.classes.length) break;
      ctx.fillStyle = colors.get(s.classes[i]!) ?? colors.get('pending')!;
      ctx.fillRect(PAD_PX + col * CELL_PX + 1, y, CELL_PX - 2, CELL_PX - 2);
      drawn = i;
    }
  }
  if (s.cursor >= 0) {
    const line = Math.floor(s.cursor / s.perRow);
    const col = s.cursor % s.perRow;
    ctx.strokeStyle = css.getPropertyValue('--focus').trim();
    ctx.lineWidth = 2;
    ctx.strokeRect(PAD_PX + col * CELL_PX, line * CELL_PX - s.topPx, CELL_PX, CELL_PX);
  }
  // For tests and the benchmark: the last cell on screen.
  el.dataset['lastDrawn'] = String(drawn);
}
