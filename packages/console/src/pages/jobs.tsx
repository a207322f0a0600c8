import { useMemo, useState } from 'preact/hooks';
import type { JobListing } from '../api.js';
import type { Session } from '../app.js';
import { useLoad, when } from '../use.js';

const PAGE_SIZE = 50;
type Outcome = '' | 'success' | 'failed' | 'running';

/** What a job's outcome filter sees: running, success, or failed. */
export function jobOutcome(j: JobListing): Exclude<Outcome, ''> {
  return j.endedAt === undefined || !j.summary ? 'running' : j.summary.success ? 'success' : 'failed';
}

const toMs = (local: string) => (local === '' ? undefined : new Date(local).getTime());

/**
 * The job cache, newest first, a page at a time; function (glob), user and time filter on the
 * master, and the outcome filter on the page shown (the list API has no outcome filter).
 */
export function JobsPage({ s }: { s: Session }) {
  const [filter, setFilter] = useState({ fun: '', user: '', since: '', until: '', outcome: '' as Outcome });
  const [offset, setOffset] = useState(0);
  const query = useMemo(
    () => ({
      fun: filter.fun || undefined,
      user: filter.user || undefined,
      since: toMs(filter.since),
      until: toMs(filter.until),
      active: filter.outcome === 'running' ? 'true' : undefined,
      limit: PAGE_SIZE,
      offset,
    }),
    [filter, offset],
  );
  const [jobs] = useLoad(() => s.api.jobs(query), [s, query]);
  const list = jobs.state === 'ok' ? jobs.value.filter((j) => !filter.outcome || jobOutcome(j) === filter.outcome) : [];
  const set = (k: keyof typeof filter) => (e: Event) => {
    setOffset(0);
    setFilter({ ...filter, [k]: (e.currentTarget as HTMLInputElement).value });
  };
  return (
    <section class="page" aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form class="row filters" onSubmit={(e) => e.preventDefault()} aria-label="Job filters">
        <label>
          Function
          <input name="fun" value={filter.fun} placeholder="cmd.*" onChange={set('fun')} />
        </label>
        <label>
          User
          <input name="user" value={filter.user} onChange={set('user')} />
        </label>
        <label>
          From
          <input name="since" type="datetime-local" value={filter.since} onChange={set('since')} />
        </label>
        <label>
          To
          <input name="until" type="datetime-local" value={filter.until} onChange={set('until')} />
        </label>
        <label>
          Outcome
          <select name="outcome" value={filter.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failed">failed</option>
            <option value="running">running</option>
          </select>
        </label>
      </form>
      {jobs.state === 'error' && <p role="alert">{jobs.error}</p>}
      <div class="scroll-x">
        <table data-testid="jobs-table">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Function</th>
              <th scope="col">Target</th>
              <th scope="col">User</th>
              <th scope="col">Started</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {list.map((j) => (
              <tr key={j.jid} data-jid={j.jid}>
                <td>
                  <a href={`#/job/${j.jid}`} class="mono">
                    {j.jid}
                  </a>
                </td>
                <td class="mono">{j.fun}</td>
                <td class="mono clip">{Array.isArray(j.target) ? j.target.join(',') : j.target}</td>
                <td>{j.user}</td>
                <td>{when(j.startedAt)}</td>
                <td
                  class={`outcome ${jobOutcome(j) === 'success' ? 'ok' : jobOutcome(j) === 'failed' ? 'bad' : 'wait'}`}
                >
                  {jobOutcome(j)}
                  {j.summary ? ` ${j.summary.succeeded}/${j.summary.targeted}` : ` (${j.targeted})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="row" aria-label="Pages">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
          Newer
        </button>
        <span>
          {offset + 1}–{offset + (jobs.state === 'ok' ? jobs.value.length : 0)}
        </span>
        <button
          type="button"
          disabled={jobs.state !== 'ok' || jobs.value.length < PAGE_SIZE}
          onClick={() => setOffset(offset + PAGE_SIZE)}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
