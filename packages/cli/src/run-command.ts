import { Command, Option } from 'commander';
import type { MinionResult } from '@brine/protocol';
import { parseFunctionArgs, UsageError } from './args.js';
import { ApiCallError, ApiClient } from './client.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { commonOptions, runMain, type Io } from './common.js';
import { ExitCode } from './exit-codes.js';
import { createPalette, type Palette } from './output/ansi.js';
import { shouldColor } from './output/color.js';
import { didNotReturnLine } from '@brine/protocol/outcome-reasons';
import { renderNested } from './output/nested.js';
import { formatHighstate, isStateReturn } from './output/highstate-format.js';
import { ORCHESTRATE_RUNNERS, runOrchestrate } from './orchestrate-command.js';

type Runner = (client: ApiClient, args: unknown[], kwargs: Record<string, unknown>) => Promise<unknown>;

interface MinionRow {
  id: string;
  connected: boolean;
  lastSeen: number;
}

const str = (v: unknown) => (v === undefined ? undefined : String(v));

/** The runner functions, Salt's `salt-run jobs.*` and `manage.*`, over the REST API. */
const RUNNERS: Record<string, { doc: string; run: Runner }> = {
  'jobs.list': {
    doc: 'recent jobs; filters fun=GLOB user=NAME target=TEXT since=MS until=MS limit=N offset=N',
    run: async (c, _a, kw) => {
      const q = new URLSearchParams();
      for (const k of ['fun', 'user', 'target', 'since', 'until', 'limit', 'offset'])
        if (kw[k] !== undefined) q.set(k, String(kw[k]));
      const { jobs } = await c.json<{ jobs: { jid: string }[] }>('GET', `/api/v1/jobs?${q}`);
      return Object.fromEntries(jobs.map((j) => [j.jid, j]));
    },
  },
  'jobs.lookup': {
    doc: 'every targeted minion of a job, with those that never returned: jobs.lookup <jid>',
    run: async (c, a, kw) => {
      const jid = str(a[0] ?? kw['jid']);
      if (!jid) throw new UsageError('jobs.lookup needs a jid');
      const { minions } = await c.json<{
        minions: {
          id: string;
          outcome: MinionResult['outcome'] | null;
          ret?: unknown;
          reason?: string | null;
          durationMs?: number | null;
        }[];
      }>('GET', `/api/v1/jobs/${encodeURIComponent(jid)}`);
      // The same words `brine` prints for a non-return, e.g. `[offline, unknown minion]`.
      return Object.fromEntries(
        minions.map(({ id, outcome, ret, reason, durationMs }) => [
          id,
          outcome === 'returned'
            ? ret
            : outcome === null
              ? 'Minion did not return. [pending]'
              : didNotReturnLine(
                  {
                    outcome,
                    ...(reason == null ? {} : { reason }),
                    ...(durationMs == null ? {} : { durationMs }),
                  },
                  { verbose: false },
                ),
        ]),
      );
    },
  },
  'jobs.active': {
    doc: 'jobs still running',
    run: async (c) => (await c.json<{ jobs: unknown[] }>('GET', '/api/v1/jobs/active')).jobs,
  },
  'jobs.kill': {
    doc: 'cancel a running job; its minions kill its processes: jobs.kill <jid>',
    run: async (c, a, kw) => {
      const jid = str(a[0] ?? kw['jid']);
      if (!jid) throw new UsageError('jobs.kill needs a jid');
      return c.json('DELETE', `/api/v1/jobs/${encodeURIComponent(jid)}`);
    },
  },
  'audit.list': {
    doc: "the audit log, newest first (every master's when they share a database); filters user=NAME outcome=ok|denied|error since=MS until=MS limit=N",
    run: async (c, _a, kw) => {
      const q = new URLSearchParams();
      for (const k of ['user', 'outcome', 'since', 'until', 'limit']) if (kw[k] !== undefined) q.set(k, String(kw[k]));
      return (await c.json<{ entries: unknown[] }>('GET', `/api/v1/audit?${q}`)).entries;
    },
  },
  'manage.up': {
    doc: 'minions connected now',
    run: async (c) => (await minions(c)).filter((m) => m.connected).map((m) => m.id),
  },
  'manage.down': {
    doc: 'accepted minions not connected',
    run: async (c) => (await minions(c)).filter((m) => !m.connected).map((m) => m.id),
  },
  'manage.status': {
    doc: 'up and down minions',
    run: async (c) => {
      const all = await minions(c);
      return {
        up: all.filter((m) => m.connected).map((m) => m.id),
        down: all.filter((m) => !m.connected).map((m) => m.id),
      };
    },
  },
  'manage.present': {
    doc: 'minions the master knows (accepted keys)',
    run: async (c) => (await minions(c)).map((m) => m.id),
  },
  'schedule.list': scheduleRunner('schedule.list', 'master schedules with their source and last fire', []),
  'schedule.add': scheduleRunner(
    'schedule.add',
    "add a schedule: schedule.add NAME function=FUN target=TGT cron='0 * * * *' | hours=N [splay=S ...]",
  ),
  'schedule.delete': scheduleRunner('schedule.delete', 'delete a schedule added at run time: schedule.delete NAME'),
  'schedule.enable': scheduleRunner('schedule.enable_job', 'enable a schedule: schedule.enable NAME'),
  'schedule.disable': scheduleRunner('schedule.disable_job', 'disable a schedule: schedule.disable NAME'),
  'schedule.run_job': scheduleRunner('schedule.run_job', "run a schedule's job now: schedule.run_job NAME"),
  'cache.clear_pillar': {
    doc: "drop the master's cached compiled pillar of the minions a target selects: cache.clear_pillar [tgt] [tgt_type=glob]",
    run: async (c, a, kw) => {
      const chunk = { client: 'runner', fun: 'cache.clear_pillar', tgt: str(a[0] ?? kw['tgt']) ?? '*' };
      const body = [{ ...chunk, tgt_type: str(kw['tgt_type']) ?? 'glob' }];
      return (await c.json<{ return: unknown[] }>('POST', '/', body)).return[0];
    },
  },
};

/**
 * A runner the CLI has no entry for: a custom runner from the master's `_runners/` (issue #21),
 * else one of the master's salt-api runners (`test.echo`, `doc.runner`, `event.send`,
 * `manage.versions`, `jobs.lookup_jid`...), which `salt-run` users call by the same names.
 */
export async function masterRunner(
  c: ApiClient,
  fun: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
): Promise<unknown> {
  try {
    return (await c.json<{ ret: unknown }>('POST', `/api/v1/runners/${fun}`, { args, kwargs })).ret;
  } catch (err) {
    if (!(err instanceof ApiCallError) || err.status !== 404) throw err;
    try {
      const body = [{ client: 'runner', fun, arg: args, kwarg: kwargs }];
      return (await c.json<{ return: unknown[] }>('POST', '/', body)).return[0];
    } catch (saltErr) {
      // Not a salt-api runner either: the custom route's "no runner function" says it best.
      if (saltErr instanceof ApiCallError && saltErr.status === 400 && /not served|unknown/i.test(saltErr.message))
        throw err;
      throw saltErr;
    }
  }
}

/** The master scheduler's runners: one call of the salt-api runner client (`POST /`). */
function scheduleRunner(fun: string, doc: string, named: readonly string[] = ['name']): { doc: string; run: Runner } {
  return {
    doc,
    run: async (c, a, kw) => {
      const positional = Object.fromEntries(named.flatMap((n, i) => (a[i] === undefined ? [] : [[n, a[i]]])));
      const body = [{ client: 'runner', fun, ...positional, ...kw }];
      return (await c.json<{ return: unknown[] }>('POST', '/', body)).return[0];
    },
  };
}

/** The function names `brine-run` accepts, in the order its help lists them. */
export const RUNNER_FUNCTIONS: readonly string[] = [...Object.keys(RUNNERS), ...ORCHESTRATE_RUNNERS];

async function minions(c: ApiClient): Promise<MinionRow[]> {
  return (await c.json<{ minions: MinionRow[] }>('GET', '/api/v1/minions')).minions;
}

/** Builds `brine-run`: master-side functions (jobs and minion management). */
export function runProgram(io: Io): Command {
  const program = new Command('brine-run')
    .description("Run a master-side function (Salt's salt-run).")
    .argument('<function>', Object.keys(RUNNERS).join(', '))
    .argument('[args...]', "arguments; 'key=value' words are keyword arguments")
    .addOption(new Option('--out <format>', 'output format').choices(['nested', 'json']).default('nested'))
    .option('--no-color', 'no colours')
    .option('--force-color', 'colours even when not on a terminal');
  commonOptions(program);
  program.addHelpText(
    'after',
    `\nFunctions:\n${Object.entries(RUNNERS)
      .map(([n, r]) => `  ${n.padEnd(15)} ${r.doc}`)
      .join(
        '\n',
      )}\n  state.orchestrate run orchestration SLS on the master: state.orchestrate orch.deploy [test=True] [pillar='{...}'] (alias state.orch)\n  state.orchestrate_show_sls  the high data of orchestration SLS: state.orchestrate_show_sls orch.deploy\n  <module.function> a custom runner from the master's _runners/\n\nExamples:\n  brine-run state.orchestrate orch.deploy test=True\n  brine-run jobs.list fun='cmd.*' limit=10\n  brine-run jobs.lookup 20261125120000000001\n  brine-run manage.down\n`,
  );
  program.action(async (fun: string, words: string[], opts: Record<string, unknown>) => {
    const runner = Object.hasOwn(RUNNERS, fun) ? RUNNERS[fun] : undefined;
    if (!runner && !/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(fun))
      throw new UsageError(`unknown runner function "${fun}"; expected one of ${Object.keys(RUNNERS).join(', ')}`);
    const client = new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
    const { args, kwargs } = parseFunctionArgs(words);
    const palette = () =>
      createPalette(
        shouldColor({
          isTTY: io.stdout.isTTY === true,
          env: io.env,
          noColor: opts['color'] === false,
          forceColor: opts['forceColor'] === true,
        }),
      );
    if (ORCHESTRATE_RUNNERS.includes(fun)) {
      const json = opts['out'] === 'json';
      io.exitCode = await runOrchestrate(client, io, { fun, args, kwargs }, { json, palette: palette() });
      return;
    }
    // Any other module.function is a custom runner from the master's _runners/ (issue #21).
    const result = runner ? await runner.run(client, args, kwargs) : await masterRunner(client, fun, args, kwargs);
    if (opts['out'] === 'json') io.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const p = palette();
      const lines =
        fun === 'jobs.lookup' && isMapping(result)
          ? lookupLines(result, p)
          : renderNested(result, 0, { palette: p, failed: false });
      io.stdout.write(lines.join('\n') + '\n');
    }
    io.exitCode = ExitCode.OK;
  });
  return program;
}

/** Runs `brine-run` with an argv and returns the exit code. */
export function runRun(argv: string[], io: Io): Promise<number> {
  return runMain(runProgram(io), argv, io);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `jobs.lookup` per minion: a state run's return with the highstate outputter, anything else nested. */
function lookupLines(result: Record<string, unknown>, palette: Palette): string[] {
  return Object.entries(result).flatMap(([id, ret]) =>
    isStateReturn(ret)
      ? formatHighstate(id, ret, { palette, stateOutput: 'full', stateVerbose: true })
      : renderNested({ [id]: ret }, 0, { palette, failed: false }),
  );
}
