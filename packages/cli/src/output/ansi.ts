/** The colours the outputters use, as Salt's `salt.utils.color` names them. */
export interface Palette {
  cyan(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  /** Salt's LIGHT_YELLOW, for `None`, `True`, `False` and numbers. */
  lightYellow(s: string): string;
}

const RESET = '\x1b[0m';
const CODES = {
  cyan: '\x1b[0;36m',
  green: '\x1b[0;32m',
  red: '\x1b[0;31m',
  yellow: '\x1b[0;33m',
  lightYellow: '\x1b[1;33m',
};

/** A palette that wraps text in ANSI colour codes when `enabled`, and returns it unchanged otherwise. */
export function createPalette(enabled: boolean): Palette {
  const paint = (code: string) => (enabled ? (s: string) => (s === '' ? s : `${code}${s}${RESET}`) : (s: string) => s);
  return {
    cyan: paint(CODES.cyan),
    green: paint(CODES.green),
    red: paint(CODES.red),
    yellow: paint(CODES.yellow),
    lightYellow: paint(CODES.lightYellow),
  };
}

// CSI and OSC sequences first (so their parameters go too), then any other C0/C1 control but \t and \n.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Removes terminal escape sequences and control characters (except tab and newline) from text a
 * minion sent, so a return cannot move the cursor, retitle the terminal or forge colours, like
 * Salt's `strip_esc_sequence`. A bare `\r` goes too, so `\r\n` line ends become `\n`.
 */
export function stripControl(s: string): string {
  return s.replace(CONTROL, '');
}
