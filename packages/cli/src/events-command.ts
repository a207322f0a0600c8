import { Command } from 'commander';
import { UsageError } from './args.js';
import { ApiClient } from './client.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { commonOptions, runMain, type Io } from './common.js';
import { createPalette } from './output/ansi.js';
import { shouldColor } from './output/color.js';

/** Builds `brine events`: streams the master's event bus, pretty or as JSON lines. */
export function eventsProgram(io: Io): Command {
  const program = new Command('brine events')
    .description("Stream the master's event bus (Salt's state.event).")
    .argument('[globs...]', "tag globs, e.g. 'brine/job/*' (default: everything you may see)")
    .option('--json', 'one JSON object per line')
    .option('--count <n>', 'stop after this many events', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1)
        throw new UsageError(`--count: expected a whole number above 0, got "${v}"`);
      return n;
    })
    .option('--no-color', 'no colours')
    .option('--force-color', 'colours even when not on a terminal');
  commonOptions(program);
  program.addHelpText(
    'after',
    "\nExamples:\n  brine events\n  brine events 'brine/job/*/ret/*' --json\n  brine events 'brine/minion/*/connected'\n",
  );
  program.action(async (globs: string[], opts: Record<string, unknown>) => {
    const client = new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
    const p = createPalette(
      shouldColor({
        isTTY: io.stdout.isTTY === true,
        env: io.env,
        noColor: opts['color'] === false,
        forceColor: opts['forceColor'] === true,
      }),
    );
    let left = typeof opts['count'] === 'number' ? (opts['count'] as number) : Number.POSITIVE_INFINITY;
    for await (const raw of client.events(`/api/v1/events?tags=${encodeURIComponent(globs.join(','))}`)) {
      const e = raw as { tag: string; data: unknown; stamp: number };
      if (opts['json']) io.stdout.write(JSON.stringify(e) + '\n');
      else io.stdout.write(`${p.cyan(e.tag)}\t${new Date(e.stamp).toISOString()}\n    ${JSON.stringify(e.data)}\n`);
      if (--left <= 0) break;
    }
  });
  return program;
}

/** Runs `brine events` with an argv (after `events`) and returns the exit code. */
export function runEvents(argv: string[], io: Io): Promise<number> {
  return runMain(eventsProgram(io), argv, io);
}
