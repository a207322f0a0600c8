import { filter, map, type Subscription } from 'rxjs';
import type { ApiClient } from './client.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './common.js';
import type { Palette } from './output/ansi.js';
import { formatHighstate, isStateReturn } from './output/highstate-format.js';
import { renderNested } from './output/nested.js';

/** The runner names `brine-run` sends to the runner client for orchestration. */
export const ORCHESTRATE_RUNNERS: readonly string[] = ['state.orchestrate', 'state.orch', 'state.orchestrate_show_sls'];

/** What `state.orchestrate` answers: Salt's runner shape plus the run's jid. */
interface OrchestrateAnswer {
  outputter?: string;
  data?: Record<string, unknown>;
  retcode?: number;
  jid?: string;
}

/** The runner client's chunk: the first word is `mods`, `key=value` words are keyword arguments. */
export function orchestrateChunk(
  fun: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
): Record<string, unknown> {
  const mods = args.length > 0 ? args.map(String).join(',') : kwargs['mods'];
  return { client: 'runner', fun, ...kwargs, ...(mods === undefined ? {} : { mods }) };
}

/**
 * Follows the run's steps on the event bus and writes one line per step to stderr as its result
 * is known: the first `brine/run/<jid>/new` with the same mods picks the run. Best effort: a step
 * that ends before the event stream is connected is only in the final output.
 */
function followSteps(client: ApiClient, io: Io, mods: string, palette: Palette): Follow {
  let jid: string | undefined;
  let ended!: () => void;
  const ended$ = new Promise<void>((resolve) => (ended = resolve));
  const wanted = mods.split(',').join(',');
  const subscription = client.sdk.transport
    .sse$(`/api/v1/events?tags=${encodeURIComponent('brine/run/*/new,brine/run/*/step,brine/run/*/ret')}`)
    .pipe(
      map((m) => m.data as { tag: string; data: Record<string, unknown> }),
      filter((e) => typeof e?.tag === 'string'),
    )
    .subscribe({
      next: (e) => {
        if (e.tag.endsWith('/new') && jid === undefined && [e.data['mods']].flat().join(',') === wanted)
          jid = String(e.data['jid']);
        else if (jid !== undefined && e.tag === `brine/run/${jid}/ret`) ended();
        else if (jid !== undefined && e.tag === `brine/run/${jid}/step`) {
          const r = e.data['result'] as { __id__?: string; result?: boolean | null; comment?: unknown };
          const word =
            r.result === true
              ? palette.green('ok')
              : r.result === null
                ? palette.yellow('would change')
                : palette.red('failed');
          io.stderr.write(`[orchestrate] ${String(r.__id__)}: ${word}\n`);
        }
      },
      error: () => undefined,
    });
  return { subscription, following: () => jid !== undefined, ended: ended$ };
}

/** A run followed on the event stream: whether its `new` event was seen, and when its `ret` arrives. */
interface Follow {
  subscription: Subscription;
  following(): boolean;
  ended: Promise<void>;
}

/** How long to wait, after the answer, for the stream to deliver the last step lines. */
const TAIL_MS = 3000;

/**
 * Runs `brine-run state.orchestrate|state.orch|state.orchestrate_show_sls` through the runner
 * client and prints the run with the highstate outputter (`--out json`: the answer as JSON).
 * Exits 1 when any step failed (the answer's `retcode`).
 */
export async function runOrchestrate(
  client: ApiClient,
  io: Io,
  call: { fun: string; args: unknown[]; kwargs: Record<string, unknown> },
  out: { json: boolean; palette: Palette },
): Promise<number> {
  const chunk = orchestrateChunk(call.fun, call.args, call.kwargs);
  const live =
    call.fun === 'state.orchestrate_show_sls'
      ? undefined
      : followSteps(client, io, String(chunk['mods'] ?? ''), out.palette);
  let answer: unknown;
  try {
    answer = (await client.json<{ return: unknown[] }>('POST', '/', [chunk])).return[0];
    // The answer can overtake the stream: let the last step lines arrive (until the run's `ret`).
    if (live?.following()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([live.ended, new Promise((r) => (timer = setTimeout(r, TAIL_MS)))]);
      clearTimeout(timer);
    }
  } finally {
    live?.subscription.unsubscribe();
  }
  if (out.json) io.stdout.write(JSON.stringify(answer, null, 2) + '\n');
  else io.stdout.write(lines(answer, out.palette).join('\n') + '\n');
  const retcode = (answer as OrchestrateAnswer | null)?.retcode;
  return typeof retcode === 'number' && retcode !== 0 ? ExitCode.JOB_FAILED : ExitCode.OK;
}

function lines(answer: unknown, palette: Palette): string[] {
  const a = answer as OrchestrateAnswer | null;
  const data = a?.outputter === 'highstate' && a.data ? a.data : (answer as Record<string, unknown>);
  if (data === null || typeof data !== 'object') return renderNested(answer, 0, { palette, failed: false });
  return Object.entries(data).flatMap(([id, ret]) =>
    isStateReturn(ret)
      ? formatHighstate(id, ret, { palette, stateOutput: 'full', stateVerbose: true })
      : renderNested({ [id]: ret }, 0, { palette, failed: Array.isArray(ret) }),
  );
}
