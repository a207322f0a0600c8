import { StateError, StateErrorCode } from '../errors.js';

/** Parses JSON, throwing `ERR_STATE_JSON` with the file and the line of the error. */
export function loadJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(reason);
    const line = at === null ? undefined : text.slice(0, Number(at[1])).split('\n').length;
    throw new StateError(
      StateErrorCode.JSON,
      `JSON error in ${file}${line === undefined ? '' : `:${line}`}: ${reason}`,
      {
        file,
        line,
      },
    );
  }
}
