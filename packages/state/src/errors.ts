/**
 * The table of stable error codes of the state engine. Codes are identifiers, never prose;
 * tests assert the code, not the message.
 */
export const StateErrorCode = {
  /** A Jinja template that does not render (syntax, undefined variable, a failing call). */
  TEMPLATE: 'ERR_STATE_TEMPLATE',
  /** Rendered text that is not valid YAML. */
  YAML: 'ERR_STATE_YAML',
  /** Rendered text that is not valid JSON. */
  JSON: 'ERR_STATE_JSON',
  /** A `#!` shebang naming a renderer the engine does not have. */
  RENDERER_UNKNOWN: 'ERR_STATE_RENDERER_UNKNOWN',
  /** An SLS (or template) that the file reader does not have. */
  SLS_NOT_FOUND: 'ERR_STATE_SLS_NOT_FOUND',
  /** Data of the wrong shape: an ID that is not a mapping, two functions in one state... */
  STRUCTURE: 'ERR_STATE_STRUCTURE',
  /** One state ID defined in two SLS files. */
  DUPLICATE_ID: 'ERR_STATE_DUPLICATE_ID',
  /** A requisite naming a state that no SLS defines. */
  REQUISITE_MISSING: 'ERR_STATE_REQUISITE_MISSING',
  /** Requisites that form a cycle. */
  REQUISITE_CYCLE: 'ERR_STATE_REQUISITE_CYCLE',
  /** An `extend:` of an ID that no SLS defines. */
  EXTEND_MISSING: 'ERR_STATE_EXTEND_MISSING',
  /** A relative include that climbs above the file root, or an include that is not a string. */
  INCLUDE: 'ERR_STATE_INCLUDE',
  /** A top file of the wrong shape. */
  TOP: 'ERR_STATE_TOP',
  /** A state function that the registry does not have. */
  FUNCTION_UNKNOWN: 'ERR_STATE_FUNCTION_UNKNOWN',
} as const;

/** One of the codes in {@link StateErrorCode}. */
export type StateErrorCodeValue = (typeof StateErrorCode)[keyof typeof StateErrorCode];

/**
 * One problem found while rendering or compiling, as data. `file` and `line` (1-based) say
 * where, when the parser knows; `message` already names them for a person to read.
 */
export interface StateProblem {
  code: StateErrorCodeValue;
  message: string;
  file?: string;
  line?: number;
  /** The state IDs involved, for a requisite or duplicate problem. */
  ids?: string[];
}

/** Base class for errors thrown inside the engine; `code` is stable, `message` is for people. */
export class StateError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;

  /** Makes an error with a code of {@link StateErrorCode}, where it happened, and the error behind it as `cause`. */
  constructor(
    readonly code: StateErrorCodeValue,
    message: string,
    options: ErrorOptions & { file?: string | undefined; line?: number | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StateError';
    this.file = options.file;
    this.line = options.line;
  }

  /** The error as a {@link StateProblem}. */
  toProblem(): StateProblem {
    const problem: StateProblem = { code: this.code, message: this.message };
    if (this.file !== undefined) problem.file = this.file;
    if (this.line !== undefined) problem.line = this.line;
    return problem;
  }
}

/** `file:line` when the line is known, else `file`. */
export function where(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}
