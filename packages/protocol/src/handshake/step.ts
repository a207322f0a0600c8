/** One step of a handshake machine: the next state, and what its shell must do, in order. */
export interface Step<S, O> {
  state: S;
  outputs: O[];
}

/** A line for the shell's logger: fields first, a constant message second. */
export interface HandshakeLog {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}
