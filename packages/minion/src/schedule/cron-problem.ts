import { Cron } from 'croner';

/** The problem croner has with a cron expression, or undefined when it is valid (5 fields, or 6 with seconds first). */
export function cronProblem(expr: string): string | undefined {
  try {
    new Cron(expr, { paused: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
