import { useEffect, useRef, useState } from 'preact/hooks';
import type { BusEvent } from '../api.js';
import type { Session } from '../app.js';
import { messageOf, useDebounced } from '../use.js';

/** Events kept on screen; older ones scroll away. */
const KEEP = 500;

/**
 * A live tail of the event bus, filtered on the master by tag globs (comma-separated), with
 * pause: while paused, events are counted but not shown, and resume shows the newest.
 */
export function EventsPage({ s }: { s: Session }) {
  const [tags, setTags] = useState('');
  const settled = useDebounced(tags.trim(), 400);
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<BusEvent[]>([]);
  const [missed, setMissed] = useState(0);
  const [error, setError] = useState('');
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  useEffect(() => {
    const controller = new AbortController();
    setEvents([]);
    setError('');
    const buffered: BusEvent[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = buffered.splice(0);
      setEvents((old) => [...batch.reverse(), ...old].slice(0, KEEP));
    };
    s.api
      .events(
        settled,
        (e) => {
          if (pausedRef.current) return setMissed((n) => n + 1);
          buffered.push(e);
          frame ||= requestAnimationFrame(flush);
        },
        controller.signal,
      )
      .catch((err: unknown) => setError(messageOf(err)));
    return () => {
      controller.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [s, settled]);
  return (
    <section class="page" aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form class="row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Tag filter
          <input
            name="tags"
            value={tags}
            placeholder="brine/job/*, brine/minion/*"
            onInput={(e) => setTags(e.currentTarget.value)}
          />
        </label>
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            setMissed(0);
            setPaused(!paused);
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setEvents([])}>
          Clear
        </button>
        <output aria-live="polite" data-testid="events-status">
          {paused ? `paused: ${missed} events not shown` : `${events.length} events`}
        </output>
      </form>
      {error && <p role="alert">{error}</p>}
      <ol class="events" aria-label="Events, newest first" data-testid="events">
        {events.map((e, i) => (
          <li key={`${events.length - i}`}>
            <span class="mono tag">{e.tag}</span>
            <span class="mono clip">{JSON.stringify(e.data)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
