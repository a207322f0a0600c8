import { useEffect, useRef, useState } from 'preact/hooks';
import type { JobRequest, JobStreamEvent, JobSummary, MinionResult } from '../api.js';
import type { Session } from '../app.js';
import { parseArgs } from '../args.js';
import { loadCatalogue, type Catalogue } from '../catalogue.js';
import { ResultRows } from '../result-rows.js';
import { TARGET_TYPES } from '../target-types.js';
import { messageOf, useDebounced } from '../use.js';

/** A job the run box started, as its stream has told it so far. */
interface Run {
  jid?: string;
  fun: string;
  minions: string[];
  results: Map<string, MinionResult>;
  output: Map<string, string>;
  summary?: JobSummary;
  error?: string;
}

/** Most bytes of live output kept per minion. */
const OUTPUT_CAP_CHARS = 64 * 1024;

/**
 * The run box: target and type, a function with completion and docs, arguments, a preview of
 * the minions the target selects, then results streaming in per minion (NDJSON), live output
 * of `stream` jobs, cancel, and a re-run on the minions that failed.
 */
export function RunPage({
  s,
  initial,
}: {
  s: Session;
  initial: { target?: string; targetType?: string; fun?: string };
}) {
  const [target, setTarget] = useState(initial.target ?? '');
  const [targetType, setTargetType] = useState(initial.targetType ?? 'glob');
  const [fun, setFun] = useState(initial.fun ?? 'test.ping');
  const [argLine, setArgLine] = useState('');
  const [stream, setStream] = useState(false);
  const [timeoutS, setTimeoutS] = useState(60);
  const [preview, setPreview] = useState<{ ids?: string[]; error?: string }>({});
  const [catalogue, setCatalogue] = useState<Catalogue | undefined>();
  const [run, setRun] = useState<Run | undefined>();
  const [, setTick] = useState(0);
  const abort = useRef<AbortController | undefined>(undefined);
  const frame = useRef(0);
  const settled = useDebounced(`${target}\u0000${targetType}\u0000${fun}`, 300);

  const request = (over: Partial<JobRequest> = {}): JobRequest => ({
    target: target.trim(),
    targetType,
    fun: fun.trim(),
    ...parseArgs(argLine),
    stream,
    timeoutMs: Math.max(1, timeoutS) * 1000,
    ...over,
  });

  useEffect(() => {
    if (target.trim() === '' || !/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i.test(fun.trim())) return setPreview({});
    let live = true;
    s.api
      .preview(request())
      .then((ids) => live && setPreview({ ids }))
      .catch((err: unknown) => live && setPreview({ error: messageOf(err) }));
    return () => {
      live = false;
    };
    // `settled` stands for the fields request() reads, once they stop changing.
  }, [s, settled]);

  const first = preview.ids?.[0];
  useEffect(() => {
    if (catalogue !== undefined || first === undefined) return;
    setCatalogue({});
    void loadCatalogue(s.api, first, s.caps.functionPatterns).then(setCatalogue);
  }, [s, first, catalogue]);

  // Results can arrive thousands a second: render at most once an animation frame.
  const redraw = () => (frame.current ||= requestAnimationFrame(() => ((frame.current = 0), setTick((t) => t + 1))));
  const start = (req: JobRequest) => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    const r: Run = { fun: req.fun, minions: [], results: new Map(), output: new Map() };
    setRun(r);
    const onEvent = (e: JobStreamEvent) => {
      if (e.type === 'job.started') {
        r.jid = e.jid;
        r.minions = e.minions;
      } else if (e.type === 'minion.result') r.results.set(e.result.id, e.result);
      else if (e.type === 'minion.progress')
        r.output.set(e.id, ((r.output.get(e.id) ?? '') + e.data).slice(-OUTPUT_CAP_CHARS));
      else r.summary = e.summary;
      redraw();
    };
    s.api.run(req, onEvent, controller.signal).catch((err: unknown) => {
      if (!controller.signal.aborted) {
        r.error = messageOf(err);
        redraw();
      }
    });
  };
  useEffect(() => () => abort.current?.abort(), []);

  const failed = run ? run.minions.filter((id) => run.results.get(id)?.success === false) : [];
  const doc = catalogue?.[fun.trim()];
  return (
    <section class="page" aria-labelledby="run-title">
      <h1 id="run-title">Run</h1>
      <form
        class="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          start(request());
        }}
      >
        <label>
          Target
          <input value={target} required onInput={(e) => setTarget(e.currentTarget.value)} name="target" />
        </label>
        <label>
          Target type
          <select value={targetType} onChange={(e) => setTargetType(e.currentTarget.value)} name="targetType">
            {TARGET_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Function
          <input
            value={fun}
            required
            list="functions"
            name="fun"
            autocomplete="off"
            onInput={(e) => setFun(e.currentTarget.value)}
            aria-describedby="fun-doc"
          />
          <datalist id="functions">
            {Object.keys(catalogue ?? {}).map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </label>
        <label class="wide">
          Arguments
          <input
            value={argLine}
            name="args"
            placeholder={`'echo hi' cwd=/tmp`}
            onInput={(e) => setArgLine(e.currentTarget.value)}
          />
        </label>
        <label>
          Timeout (s)
          <input type="number" min={1} value={timeoutS} onInput={(e) => setTimeoutS(Number(e.currentTarget.value))} />
        </label>
        <label class="check">
          <input type="checkbox" checked={stream} onChange={(e) => setStream(e.currentTarget.checked)} name="stream" />
          Live output (stream)
        </label>
        <pre id="fun-doc" class="doc" aria-label="Function documentation">
          {doc ?? (catalogue && Object.keys(catalogue).length ? 'No documentation for this name.' : '')}
        </pre>
        <output aria-live="polite" data-testid="run-preview" class="preview">
          {preview.error
            ? preview.error
            : preview.ids
              ? `${preview.ids.length} minion${preview.ids.length === 1 ? ' matches' : 's match'}: ${preview.ids.slice(0, 8).join(', ')}${preview.ids.length > 8 ? ', …' : ''}`
              : ''}
        </output>
        <div class="row">
          <button type="submit" disabled={!preview.ids?.length}>
            Run
          </button>
          {run?.jid && !run.summary && (
            <button type="button" class="danger" onClick={() => void s.api.cancel(run.jid!).catch(() => undefined)}>
              Cancel job
            </button>
          )}
          {run?.summary && failed.length > 0 && (
            <button
              type="button"
              onClick={() => start(request({ target: failed, targetType: 'list' }))}
              data-testid="rerun-failed"
            >
              Re-run on the {failed.length} failed
            </button>
          )}
        </div>
      </form>
      {run && <RunResults run={run} />}
    </section>
  );
}

function RunResults({ run }: { run: Run }) {
  const s = run.summary;
  return (
    <section aria-labelledby="results-title" class="results">
      <h2 id="results-title">
        {run.jid ? <a href={`#/job/${run.jid}`}>{run.jid}</a> : 'Starting…'} {run.fun}
      </h2>
      {run.error && <p role="alert">{run.error}</p>}
      <p role="status" data-testid="run-status">
        {s
          ? `done: ${s.succeeded} succeeded, ${s.failed} failed, ${s.didNotReturn} did not return of ${s.targeted} in ${s.durationMs} ms`
          : `running: ${run.results.size} of ${run.minions.length} returned`}
      </p>
      <ResultRows ids={run.minions} results={run.results} output={run.output} />
    </section>
  );
}
