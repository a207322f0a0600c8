import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The master process's own figures for `/metrics`. */
export interface ProcessFigures {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssBytes: number;
}

/** A running watch of the process: its figures since the last read, and how to stop it. */
export interface ProcessWatch {
  /** The event-loop delay since the last call (then reset) and the resident memory now. */
  figures(): ProcessFigures;
  stop(): void;
}

/**
 * Starts measuring event-loop delay (10 ms resolution): what a reconnect storm or a large
 * fan-out does to everyone else, as `/metrics` shows it (`Metrics.process`).
 */
export function watchProcess(): ProcessWatch {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  return {
    figures: () => {
      const figures = {
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        rssBytes: process.memoryUsage.rss(),
      };
      loopDelay.reset();
      return figures;
    },
    stop: () => loopDelay.disable(),
  };
}
