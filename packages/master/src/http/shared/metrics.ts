/** Escapes a label value for the Prometheus text format. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${label(v)}"`).join(',')}}`;
}

/** A Prometheus histogram with optional labels, rendered as cumulative `_bucket`, `_sum` and `_count`. */
export class Histogram {
  readonly #series = new Map<string, { pairs: [string, string][]; counts: number[]; sum: number; count: number }>();

  /** Makes a histogram; `buckets` are upper bounds in seconds, ascending. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly string[] = [],
  ) {}

  /** Records one observation for a label set (values in `labelNames` order). */
  observe(value: number, labelValues: readonly string[] = []): void {
    const key = labelValues.join('\0');
    let s = this.#series.get(key);
    if (!s) {
      const pairs = this.labelNames.map((n, i) => [n, labelValues[i] ?? ''] as [string, string]);
      this.#series.set(key, (s = { pairs, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    }
    const i = this.buckets.findIndex((b) => value <= b);
    if (i !== -1) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** The histogram's lines, HELP and TYPE first. */
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    const series = this.#series.size > 0 || this.labelNames.length > 0 ? [...this.#series.values()] : [empty(this)];
    for (const s of series) {
      let cum = 0;
      this.buckets.forEach((b, i) => {
        cum += s.counts[i]!;
        lines.push(`${this.name}_bucket${labels([...s.pairs, ['le', String(b)]])} ${cum}`);
      });
      lines.push(`${this.name}_bucket${labels([...s.pairs, ['le', '+Inf']])} ${s.count}`);
      lines.push(`${this.name}_sum${labels(s.pairs)} ${s.sum}`, `${this.name}_count${labels(s.pairs)} ${s.count}`);
    }
    return lines;
  }
}

function empty(h: Histogram) {
  return { pairs: [] as [string, string][], counts: h.buckets.map(() => 0), sum: 0, count: 0 };
}

/** Live values the master reads at scrape time. */
export interface Gauges {
  connectedMinions: number;
  knownMinions: number;
  activeJobs: number;
}

/** Counters and latency histograms for `/metrics`, in the Prometheus text exposition format 0.0.4. */
export class Metrics {
  /** The process's own figures (event-loop delay, memory), set by main.ts. */
  process: (() => { loopDelayP99Ms: number; loopDelayMaxMs: number; rssBytes: number }) | undefined;
  jobsStarted = 0;
  returnsStored = 0;
  /** API requests answered, for salt-api's `/stats`. */
  requestsTotal = 0;
  framesRejected = 0;
  hooksReceived = 0;
  readonly #authFailures = new Map<string, number>();
  /** Changed states per minion in its last `state.apply test=True` run, as a reactor reports it. */
  readonly #stateDrift = new Map<string, number>();
  readonly #jobSeconds = new Histogram(
    'brine_job_duration_seconds',
    'Time from publish to the last outcome.',
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  readonly #httpSeconds = new Histogram(
    'brine_http_request_duration_seconds',
    'REST API latency by route pattern, until the response closes (streams included).',
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    ['method', 'route', 'code'],
  );

  /** Records one finished job's duration. */
  observeJobSeconds(seconds: number): void {
    this.#jobSeconds.observe(seconds);
  }

  /** Records one API request; `route` is the pattern (`/api/v1/jobs/:jid`), never the raw URL. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.#httpSeconds.observe(seconds, [method, route, String(status)]);
    this.requestsTotal++;
    if (status === 401 || status === 403) {
      const reason = status === 401 ? 'unauthenticated' : 'forbidden';
      this.#authFailures.set(reason, (this.#authFailures.get(reason) ?? 0) + 1);
    }
  }

  /** Sets `brine_state_drift` for a minion (the drift example's reactor, docs/automation.md). */
  setStateDrift(minion: string, changes: number): void {
    this.#stateDrift.set(minion, changes);
  }

  /** The metrics as Prometheus exposition text (`text/plain; version=0.0.4`). */
  render(gauges: Gauges): string {
    const lines: string[] = [];
    const one = (name: string, type: 'gauge' | 'counter', help: string, value: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    one('brine_minions_connected', 'gauge', 'Minions with a live connection.', gauges.connectedMinions);
    one('brine_minions_known', 'gauge', 'Accepted minions, connected or not.', gauges.knownMinions);
    one('brine_jobs_active', 'gauge', 'Jobs still running.', gauges.activeJobs);
    one('brine_jobs_started_total', 'counter', 'Jobs started.', this.jobsStarted);
    one('brine_returns_stored_total', 'counter', 'Minion returns written to the job cache.', this.returnsStored);
    one('brine_frames_rejected_total', 'counter', 'Minion frames refused by the decoder.', this.framesRejected);
    one('brine_hooks_received_total', 'counter', 'Webhook requests whose signature verified.', this.hooksReceived);
    lines.push(
      '# HELP brine_api_auth_failures_total API requests refused with 401 or 403.',
      '# TYPE brine_api_auth_failures_total counter',
    );
    for (const reason of ['unauthenticated', 'forbidden'])
      lines.push(`brine_api_auth_failures_total${labels([['reason', reason]])} ${this.#authFailures.get(reason) ?? 0}`);
    const proc = this.process?.();
    if (proc) {
      one(
        'brine_event_loop_delay_p99_seconds',
        'gauge',
        'Event-loop delay, 99th percentile since the previous scrape.',
        proc.loopDelayP99Ms / 1000,
      );
      one(
        'brine_event_loop_delay_max_seconds',
        'gauge',
        'Event-loop delay, maximum since the previous scrape.',
        proc.loopDelayMaxMs / 1000,
      );
      one('brine_process_resident_memory_bytes', 'gauge', 'Resident set size of the master process.', proc.rssBytes);
    }
    lines.push(
      '# HELP brine_state_drift States a test=True run found changed, per minion, as last reported.',
      '# TYPE brine_state_drift gauge',
    );
    for (const [minion, n] of this.#stateDrift) lines.push(`brine_state_drift${labels([['minion', minion]])} ${n}`);
    lines.push(...this.#jobSeconds.render(), ...this.#httpSeconds.render());
    return lines.join('\n') + '\n';
  }
}
