import pino, { type Logger } from 'pino';

/**
 * Makes the root logger: JSON lines to stdout by default, pretty on a TTY when pino-pretty is
 * installed (it is a dev dependency; production logs stay JSON).
 */
export async function createRootLogger(level: string, name: string): Promise<Logger> {
  if (process.stdout.isTTY && process.env['BRINE_LOG_FORMAT'] !== 'json') {
    try {
      const pretty = (await import('pino-pretty')).default;
      return pino({ level, name }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
    } catch {
      // pino-pretty is optional; fall back to JSON.
    }
  }
  return pino({ level, name });
}
