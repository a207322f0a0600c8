/** What {@link shouldColor} looks at; the bin fills it from the flags, `process.env` and the stream. */
export interface ColorInputs {
  /** Whether the output stream is a terminal (`process.stdout.isTTY`). */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** `--no-color` was given. @default false */
  noColor?: boolean;
  /** `--force-color` was given. @default false */
  forceColor?: boolean;
}

/**
 * Decides whether to colour output. The first rule that applies wins:
 * 1. `--force-color`: colour (it also wins over `--no-color` and `NO_COLOR`, since a flag on this
 *    command line is the most specific thing the user said; https://no-color.org lets flags override).
 * 2. `--no-color`: no colour.
 * 3. `NO_COLOR` set to any non-empty value: no colour (https://no-color.org).
 * 4. `FORCE_COLOR` set: colour unless it is `0` or `false` (the Node and CI convention for logs
 *    that are not terminals).
 * 5. `TERM=dumb`: no colour.
 * 6. Otherwise colour exactly when the stream is a TTY.
 */
export function shouldColor(inputs: ColorInputs): boolean {
  if (inputs.forceColor === true) return true;
  if (inputs.noColor === true) return false;
  const { NO_COLOR, FORCE_COLOR, TERM } = inputs.env;
  if (NO_COLOR !== undefined && NO_COLOR !== '') return false;
  if (FORCE_COLOR !== undefined) return FORCE_COLOR !== '0' && FORCE_COLOR.toLowerCase() !== 'false';
  if (TERM === 'dumb') return false;
  return inputs.isTTY;
}
