/**
 * A list that renders only the rows in view (plus a few either side), so 10,000 rows cost what
 * 30 do. Rows have one fixed height; the scroller is a focusable region with a label.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Props of {@link VirtualList}. */
export interface VirtualListProps {
  count: number;
  /** Height of a row, in CSS pixels. */
  rowHeightPx: number;
  /** The scroller's accessible name. */
  label: string;
  renderRow(index: number): ComponentChildren;
  /** Rows rendered beyond each edge of the view. @default 8 */
  overscan?: number;
  /** The scroller's height when the rows need more. @default 600 */
  maxHeightPx?: number;
  class?: string;
}

/** Tracks an element's scroll offset and height. */
export function useViewport(ref: { current: HTMLElement | null }): { top: number; height: number; width: number } {
  const [view, setView] = useState({ top: 0, height: 600, width: 800 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      setView({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    };
    // One update per animation frame, however many scroll events arrive.
    const onScroll = () => (frame ||= requestAnimationFrame(measure));
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener('scroll', onScroll, { passive: true });
    measure();
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ref]);
  return view;
}

/** A virtualised list of `count` rows. */
export function VirtualList(props: VirtualListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const { top, height } = useViewport(ref);
  const overscan = props.overscan ?? 8;
  const first = Math.max(0, Math.floor(top / props.rowHeightPx) - overscan);
  const last = Math.min(props.count, Math.ceil((top + height) / props.rowHeightPx) + overscan);
  const rows = [];
  for (let i = first; i < last; i++) rows.push(props.renderRow(i));
  return (
    <div
      ref={ref}
      class={`vlist ${props.class ?? ''}`}
      role="region"
      aria-label={props.label}
      tabIndex={0}
      style={{ height: `${Math.min(props.count * props.rowHeightPx + 2, props.maxHeightPx ?? 600)}px` }}
    >
      <div class="vlist-space" style={{ height: `${props.count * props.rowHeightPx}px` }}>
        <div class="vlist-rows" style={{ transform: `translateY(${first * props.rowHeightPx}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
