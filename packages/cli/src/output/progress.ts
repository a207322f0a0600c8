/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Number of targeted minions. */
  total: number;
  /** Where the bar goes; normally stderr, so stdout stays clean for the results. */
  out: { write(s: string): void };
  /** Whether `out` is a terminal; the bar is never drawn otherwise. */
  isTTY: boolean;
  /** `-p/--progress` was given. */
  enabled: boolean;
  /** Clock in ms. @default performance.now */
  now?: () => number;
  /** Shortest time between two redraws, in ms. @default 100 */
  minIntervalMs?: number;
  /** Width of the bar between the brackets, in characters. @default 20 */
  width?: number;
}

/** A one-line progress bar, redrawn in place with `\r`. */
export interface Progress {
  /** Records how many minions have returned so far and redraws, at most every `minIntervalMs` (the last count always draws). */
  update(returned: number): void;
  /** Erases the bar, so other output can be written; the next `update` draws it again straight away. */
  clear(): void;
  /** Erases the bar for good; later calls do nothing. */
  stop(): void;
}

const ERASE_LINE = '\r\x1b[2K';

/**
 * Creates the `-p/--progress` bar: `[#####...............] 120/1000 returned, 3.2 s`. It writes
 * nothing at all unless it is enabled and `out` is a TTY, so pipes and CI logs never see `\r`.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { total, out } = options;
  const now = options.now ?? (() => performance.now());
  const minIntervalMs = options.minIntervalMs ?? 100;
  const width = options.width ?? 20;
  const startedAt = now();
  let active = options.enabled && options.isTTY;
  let drawn = false;
  let lastDrawAt = -Infinity;

  const render = (returned: number, t: number): string => {
    const filled = total > 0 ? Math.min(width, Math.floor((returned / total) * width)) : width;
    const seconds = ((t - startedAt) / 1000).toFixed(1);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${returned}/${total} returned, ${seconds} s`;
  };
  const erase = (): void => {
    if (drawn) out.write(ERASE_LINE);
    drawn = false;
    lastDrawAt = -Infinity;
  };

  return {
    update(returned) {
      if (!active) return;
      const t = now();
      if (t - lastDrawAt < minIntervalMs && returned < total) return;
      out.write(`${ERASE_LINE}${render(returned, t)}`);
      drawn = true;
      lastDrawAt = t;
    },
    clear: erase,
    stop() {
      if (!active) return;
      erase();
      active = false;
    },
  };
}
