import { ErrorCode, isCompound, jobCalls, type JobSpec } from '@brine/protocol';
import { z } from 'zod';
import { MinionError, MinionErrorCode } from '../errors.js';
import { prepareCall, type PreparedCall } from '../modules/registry.js';
import type { ModuleContext, ModuleFunction, ModuleResult } from '../modules/types.js';

type Prepared = Extract<PreparedCall, { ok: true }>;

/**
 * Prepares a compound job (Salt's `test.echo,cmd.run`) as one call the executor runs like any
 * other: a function that runs each of the job's functions in order, under the job's one
 * context (signal, deadline, output), and returns `{[fun]: ret}`. It succeeds when every
 * function does; its retcode is the highest. A function that is unknown, gets bad arguments or
 * throws is its own failed result, and the others still run; once the job is stopped no
 * further function starts. `undefined` for a job of one function (the executor's usual path).
 */
export function prepareCompound(
  registry: ReadonlyMap<string, ModuleFunction>,
  spec: Pick<JobSpec, 'fun' | 'args' | 'kwargs'>,
): PreparedCall | undefined {
  if (!isCompound(spec.fun)) return undefined;
  const calls = jobCalls(spec);
  if (!calls.ok) return { ok: false, error: { code: ErrorCode.ARGS_INVALID, message: calls.message } };
  const prepared = calls.calls.map((c) => ({ fun: c.fun, call: prepareCall(registry, c.fun, c.args, c.kwargs) }));
  const fn: ModuleFunction = {
    name: spec.fun,
    doc: 'Several functions in one job.',
    params: [],
    schema: z.unknown(),
    run: (_input, ctx) => runAll(prepared, ctx),
  };
  return { ok: true, fn, input: undefined };
}

async function runAll(prepared: { fun: string; call: PreparedCall }[], ctx: ModuleContext): Promise<ModuleResult> {
  const ret: Record<string, unknown> = {};
  let retcode = 0;
  let success = true;
  for (const { fun, call } of prepared) {
    if (ctx.signal.aborted) break;
    const one = call.ok ? await runOne(call, ctx) : { ret: call.error, retcode: 254, success: false };
    ret[fun] = one.ret;
    retcode = Math.max(retcode, one.retcode);
    success &&= one.success;
  }
  return { ret, retcode, success };
}

async function runOne(
  call: Prepared,
  ctx: ModuleContext,
): Promise<{ ret: unknown; retcode: number; success: boolean }> {
  try {
    const out = await call.fn.run(call.input, ctx);
    const retcode = out.retcode ?? 0;
    return { ret: out.ret, retcode, success: out.success ?? retcode === 0 };
  } catch (err) {
    const ret =
      err instanceof MinionError
        ? err.toWire()
        : { code: MinionErrorCode.function, message: (err as Error).message ?? String(err) };
    return { ret, retcode: 1, success: false };
  }
}
