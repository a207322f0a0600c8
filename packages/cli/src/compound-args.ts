import { UsageError, parseFunctionArgs } from './args.js';

/** Salt's default `--args-separator`. */
export const DEFAULT_ARGS_SEPARATOR = ',';

/**
 * Splits the words after a compound function list (`test.echo,cmd.run`) into one word list per
 * function, as Salt's `salt` does: when the separator stands alone as a word exactly
 * `functions - 1` times, it separates the lists (`hello , 'uname -a'`); otherwise it splits
 * inside words too (`hello,'uname -a'`), an empty piece adding no argument.
 * @throws {UsageError} when the lists are fewer or more than the functions.
 */
export function splitCompoundWords(words: readonly string[], functions: number, separator: string): string[][] {
  const lists: string[][] = [[]];
  const standalone = words.filter((w) => w === separator).length === functions - 1;
  for (const word of words) {
    if (standalone) {
      if (word === separator) lists.push([]);
      else lists[lists.length - 1]!.push(word);
      continue;
    }
    const pieces = word.split(separator);
    pieces.forEach((piece, i) => {
      if (piece !== '') lists[lists.length - 1]!.push(piece);
      if (i < pieces.length - 1) lists.push([]);
    });
  }
  // Salt pads the lists of trailing functions that take no arguments (`test.echo,test.ping hi`).
  while (lists.length < functions) lists.push([]);
  if (lists.length > functions)
    throw new UsageError(`${lists.length} argument lists for ${functions} functions; check --args-separator`);
  return lists;
}

/**
 * The `args` of a compound job: one list per function, each ending with Salt's
 * `{__kwarg__: true, ...}` object when that function has `key=value` words.
 */
export function compoundArgs(words: readonly string[], functions: number, separator: string): unknown[][] {
  return splitCompoundWords(words, functions, separator).map((list) => {
    const { args, kwargs } = parseFunctionArgs(list);
    return Object.keys(kwargs).length > 0 ? [...args, { __kwarg__: true, ...kwargs }] : args;
  });
}
