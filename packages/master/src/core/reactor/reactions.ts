import { jobRequestSchema, type JobRequest } from '@brine/protocol';

/** One reaction of a rendered reactor SLS: a job, a runner call or a wheel call. */
export type Reaction =
  | { kind: 'local'; id: string; request: JobRequest }
  | { kind: 'runner' | 'wheel'; id: string; fun: string; args: unknown[]; kwargs: Record<string, unknown> };

/** A reactor SLS that does not compile into reactions: where and why. */
export interface ReactionProblem {
  /** The reaction's id (the top-level key), when the problem is inside one. */
  id?: string;
  message: string;
}

/** The Brine-native form: a job request under `brine.job`, keys as in `POST /api/v1/jobs`. */
export const NATIVE_JOB_FORM = 'brine.job';

const FORM = /^(local|runner|wheel)\.([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)$/i;

/**
 * Compiles rendered reactor SLS data into reactions, in file order. Salt's forms:
 * `local.<fun>` with `tgt`, `tgt_type`, `arg` (positional), `kwarg` (a mapping) and `args`
 * (Salt 2017.7's list of one-key mappings, which are keyword arguments); `runner.<fun>` and
 * `wheel.<fun>` with `args`, or `arg`/`kwarg`, or (as older Salt) keywords written directly; and
 * `brine.job` with a job request as the API takes it. Parameters are a list of one-key mappings
 * (Salt's shape) or one mapping. Never throws: the first problem is returned with its reaction id.
 */
export function compileReactions(
  data: unknown,
): { ok: true; reactions: Reaction[] } | { ok: false; problem: ReactionProblem } {
  if (data === null || data === undefined) return { ok: true, reactions: [] };
  if (!isMapping(data)) return { ok: false, problem: { message: 'a reactor SLS is a mapping of reaction ids' } };
  const reactions: Reaction[] = [];
  for (const [id, body] of Object.entries(data)) {
    if (!isMapping(body) || Object.keys(body).length !== 1)
      return {
        ok: false,
        problem: { id, message: 'a reaction is a mapping with exactly one form (local.cmd.run: ...)' },
      };
    const [form, raw] = Object.entries(body)[0]!;
    const params = paramsOf(raw);
    if (!params) return { ok: false, problem: { id, message: `${form}: parameters are a list of one-key mappings` } };
    const compiled = compileOne(id, form, params);
    if (!compiled.ok) return { ok: false, problem: { id, message: compiled.message } };
    reactions.push(compiled.reaction);
  }
  return { ok: true, reactions };
}

function compileOne(
  id: string,
  form: string,
  p: Record<string, unknown>,
): { ok: true; reaction: Reaction } | { ok: false; message: string } {
  if (form === NATIVE_JOB_FORM) return local(id, p);
  const m = FORM.exec(form);
  if (!m)
    return {
      ok: false,
      message: `unknown form '${form}'; expected local.<fun>, runner.<fun>, wheel.<fun> or ${NATIVE_JOB_FORM}`,
    };
  const kind = m[1]!.toLowerCase() as 'local' | 'runner' | 'wheel';
  const fun = m[2]!;
  if (kind === 'local') {
    const { tgt, tgt_type, arg, kwarg, args, timeout, ...rest } = p;
    if (Object.keys(rest).length > 0)
      return { ok: false, message: `${form}: unknown parameter '${Object.keys(rest)[0]}'` };
    const fromArgs = args === undefined ? {} : kwargsOfArgs(args);
    if (!fromArgs) return { ok: false, message: `${form}: args is a list of one-key mappings` };
    return local(id, {
      target: tgt,
      target_type: tgt_type,
      fun,
      args: arg ?? [],
      kwargs: { ...(isMapping(kwarg) ? kwarg : {}), ...fromArgs },
      ...(typeof timeout === 'number' ? { timeout_ms: timeout * 1000 } : {}),
    });
  }
  return masterCall(id, form, kind, fun, p);
}

/**
 * A runner or wheel reaction's arguments as Salt's reactor reads them (salt/utils/reactor.py):
 * `args` (a list of one-key mappings: keyword arguments) when present; otherwise `arg`
 * (positional) and `kwarg` (a mapping), or, in the oldest form, keywords written directly
 * (`- mods: orch.deploy`).
 */
function masterCall(
  id: string,
  form: string,
  kind: 'runner' | 'wheel',
  fun: string,
  p: Record<string, unknown>,
): { ok: true; reaction: Reaction } | { ok: false; message: string } {
  const { args, arg, kwarg, ...direct } = p;
  if (args !== undefined) {
    const kwargs = kwargsOfArgs(args);
    if (!kwargs) return { ok: false, message: `${form}: args is a list of one-key mappings` };
    return { ok: true, reaction: { kind, id, fun, args: [], kwargs: { ...kwargs } } };
  }
  if (arg !== undefined && !Array.isArray(arg)) return { ok: false, message: `${form}: arg is a list` };
  if (kwarg !== undefined && !isMapping(kwarg)) return { ok: false, message: `${form}: kwarg is a mapping` };
  const kwargs = kwarg === undefined ? direct : { ...kwarg };
  return { ok: true, reaction: { kind, id, fun, args: arg ?? [], kwargs } };
}

/** The native job form, in the API's names (snake_case accepted as written in YAML). */
function local(
  id: string,
  p: Record<string, unknown>,
): { ok: true; reaction: Reaction } | { ok: false; message: string } {
  const parsed = jobRequestSchema.safeParse({
    target: p['target'],
    targetType: p['targetType'] ?? p['target_type'],
    fun: p['fun'],
    args: p['args'],
    kwargs: p['kwargs'],
    timeoutMs: p['timeoutMs'] ?? p['timeout_ms'],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `${issue.path.join('.') || 'job'}: ${issue.message}` };
  }
  return { ok: true, reaction: { kind: 'local', id, request: parsed.data } };
}

/** Salt's parameter list (`- tgt: web1`) or a plain mapping, as one mapping; undefined when neither. */
function paramsOf(raw: unknown): Record<string, unknown> | undefined {
  if (raw === null || raw === undefined) return {};
  if (isMapping(raw)) return raw;
  if (!Array.isArray(raw)) return undefined;
  const out: Record<string, unknown> = {};
  for (const item of raw) {
    if (!isMapping(item) || Object.keys(item).length !== 1) return undefined;
    Object.assign(out, item);
  }
  return out;
}

/** Salt's `args: [{name: value}, ...]` (or a mapping) as keyword arguments. */
function kwargsOfArgs(args: unknown): Record<string, unknown> | undefined {
  return paramsOf(args);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
