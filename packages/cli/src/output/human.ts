import type { JobSummary } from '@brine/protocol';
import { createPalette, stripControl, type Palette } from './ansi.js';
import { summaryLines } from './describe.js';
import { terseLine, type StateRet } from './highstate-format.js';
import type { MinionProgressEvent, OutputOptions } from './outputter.js';

/** What the formats for people (nested, txt, raw, table) share: colours, the jid line, live output, the summary. */
export interface HumanWriter {
  palette: Palette;
  /** Writes each line followed by a newline. */
  lines(lines: readonly string[]): void;
  /** Writes `jid: <jid>` once, before anything else, when `showJid` or `verbose` is set. */
  header(jid: string): void;
  /** Writes live output as `id | line` (stdout) or `id ! line` (stderr), whole lines only. */
  live(e: MinionProgressEvent): void;
  /** Writes the unfinished live lines of one minion, or of all when `id` is left out. */
  flushLive(id?: string): void;
  /** Flushes live output and writes Salt's summary block when `summary` is set. */
  footer(summary: JobSummary): void;
}

/** A partial line longer than this is written as it is, so a minion cannot make the CLI hold unbounded text. */
const MAX_PARTIAL_CHARS = 64 * 1024;

/** Creates the shared writer for one job's human output. */
export function createHumanWriter(options: OutputOptions): HumanWriter {
  const palette = createPalette(options.color);
  const partials = new Map<string, { id: string; stream: 'stdout' | 'stderr'; text: string }>();
  let headerDone = false;

  const lines = (ls: readonly string[]): void => {
    if (ls.length > 0) options.out.write(ls.map((l) => `${l}\n`).join(''));
  };
  const liveLine = (id: string, stream: 'stdout' | 'stderr', text: string): string => {
    const clean = stripControl(text);
    return stream === 'stderr' ? `${palette.cyan(id)} ! ${palette.red(clean)}` : `${palette.cyan(id)} | ${clean}`;
  };
  const header = (jid: string): void => {
    if (headerDone) return;
    headerDone = true;
    if (options.showJid || options.verbose) lines([`jid: ${jid}`]);
  };
  const flushLive = (id?: string): void => {
    for (const [key, p] of partials) {
      if (id !== undefined && p.id !== id) continue;
      partials.delete(key);
      if (p.text !== '') lines([liveLine(p.id, p.stream, p.text)]);
    }
  };

  return {
    palette,
    lines,
    header,
    live(e) {
      header(e.jid);
      if (e.stream === 'state') {
        lines([stateLine(palette, e.id, e.data)]);
        return;
      }
      const stream = e.stream;
      const key = `${e.id}\n${e.stream}`;
      const parts = ((partials.get(key)?.text ?? '') + e.data).split('\n');
      let rest = parts.pop() ?? '';
      const out = parts.map((l) => liveLine(e.id, stream, l));
      if (rest.length > MAX_PARTIAL_CHARS) {
        out.push(liveLine(e.id, stream, rest));
        rest = '';
      }
      partials.set(key, { id: e.id, stream, text: rest });
      lines(out);
    },
    flushLive,
    footer(summary) {
      header(summary.jid);
      flushLive();
      if (options.summary) lines(summaryLines(summary));
    },
  };
}

/** A state's result as it arrives (`state` progress): `id | ` and Salt's terse line for it. */
function stateLine(palette: Palette, id: string, data: string): string {
  try {
    const { key, result } = JSON.parse(data) as { key: string; result: StateRet };
    return `${palette.cyan(stripControl(id))} | ${terseLine(key, result, palette).trimStart()}`;
  } catch {
    return `${palette.cyan(stripControl(id))} | ${stripControl(data)}`;
  }
}
