import { describe, expect, it } from 'vitest';
import { batchOf, brineProgram } from './brine-command.js';
import type { Io } from './common.js';

const io = { env: {}, exitCode: 0, stdout: { write: () => true }, stderr: { write: () => true } } as unknown as Io;

/** The options `brine` parses from argv, without running anything. */
function optionsOf(argv: string[]): Record<string, unknown> {
  let seen: Record<string, unknown> = {};
  brineProgram(io)
    .exitOverride()
    .action((_t: string, _f: string, _w: string[], opts: Record<string, unknown>) => void (seen = opts))
    .parse(argv, { from: 'user' });
  return seen;
}

describe('brine flags', () => {
  it("takes Salt's --batch-size as -b", () => {
    expect(batchOf(optionsOf(['web*', 'test.ping', '--batch-size', '25%']))).toEqual({ batch: '25%' });
    expect(batchOf(optionsOf(['web*', 'test.ping', '-b', '2']))).toEqual({ batch: 2 });
    expect(batchOf(optionsOf(['web*', 'test.ping']))).toEqual({});
  });
});
