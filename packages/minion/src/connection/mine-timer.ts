import type { Logger } from 'pino';
import type { MineAccess, PillarAccess } from '../modules/types.js';

/** What the mine timer uses. */
export interface MineTimerDeps {
  executor: { callInternal(fun: string): Promise<unknown> };
  pillar: Pick<PillarAccess, 'items'>;
  mine: Pick<MineAccess, 'configured'>;
  /** Minutes between updates; 0 turns the timer off. */
  intervalMinutes: number;
  log: Logger;
}

/** The mine timer of a minion: `connected()` after each connect, `stop()` at shutdown. */
export interface MineTimer {
  connected(): void;
  stop(): void;
}

/**
 * Runs `mine.update` shortly after each connect (once the master has pushed the pillar, whose
 * `mine_functions` count too) and every `intervalMinutes` after, as Salt's `mine_interval` does,
 * but only when there are mine functions: a fleet without a mine sends nothing.
 */
export function scheduleMine(d: MineTimerDeps): MineTimer {
  if (d.intervalMinutes <= 0) return { connected: () => {}, stop: () => {} };
  const run = async (): Promise<void> => {
    let fromPillar: unknown;
    try {
      fromPillar = (await d.pillar.items())['mine_functions'];
    } catch {
      fromPillar = undefined;
    }
    const any =
      Object.keys(d.mine.configured()).length > 0 ||
      (typeof fromPillar === 'object' && fromPillar !== null && Object.keys(fromPillar).length > 0);
    if (!any) return;
    try {
      await d.executor.callInternal('mine.update');
    } catch (err) {
      d.log.warn({ code: (err as { code?: string }).code }, 'mine.update failed');
    }
  };
  const every = setInterval(() => void run(), d.intervalMinutes * 60_000);
  every.unref();
  let soon: NodeJS.Timeout | undefined;
  return {
    connected: () => {
      clearTimeout(soon);
      // The master pushes the pillar right after the welcome; give it a moment to arrive.
      soon = setTimeout(() => void run(), 2000);
      soon.unref();
    },
    stop: () => {
      clearInterval(every);
      clearTimeout(soon);
    },
  };
}
