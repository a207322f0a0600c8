import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, globMatch, validateMinionId } from '@brine/protocol';
import { PendingKeyLimiter, type PendingLimitReport } from './pending-limiter.js';

/** Minion key states, as in Salt. `denied`: the id is known with a different key. */
export const KeyState = {
  accepted: 'accepted',
  pending: 'pending',
  rejected: 'rejected',
  denied: 'denied',
} as const;
export type KeyStateValue = (typeof KeyState)[keyof typeof KeyState];

/** What {@link KeyStore.admit} decided: a key state, or `limited` when a new id was not recorded. */
export type AdmitResult = KeyStateValue | 'limited';

const DIRS: Record<KeyStateValue, string> = {
  accepted: 'minions',
  pending: 'minions_pre',
  rejected: 'minions_rejected',
  denied: 'minions_denied',
};

/** One minion key as listed by `brine-key`. */
export interface KeyEntry {
  id: string;
  state: KeyStateValue;
  fingerprint: string;
}

/** A key state change, for events and for closing connections. */
export interface KeyChange {
  id: string;
  from: KeyStateValue | undefined;
  to: KeyStateValue | undefined;
}

/** Automatic acceptance, off unless configured. */
export interface AutosignPolicy {
  /** Minion id globs accepted on first contact. */
  ids?: readonly string[];
  /** Grains that must ALL match (each value a list of allowed globs) for acceptance (Salt #62831). */
  grains?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The master's record of minion keys: one file per minion under `pki/<state dir>/<id>`, as Salt
 * lays it out, mirrored in memory so the handshake never touches the disk for a known key.
 */
export class KeyStore {
  readonly #root: string;
  readonly #keys = new Map<string, { state: KeyStateValue; pub: Buffer }>();
  readonly #onChange: (change: KeyChange) => void;
  readonly #autosign: AutosignPolicy;
  readonly #limits: PendingKeyLimiter;

  constructor(
    pkiDir: string,
    options: { onChange?: (c: KeyChange) => void; autosign?: AutosignPolicy; pendingLimits?: PendingKeyLimiter } = {},
  ) {
    this.#root = pkiDir;
    this.#onChange = options.onChange ?? (() => {});
    this.#autosign = options.autosign ?? {};
    this.#limits = options.pendingLimits ?? new PendingKeyLimiter();
    for (const state of Object.values(KeyState)) {
      const dir = join(pkiDir, DIRS[state]);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const id of readdirSync(dir)) {
        if (!validateMinionId(id).ok) continue;
        const pub = Buffer.from(readFileSync(join(dir, id), 'utf8').trim(), 'base64');
        // Denied keys are kept beside the real one; the id's state is that of its real key.
        if (state === 'denied' && this.#keys.has(id)) continue;
        this.#keys.set(id, { state, pub });
      }
    }
    for (const [id, k] of this.#keys) if (k.state === 'pending') this.#limits.added(id, '');
  }

  /**
   * Decides what a connecting minion's key is, recording a new id as pending (or accepted when
   * it presented a valid enrollment token or the autosign policy says so) and a known id with
   * another key as denied. A token never overrides a known key. A new id that would be pending
   * is not recorded, and `limited` is returned, when the pending-key limits refuse it (the
   * connection is told to retry later); `address` is the connection's source address.
   */
  admit(
    id: string,
    pub: Uint8Array,
    grains: Record<string, unknown>,
    options: { enrolled?: boolean; address?: string } = {},
  ): AdmitResult {
    const known = this.#keys.get(id);
    if (known) {
      if (Buffer.compare(known.pub, Buffer.from(pub)) === 0) return known.state;
      this.#write('denied', id, Buffer.from(pub));
      return 'denied';
    }
    const state = options.enrolled || this.#autosigned(id, grains) ? 'accepted' : 'pending';
    if (state === 'pending' && !this.#limits.allow(options.address ?? '').ok) return 'limited';
    this.#set(id, state, Buffer.from(pub), options.address ?? '');
    return state;
  }

  /** The pending-key limits and what they refused, for the key listing. */
  pendingLimits(): PendingLimitReport {
    return this.#limits.report();
  }

  /** The state of an id's key, if known. */
  state(id: string): KeyStateValue | undefined {
    return this.#keys.get(id)?.state;
  }

  /** The public key of an id, if known. */
  publicKey(id: string): Buffer | undefined {
    return this.#keys.get(id)?.pub;
  }

  /** Every key, optionally of one state, in id order. */
  list(state?: KeyStateValue): KeyEntry[] {
    const out: KeyEntry[] = [];
    for (const [id, k] of this.#keys)
      if (!state || k.state === state) out.push({ id, state: k.state, fingerprint: fingerprint(k.pub) });
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Accepts the pending keys (and rejected ones, with `includeRejected`) whose id matches the glob. */
  accept(glob: string, includeRejected = false): string[] {
    return this.#move(glob, includeRejected ? ['pending', 'rejected'] : ['pending'], 'accepted');
  }

  /** Rejects the pending and accepted keys whose id matches the glob. */
  reject(glob: string): string[] {
    return this.#move(glob, ['pending', 'accepted'], 'rejected');
  }

  /** Deletes every key whose id matches the glob, in any state. */
  delete(glob: string): string[] {
    const ids = [...this.#keys.keys()].filter((id) => globMatch(glob, id));
    for (const id of ids) {
      const from = this.#keys.get(id)!.state;
      for (const s of Object.values(KeyState)) rmSync(join(this.#root, DIRS[s], id), { force: true });
      this.#keys.delete(id);
      this.#limits.removed(id);
      this.#onChange({ id, from, to: undefined });
    }
    return ids;
  }

  #move(glob: string, from: KeyStateValue[], to: KeyStateValue): string[] {
    const moved: string[] = [];
    for (const [id, k] of this.#keys) {
      if (!from.includes(k.state) || !globMatch(glob, id)) continue;
      const src = join(this.#root, DIRS[k.state], id);
      renameSync(src, join(this.#root, DIRS[to], id));
      const prev = k.state;
      k.state = to;
      this.#limits.removed(id);
      moved.push(id);
      this.#onChange({ id, from: prev, to });
    }
    return moved.sort();
  }

  #set(id: string, state: KeyStateValue, pub: Buffer, address: string): void {
    this.#write(state, id, pub);
    this.#keys.set(id, { state, pub });
    if (state === 'pending') this.#limits.added(id, address);
    this.#onChange({ id, from: undefined, to: state });
  }

  #write(state: KeyStateValue, id: string, pub: Buffer): void {
    // validateMinionId has run before any id reaches here: no separators, no '..'.
    const file = join(this.#root, DIRS[state], id);
    writeFileSync(file, pub.toString('base64') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }

  #autosigned(id: string, grains: Record<string, unknown>): boolean {
    const { ids, grains: wanted } = this.#autosign;
    if (ids?.some((g) => globMatch(g, id))) return true;
    if (!wanted || Object.keys(wanted).length === 0) return false;
    // Every listed grain must match one of its allowed values (Salt #62831 matched any).
    return Object.entries(wanted).every(([key, allowed]) => {
      const value = grains[key];
      const values = Array.isArray(value) ? value : [value];
      return values.some(
        (v) => (typeof v === 'string' || typeof v === 'number') && allowed.some((a) => globMatch(a, String(v))),
      );
    });
  }
}
