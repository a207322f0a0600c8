import { StateError, StateErrorCode, where } from '../errors.js';
import { TEMPLATE_PATH } from './nunjucks-compat.js';

const LOCATION = /\(([^()\n]+)\) \[Line (\d+)(?:, Column (\d+))?\]/;
const PREFIXES = /\([^()\n]*\)(?: \[Line[^\]]*\])?\s*\n\s*|Template render error: |Error: /g;

function lineOf(source: string | undefined, needle: string): number | undefined {
  const i = source?.split('\n').findIndex((l) => l.includes(needle));
  return i === undefined || i < 0 ? undefined : i + 1;
}

/**
 * Turns a nunjucks render error into `ERR_STATE_TEMPLATE` naming the template and line where
 * it happened (an imported `map.jinja` rather than the SLS that imported it). nunjucks reports
 * printing an undefined value without naming it; the message quotes the expression instead.
 */
export function templateError(err: unknown, file: string, sourceOf: (path: string) => string | undefined): StateError {
  if (err instanceof StateError) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof StateError) return cause;
  const message = err instanceof Error ? err.message : String(err);
  const m = LOCATION.exec(message);
  const tagged = (err as Record<string, unknown> | null)?.[TEMPLATE_PATH];
  const path = typeof tagged === 'string' ? tagged : m?.[1] !== undefined && m[1] !== 'unknown path' ? m[1] : file;
  // Errors thrown by code a template called carry nunjucks' 0-based line; its own are 1-based.
  const own = (err as { lineno?: unknown } | null)?.lineno;
  const raw = typeof own === 'number' ? own : m?.[2] === undefined ? undefined : Number(m[2]);
  let line = raw === undefined ? undefined : raw + (cause instanceof Error ? 1 : 0);
  let reason = message.replace(PREFIXES, '').trim();
  const missing = /template not found: (\S+)/.exec(reason)?.[1];
  if (missing !== undefined) line = lineOf(sourceOf(path), missing) ?? line;
  if (reason.includes('attempted to output null or undefined value')) {
    const text = line === undefined ? undefined : sourceOf(path)?.split('\n')[line - 1];
    const expr = text === undefined ? undefined : /\{\{.*?\}\}/.exec(text)?.[0];
    reason = `undefined variable (or None) printed${expr === undefined ? '' : ` in ${expr}`}`;
  }
  return new StateError(StateErrorCode.TEMPLATE, `Jinja error in ${where(path, line)}: ${reason}`, {
    file: path,
    line,
    cause: err,
  });
}
