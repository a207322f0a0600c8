/**
 * The run box's argument line, read the way the `brine` CLI reads its arguments: words split on
 * spaces (quotes keep spaces), `key=value` words are keyword arguments, and a word that is JSON
 * (a number, `true`, `[1,2]`, `{"a":1}`) is that value; anything else is a string.
 */

/** Splits a line into words: single and double quotes group, a backslash escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length && quote !== "'") {
      word += line[++i];
      any = true;
    } else if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (/\s/.test(c)) {
      if (any) words.push(word);
      word = '';
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) words.push(word);
  return words;
}

function valueOf(word: string): unknown {
  if (!/^(?:-?\d|\[|\{|true$|false$|null$)/.test(word)) return word;
  try {
    return JSON.parse(word) as unknown;
  } catch {
    return word;
  }
}

/** Positional and keyword arguments of an argument line. */
export function parseArgs(line: string): { args: unknown[]; kwargs: Record<string, unknown> } {
  const args: unknown[] = [];
  const kwargs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const word of splitWords(line)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
    if (m) kwargs[m[1]!] = valueOf(m[2]!);
    else args.push(valueOf(word));
  }
  return { args, kwargs: { ...kwargs } };
}
