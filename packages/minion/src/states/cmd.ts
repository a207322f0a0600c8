import { existsSync } from 'node:fs';
import { z } from 'zod';
import { commandOptions, runCommand, type CommandOptions } from '../modules/run-command.js';
import { absolutePath } from '../modules/schemas.js';
import { masterUrl } from './schemas.js';
import { errorText, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const commandList = z.union([z.string().transform((s) => [s]), z.array(z.string())]);

/** The guards every `cmd.*` state takes (Salt's `creates`, `unless`, `onlyif`) and `stateful`. */
const guards = {
  creates: z.union([absolutePath.transform((s) => [s]), z.array(absolutePath)]).optional(),
  unless: commandList.optional(),
  onlyif: commandList.optional(),
  stateful: z.boolean().default(false),
  /** The shell that runs the command and the guards (Salt's `shell`), e.g. /bin/bash. */
  shell: absolutePath.default('/bin/sh'),
  ...commandOptions,
  // Salt's SLS often write env as a list of one-key mappings (`- env: [{LANG: C}]`); merge it.
  env: z.preprocess(
    (v) => (Array.isArray(v) ? Object.assign({}, ...v.filter((i) => typeof i === 'object' && i !== null)) : v),
    commandOptions.env,
  ),
};

type Guards = z.output<z.ZodObject<typeof guards>>;

/**
 * Why the command should not run (Salt's comment), or undefined when it should: every `creates`
 * path exists, an `unless` command succeeds, or an `onlyif` command fails.
 */
async function skipReason(g: Guards, ctx: StateContext): Promise<string | undefined> {
  if (g.creates !== undefined) {
    if (g.creates.every((p) => existsSync(p))) return 'All files in creates exist';
  }
  const opts = optionsOf(g);
  for (const cmd of g.onlyif ?? []) {
    if ((await runCommand([g.shell, '-c', cmd], opts, ctx)).retcode !== 0) return 'onlyif condition is false';
  }
  for (const cmd of g.unless ?? []) {
    if ((await runCommand([g.shell, '-c', cmd], opts, ctx)).retcode === 0) return 'unless condition is true';
  }
  return undefined;
}

function optionsOf(g: Guards): CommandOptions {
  return {
    cwd: g.cwd,
    env: g.env,
    stdin: g.stdin,
    runas: g.runas,
    timeout: g.timeout,
    rstrip: g.rstrip,
  } as CommandOptions;
}

/**
 * Salt's return for a command that ran: changes {pid, retcode, stdout, stderr}, failed on a
 * non-zero retcode. With `stateful`, the last line of stdout may be `changed=yes|no comment='...'`
 * (or a JSON object with those keys), which decides the changes and comment.
 */
function commandResult(
  name: string,
  r: { pid: number; retcode: number; stdout: string; stderr: string },
  stateful: boolean,
): StateResult {
  const base = stateResult(name, {
    result: r.retcode === 0,
    comment: `Command "${name}" run`,
    changes: { pid: r.pid, retcode: r.retcode, stdout: r.stdout, stderr: r.stderr },
  });
  if (!stateful) return base;
  const lines = r.stdout.trimEnd().split('\n');
  const said = parseStateLine(lines[lines.length - 1] ?? '');
  if (said === undefined) return base;
  const stdout = lines.slice(0, -1).join('\n');
  return {
    ...base,
    comment: said.comment ?? base.comment,
    changes: said.changed ? { ...base.changes, stdout } : {},
  };
}

/** `changed=yes comment="text"` or `{"changed": true, "comment": "text"}`; undefined otherwise. */
export function parseStateLine(line: string): { changed: boolean; comment?: string } | undefined {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const o = JSON.parse(trimmed) as { changed?: unknown; comment?: unknown };
      if (o.changed === undefined) return undefined;
      return {
        changed: o.changed === true || o.changed === 'yes',
        ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
      };
    } catch {
      return undefined;
    }
  }
  const pairs = new Map<string, string>();
  for (const m of trimmed.matchAll(/(\w+)=(?:"([^"]*)"|'([^']*)'|(\S+))/g))
    pairs.set(m[1]!, m[2] ?? m[3] ?? m[4] ?? '');
  const changed = pairs.get('changed');
  if (changed === undefined) return undefined;
  const comment = pairs.get('comment');
  return { changed: /^(yes|true)$/i.test(changed), ...(comment !== undefined ? { comment } : {}) };
}

async function runShell(a: Guards & { name: string }, ctx: StateContext): Promise<StateResult> {
  try {
    const reason = await skipReason(a, ctx);
    if (reason !== undefined) return stateResult(a.name, { comment: reason });
    if (ctx.test) return stateResult(a.name, { result: null, comment: `Command "${a.name}" would have been executed` });
    const r = await runCommand([a.shell, '-c', a.name], optionsOf(a), ctx);
    return commandResult(a.name, r, a.stateful);
  } catch (err) {
    return stateResult(a.name, { result: false, comment: errorText(err) });
  }
}

const runArgs = z.object({ name: z.string().min(1), ...guards });

const run = defineState({
  name: 'cmd.run',
  doc: `Runs \`name\` through /bin/sh -c (or \`shell\`) unless a guard says not to: \`creates\` (paths that all
exist), \`unless\` (a command that succeeds), \`onlyif\` (a command that fails). \`cwd\`, \`env\`,
\`runas\`, \`stdin\`, \`timeout\` as for the cmd.run function. A non-zero exit fails the state.
\`stateful: true\` reads \`changed=yes|no comment='...'\` from the last line of output. Changes:
{pid, retcode, stdout, stderr}. Not idempotent by itself: use a guard.

SLS Example:

    build-app:
      cmd.run:
        - name: make install
        - cwd: /srv/app
        - creates: /usr/local/bin/app`,
  args: runArgs,
  run: (a, ctx) => runShell(a, ctx),
  modWatch: (a, ctx) => runShell(a, ctx),
});

const wait = defineState({
  name: 'cmd.wait',
  doc: `Runs \`name\` only when a \`watch\` requisite saw changes (through mod_watch); on its own it
does nothing. Takes what cmd.run takes. Salt deprecates it for cmd.run with onchanges.

SLS Example:

    reload-app:
      cmd.wait:
        - name: systemctl reload app
        - watch:
          - file: /etc/app.conf`,
  args: runArgs,
  run: async (a) => stateResult(a.name),
  modWatch: (a, ctx) => runShell(a, ctx),
});

const scriptArgs = z.object({
  name: z.string().min(1),
  source: masterUrl.optional(),
  args: z.union([z.string().transform((s) => s.split(/\s+/).filter(Boolean)), z.array(z.string())]).default([]),
  ...guards,
});

async function runScript(a: z.output<typeof scriptArgs>, ctx: StateContext): Promise<StateResult> {
  try {
    const reason = await skipReason(a, ctx);
    if (reason !== undefined) return stateResult(a.name, { comment: reason });
    if (ctx.test) return stateResult(a.name, { result: null, comment: `Command "${a.name}" would have been executed` });
    const source = `brine://${a.source ?? a.name.replace(/^(brine|salt):\/\//, '')}`;
    const opts = Object.fromEntries(Object.entries(optionsOf(a)).filter(([, v]) => v !== undefined));
    const r = await ctx.call('cmd.script', [source, ...a.args], opts);
    return commandResult(a.name, r.ret as { pid: number; retcode: number; stdout: string; stderr: string }, a.stateful);
  } catch (err) {
    return stateResult(a.name, { result: false, comment: errorText(err) });
  }
}

const script = defineState({
  name: 'cmd.script',
  doc: `Fetches a script from the master (\`source\`, or \`name\` when it is a brine:// or salt:// URL),
runs it with \`args\` (a list, or a string split on spaces) and reports as cmd.run does; the
same guards and options apply. The script runs with no shell: its #! line picks the interpreter.

SLS Example:

    bootstrap:
      cmd.script:
        - source: brine://scripts/bootstrap.sh
        - args: --quiet
        - creates: /etc/app/bootstrapped`,
  args: scriptArgs,
  run: (a, ctx) => runScript(a, ctx),
  modWatch: (a, ctx) => runScript(a, ctx),
});

/** The `cmd.*` state functions: run, wait, script. */
export const cmdStates: readonly StateFunction[] = [run, wait, script];
