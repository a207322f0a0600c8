import { Cron } from 'croner';

/**
 * The problem croner has with a cron expression (5 fields, or 6 with seconds first) in a time
 * zone (an IANA name; UTC when absent), or undefined when both are valid.
 */
export function cronProblem(expr: string, timezone = 'Etc/UTC'): string | undefined {
  try {
    // The zone is checked only when a date is converted: ask for one.
    new Cron(expr, { paused: true, timezone }).nextRun();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
