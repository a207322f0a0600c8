#!/usr/bin/env node
/**
 * Runs one of the examples against the master that `@brine/client/node` finds (BRINE_URL and
 * BRINE_TOKEN, or the local master's cli.json), on the minions a glob selects:
 *
 *   node examples/sdk/dist/main.js merged|fastest|sequence|rolling|filter [target]
 *
 * Each prints what it got as JSON lines and exits 0, or 1 with the error's code.
 */
import { connectFromEnv } from '@brine/client/node';
import { lastValueFrom, tap } from 'rxjs';
import { fastestAnswer } from './fastest-answer.js';
import { filterThenRun$ } from './filter-then-run.js';
import { mergedJobs$ } from './merged-jobs.js';
import { rollingDeploy } from './rolling-deploy.js';
import { timedSequence$ } from './timed-sequence.js';

const [name, target = '*'] = process.argv.slice(2);
const client = connectFromEnv();
const print = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

const examples: Record<string, () => Promise<unknown>> = {
  merged: () =>
    lastValueFrom(
      mergedJobs$(client, [
        { target, fun: 'test.ping' },
        { target, fun: 'test.version' },
      ]).pipe(tap(print)),
      { defaultValue: undefined },
    ),
  fastest: async () => print(await fastestAnswer(client, { target, fun: 'test.version' })),
  sequence: () =>
    lastValueFrom(
      timedSequence$(
        client,
        [
          { target, fun: 'test.ping' },
          { target, fun: 'test.sleep', args: [1] },
        ],
        { pauseMs: 1000, budgetMs: 30_000 },
      ).pipe(tap(print)),
      { defaultValue: undefined },
    ),
  rolling: async () =>
    print(
      await rollingDeploy(client, {
        target,
        deploy: { fun: 'test.echo', args: ['deployed'] },
        check: { fun: 'test.ping' },
        rollback: { fun: 'test.echo', args: ['rolled back'] },
        deadlineMs: 60_000,
      }),
    ),
  filter: () =>
    lastValueFrom(
      filterThenRun$(client, { target, fun: 'grains.get', args: ['role'] }, (r) => r.ret === '', {
        fun: 'test.echo',
        args: ['no role grain here'],
      }).pipe(tap(print)),
      { defaultValue: undefined },
    ),
};

const example = name === undefined ? undefined : examples[name];
if (!example || !Object.hasOwn(examples, name!)) {
  process.stderr.write(`usage: main.js ${Object.keys(examples).join('|')} [target]\n`);
  process.exitCode = 64;
} else {
  example().catch((err: unknown) => {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`${e.code ?? 'ERR_EXAMPLE'}: ${e.message ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
