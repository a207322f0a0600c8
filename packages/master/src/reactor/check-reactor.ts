import type { ReactorEntryConfig } from '../config-automation.js';
import { REACTOR_CALL_NAMES } from './master-calls.js';
import { renderReactions, type ReactorFileOptions } from './reactor-files.js';

/**
 * Template errors that depend on the event's data (`{{ data.id }}` rendered with no data): not a
 * fault of the file, so a check without a real event cannot report them.
 */
const DATA_DEPENDENT =
  /undefined variable \(or None\) printed|Unable to call|is undefined|of undefined|null or undefined/;

/**
 * Checks every reactor SLS the config names, as `--check-config` and start-up do: the file
 * exists, its Jinja parses, and, when it renders without an event (`tag` is the entry's glob,
 * `data` empty), its YAML and reactions compile, and its runner and wheel reactions name
 * functions reactions can call. Returns the problems, each naming the file
 * (and line, or reaction id); an empty list when all is well.
 */
export async function checkReactorFiles(
  entries: readonly ReactorEntryConfig[],
  o: ReactorFileOptions,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const [glob, value] = Object.entries(entry)[0]!;
    const files = Array.isArray(value) ? value : value.sls;
    for (const file of files) {
      try {
        const reactions = await renderReactions(file, { tag: glob, data: {} }, o);
        for (const r of reactions)
          if (r.kind !== 'local' && !REACTOR_CALL_NAMES.includes(`${r.kind}.${r.fun}`))
            problems.push(
              `reactor[${i}] '${glob}': ${file}: reaction '${r.id}' calls ${r.kind}.${r.fun}, which reactions cannot call; they can call ${REACTOR_CALL_NAMES.join(', ')}`,
            );
      } catch (err) {
        const message = (err as Error).message;
        const jinjaAtRunTime = /Jinja error/.test(message) && DATA_DEPENDENT.test(message);
        if (!jinjaAtRunTime) problems.push(`reactor[${i}] '${glob}': ${message}`);
      }
    }
  }
  return problems;
}
