import { compileTarget, type Frame, type TargetMatcher, type TargetOptions } from '@brine/protocol';
import type { MinionRegistry } from '../core/registry.js';
import { PillarError, PillarErrorCode } from '../pillar/errors.js';
import { MAX_MINE_ENTRIES, type MineStore } from './mine-store.js';

/** A mine access rule from the config: minions `minions` selects may read the entries of those `read` selects. */
export interface MineAccessRule {
  minions: string;
  read: string;
}

/** What the mine service uses. */
export interface MineServiceDeps {
  store: Pick<MineStore, 'update' | 'delete' | 'read'>;
  registry: Pick<MinionRegistry, 'get' | 'select'>;
  targetOptions: TargetOptions;
  /** Empty: every accepted minion reads every entry (Salt's behaviour). */
  access: readonly MineAccessRule[];
}

/** The answer to one `mine.request`: data, or a refusal. */
export type MineAnswer = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * The master's side of the mine: a minion writes and deletes only its own entries (the id is
 * the connection's), and reads `fun` from the minions a target selects, limited by the access
 * rules (compiled once; a bad rule is refused at start).
 */
export class MineService {
  readonly #d: MineServiceDeps;
  readonly #rules: { minions: TargetMatcher; read: TargetMatcher }[];

  /** Throws a {@link PillarError} naming a rule that does not compile. */
  constructor(deps: MineServiceDeps) {
    this.#d = deps;
    this.#rules = deps.access.map((rule, i) => ({
      minions: compiled(rule.minions, `mine_access[${i}].minions`, deps.targetOptions),
      read: compiled(rule.read, `mine_access[${i}].read`, deps.targetOptions),
    }));
  }

  /** Handles a `mine.request` from minion `id`. */
  handle(id: string, frame: Frame<'mine.request'>): MineAnswer {
    const d = this.#d;
    switch (frame.op) {
      case 'update':
        if (!d.store.update(id, frame.data ?? {}, frame.clear === true))
          return refuse(`a minion's mine holds at most ${MAX_MINE_ENTRIES} entries`);
        return { ok: true, data: true };
      case 'delete':
        return { ok: true, data: d.store.delete(id, frame.fun) };
      case 'get': {
        if (frame.fun === undefined || frame.tgt === undefined) return refuse('mine.get needs tgt and fun');
        const target = compileTarget(frame.tgt, frame.tgtType ?? 'glob', d.targetOptions);
        if (!target.ok) return refuse(`mine.get: ${target.error.message}`);
        const reader = d.registry.get(id) ?? { id, grains: {} };
        const out: Record<string, unknown> = {};
        for (const other of d.registry.select(target.match)) {
          if (!this.#mayRead(reader, other)) continue;
          const value = d.store.read(other, frame.fun);
          if (value !== undefined) out[other] = value;
        }
        return { ok: true, data: out };
      }
    }
  }

  #mayRead(reader: { id: string; grains: Readonly<Record<string, unknown>> }, other: string): boolean {
    if (this.#rules.length === 0) return true;
    const facts = this.#d.registry.get(other) ?? { id: other, grains: {} };
    return this.#rules.some((r) => r.minions(reader) && r.read(facts));
  }
}

function compiled(tgt: string, where: string, options: TargetOptions): TargetMatcher {
  const c = compileTarget(tgt, 'compound', options);
  if (!c.ok) throw new PillarError(PillarErrorCode.MINE, `${where}: ${c.error.message}`);
  return c.match;
}

function refuse(message: string): MineAnswer {
  return { ok: false, error: { code: PillarErrorCode.MINE, message } };
}
