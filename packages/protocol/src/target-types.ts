import type { ErrorCode } from './errors.js';

/**
 * What a target is evaluated against: a minion's id and grains (`ipv4` among them), and on the
 * master its compiled pillar (`I@`/`J@`, `-I`/`-J`); a minion without compiled pillar matches no
 * pillar target.
 */
export interface TargetFacts {
  id: string;
  grains: Readonly<Record<string, unknown>>;
  pillar?: Readonly<Record<string, unknown>> | undefined;
}

/** A compiled target: whether one minion is selected. Pure, and cheap enough for 10,000 calls. */
export type TargetMatcher = (minion: TargetFacts) => boolean;

/** A nodegroup's definition: a compound expression, or a list of minion ids. */
export type NodegroupDefinition = string | readonly string[];

/** Options for compiling a target. */
export interface TargetOptions {
  /** Nodegroups from the master config: name → compound expression or list of ids. @default {} */
  nodegroups?: Readonly<Record<string, NodegroupDefinition>>;
}

/** Why a target did not compile; `position` is a 0-based offset into the expression. */
export interface TargetError {
  code: typeof ErrorCode.TARGET_SYNTAX;
  message: string;
  position?: number;
}

/** A compiled target: a predicate over minions, or the reason it did not compile. */
export type CompiledTarget = { ok: true; match: TargetMatcher } | { ok: false; error: TargetError };
