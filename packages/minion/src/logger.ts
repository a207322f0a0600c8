import pino, { type Logger } from 'pino';

/** The root logger: JSON lines on stdout, pretty on a TTY when pino-pretty is installed. */
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
