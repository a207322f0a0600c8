import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../app.js';
import { OutcomeGrid } from '../outcome-grid.js';
import { ReturnView } from '../return-view.js';
import { messageOf, useLoad, when } from '../use.js';

/** How often an active job's page asks for its rows again. */
const ACTIVE_REFRESH_MS = 1500;

/**
 * One job: what ran where, by whom, its summary, the outcome grid of every targeted minion, and
 * the return of the minion picked in the grid (a highstate table for a state return).
 */
export function JobPage({ s, jid }: { s: Session; jid: string }) {
  const [job, reload] = useLoad(() => s.api.job(jid), [s, jid]);
  const [picked, setPicked] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const active = job.state === 'ok' && job.value.active;
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(reload, ACTIVE_REFRESH_MS);
    return () => clearTimeout(t);
  }, [active, job]);
  if (job.state === 'loading') return <p role="status">Loading job {jid}…</p>;
  if (job.state === 'error') return <p role="alert">{job.error}</p>;
  const { job: j, minions } = job.value;
  const row = picked === undefined ? undefined : minions.find((m) => m.id === picked);
  const failed = minions.filter((m) => m.outcome !== null && m.success !== true).map((m) => m.id);
  return (
    <section class="page" aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="job-title">
        <span class="mono">{j.fun}</span> <span class="muted mono">{jid}</span>
      </h1>
      <dl class="facts">
        <dt>Target</dt>
        <dd class="mono">
          {Array.isArray(j.target) ? j.target.join(',') : j.target} ({j.targetType})
        </dd>
        <dt>Arguments</dt>
        <dd class="mono">{JSON.stringify(j.args)}</dd>
        <dt>User</dt>
        <dd>{j.user}</dd>
        <dt>Started</dt>
        <dd>{when(j.startedAt)}</dd>
        <dt>State</dt>
        <dd data-testid="job-state">
          {active
            ? 'running'
            : j.summary
              ? `${j.summary.success ? 'success' : 'failed'}: ${j.summary.succeeded} succeeded, ${j.summary.failed} failed, ${j.summary.didNotReturn} did not return, ${j.summary.durationMs} ms`
              : 'ended'}
        </dd>
      </dl>
      <div class="row">
        {active && (
          <button
            type="button"
            class="danger"
            onClick={() =>
              s.api.cancel(jid).then(
                () => (setStatus('cancel sent'), reload()),
                (err: unknown) => setStatus(messageOf(err)),
              )
            }
          >
            Cancel job
          </button>
        )}
        {s.caps.run && !active && failed.length > 0 && (
          <a class="button" href={`#/run?target=${encodeURIComponent(failed.join(','))}&targetType=list&fun=${j.fun}`}>
            Re-run on the {failed.length} failed
          </a>
        )}
        <span role="status">{status}</span>
      </div>
      <h2>Minions</h2>
      <OutcomeGrid rows={minions} onPick={setPicked} />
      {row && (
        <section aria-label={`Return of ${row.id}`} class="return">
          <h3>{row.id}</h3>
          <ReturnView result={row} />
        </section>
      )}
    </section>
  );
}
