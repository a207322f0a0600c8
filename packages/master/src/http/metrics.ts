/** Counters and a latency histogram for `/metrics`, in Prometheus text format. */
export class Metrics {
  jobsStarted = 0;
  returnsStored = 0;
  framesRejected = 0;
  readonly #buckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  readonly #counts = new Array<number>(this.#buckets.length + 1).fill(0);
  #sum = 0;
  #count = 0;

  /** Records one finished job's duration. */
  observeJobSeconds(seconds: number): void {
    const i = this.#buckets.findIndex((b) => seconds <= b);
    this.#counts[i === -1 ? this.#buckets.length : i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  /** The metrics as Prometheus exposition text. */
  render(gauges: { connectedMinions: number; knownMinions: number; activeJobs: number }): string {
    const lines = [
      '# HELP brine_minions_connected Minions with a live connection.',
      '# TYPE brine_minions_connected gauge',
      `brine_minions_connected ${gauges.connectedMinions}`,
      '# HELP brine_minions_known Accepted minions, connected or not.',
      '# TYPE brine_minions_known gauge',
      `brine_minions_known ${gauges.knownMinions}`,
      '# HELP brine_jobs_active Jobs still running.',
      '# TYPE brine_jobs_active gauge',
      `brine_jobs_active ${gauges.activeJobs}`,
      '# HELP brine_jobs_started_total Jobs started.',
      '# TYPE brine_jobs_started_total counter',
      `brine_jobs_started_total ${this.jobsStarted}`,
      '# HELP brine_returns_stored_total Minion returns written to the job cache.',
      '# TYPE brine_returns_stored_total counter',
      `brine_returns_stored_total ${this.returnsStored}`,
      '# HELP brine_job_duration_seconds Time from publish to the last outcome.',
      '# TYPE brine_job_duration_seconds histogram',
    ];
    let cum = 0;
    this.#buckets.forEach((b, i) => {
      cum += this.#counts[i]!;
      lines.push(`brine_job_duration_seconds_bucket{le="${b}"} ${cum}`);
    });
    lines.push(`brine_job_duration_seconds_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`brine_job_duration_seconds_sum ${this.#sum}`, `brine_job_duration_seconds_count ${this.#count}`);
    return lines.join('\n') + '\n';
  }
}
