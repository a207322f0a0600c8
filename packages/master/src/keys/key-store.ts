import { fingerprint, globMatch } from '@brine/protocol';
import { fileKeyRecords, type KeyRecords, type KeyStateValue } from './key-records.js';
import { PendingKeyLimiter, type PendingLimitReport } from './pending-limiter.js';

export { KeyState, type KeyStateValue } from './key-records.js';

/** What {@link KeyStore.admit} decided: a key state, or `limited` when a new id was not recorded. */
export type AdmitResult = KeyStateValue | 'limited';

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
 * The master's record of minion keys, mirrored in memory so the handshake never waits on the
 * disk for a known key. Kept in files under `pki/` (one master), or in {@link KeyRecords} that
 * several masters share: then an id is reread before each decision on it, and listings reread
 * everything, so a key accepted on one master holds on all.
 */
export class KeyStore {
  readonly #records: KeyRecords;
  readonly #keys = new Map<string, { state: KeyStateValue; pub: Buffer }>();
  readonly #onChange: (change: KeyChange) => void;
  readonly #autosign: AutosignPolicy;
  readonly #limits: PendingKeyLimiter;
  /** New keys whose record is being written, by id: the write's promise. */
  readonly #writing = new Map<string, Promise<void>>();

  constructor(
    pki: string | KeyRecords,
    options: { onChange?: (c: KeyChange) => void; autosign?: AutosignPolicy; pendingLimits?: PendingKeyLimiter } = {},
  ) {
    this.#records = typeof pki === 'string' ? fileKeyRecords(pki) : pki;
    this.#onChange = options.onChange ?? (() => {});
    this.#autosign = options.autosign ?? {};
    this.#limits = options.pendingLimits ?? new PendingKeyLimiter();
    for (const k of this.#records.loadAll()) this.#keys.set(k.id, { state: k.state, pub: k.pub });
    for (const [id, k] of this.#keys) if (k.state === 'pending') this.#limits.added(id, '');
  }

  /**
   * Rereads shared records: one id, or all of them. Reports each change another master made,
   * as if made here, so connections of a key rejected elsewhere close here too.
   */
  refresh(id?: string): void {
    if (!this.#records.shared) return;
    const fresh = id === undefined ? this.#records.loadAll() : [this.#records.load(id)].filter((k) => k !== undefined);
    const seen = new Set<string>();
    for (const k of fresh) {
      seen.add(k.id);
      const known = this.#keys.get(k.id);
      if (known?.state === k.state && Buffer.compare(known.pub, k.pub) === 0) continue;
      this.#keys.set(k.id, { state: k.state, pub: k.pub });
      this.#onChange({ id: k.id, from: known?.state, to: k.state });
    }
    const gone = id === undefined ? [...this.#keys.keys()] : [id];
    for (const g of gone) {
      const known = this.#keys.get(g);
      if (seen.has(g) || known === undefined) continue;
      this.#keys.delete(g);
      this.#onChange({ id: g, from: known.state, to: undefined });
    }
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
    // An accepted key stays accepted until an operator acts, and that reaches here through
    // refresh; any other state may have changed on another master since.
    if (this.#keys.get(id)?.state !== 'accepted') this.refresh(id);
    const known = this.#keys.get(id);
    if (known) {
      if (Buffer.compare(known.pub, Buffer.from(pub)) === 0) return known.state;
      this.#records.putDenied(id, Buffer.from(pub));
      return 'denied';
    }
    const state = options.enrolled || this.#autosigned(id, grains) ? 'accepted' : 'pending';
    if (state === 'pending' && !this.#limits.allow(options.address ?? '').ok) return 'limited';
    // An enrollment token is spent on disk already: its key is stored before the answer, so the
    // two cannot part in a crash. Others are written in the background (see `stored`).
    this.#set(id, state, Buffer.from(pub), options.address ?? '', !options.enrolled);
    return state;
  }

  /**
   * The write of a new id's key, while it is under way: resolves once the key is stored, rejects
   * when it could not be (the id is then forgotten, so its minion is recorded anew when it comes
   * back). A key `admit` returned as accepted must not be acted on before this: the handshake
   * waits for it before `welcome`. A pending key is answered at once; a crash before it is stored
   * loses it, and its minion is recorded again at its next connect (issue #15).
   */
  stored(id: string): Promise<void> | undefined {
    return this.#writing.get(id);
  }

  /** Resolves once every key write under way has settled (before the master stops). */
  async flush(): Promise<void> {
    await this.#records.settled?.();
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
    this.refresh();
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
    this.refresh();
    const ids = [...this.#keys.keys()].filter((id) => globMatch(glob, id));
    for (const id of ids) {
      const from = this.#keys.get(id)!.state;
      this.#records.remove(id);
      this.#keys.delete(id);
      this.#limits.removed(id);
      this.#onChange({ id, from, to: undefined });
    }
    return ids;
  }

  #move(glob: string, from: KeyStateValue[], to: KeyStateValue): string[] {
    this.refresh();
    const moved: string[] = [];
    for (const [id, k] of this.#keys) {
      if (!from.includes(k.state) || !globMatch(glob, id)) continue;
      this.#records.put({ id, state: to, pub: k.pub });
      const prev = k.state;
      k.state = to;
      this.#limits.removed(id);
      moved.push(id);
      this.#onChange({ id, from: prev, to });
    }
    return moved.sort();
  }

  #set(id: string, state: KeyStateValue, pub: Buffer, address: string, background: boolean): void {
    const key = { state, pub };
    if (background && this.#records.putNew) this.#writeNew(id, key, this.#records.putNew({ id, state, pub }));
    else this.#records.put({ id, state, pub });
    this.#keys.set(id, key);
    if (state === 'pending') this.#limits.added(id, address);
    this.#onChange({ id, from: undefined, to: state });
  }

  #writeNew(id: string, key: { state: KeyStateValue; pub: Buffer }, write: Promise<void>): void {
    const tracked = write.then(
      () => {
        if (this.#writing.get(id) === tracked) this.#writing.delete(id);
      },
      (err: unknown) => {
        if (this.#writing.get(id) === tracked) this.#writing.delete(id);
        // Not stored: forgotten, so its minion is recorded anew. (An operator's write of the id
        // since would have stood in for this one, and it would not have failed.)
        if (this.#keys.get(id) === key) {
          this.#keys.delete(id);
          this.#limits.removed(id);
          this.#onChange({ id, from: key.state, to: undefined });
        }
        throw err;
      },
    );
    // The waiter (the handshake) handles a failure; an unawaited rejection must not end the process.
    tracked.catch(() => {});
    this.#writing.set(id, tracked);
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
