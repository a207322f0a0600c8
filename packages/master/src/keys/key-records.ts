import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { validateMinionId } from '@brine/protocol';
import { NewKeyWriter } from './new-key-writer.js';

/** Minion key states, as in Salt. `denied`: the id is known with a different key. */
export const KeyState = {
  accepted: 'accepted',
  pending: 'pending',
  rejected: 'rejected',
  denied: 'denied',
} as const;
export type KeyStateValue = (typeof KeyState)[keyof typeof KeyState];

/** One id's real key as stored: its state and public key. */
export interface StoredKey {
  id: string;
  state: KeyStateValue;
  pub: Buffer;
}

/**
 * Where the master's minion keys are kept; the `KeyStore` mirrors them in memory. An
 * implementation owes: `put` has stored the key when it returns (a crash after it keeps it);
 * `putNew`, where offered, has stored it when its promise resolves, and a `put`, `putDenied` or
 * `remove` of the same id made before then wins over it;
 * `loadAll` and `load` give each id's real key, never a denied one while a real one exists;
 * `shared` is true when other masters write the same records, and then the `KeyStore` rereads
 * an id before deciding on it, so a key accepted on one master holds on all.
 */
export interface KeyRecords {
  /** Other processes write these records too. */
  readonly shared: boolean;
  /** Every id's real key. */
  loadAll(): StoredKey[];
  /** One id's real key, or undefined. */
  load(id: string): StoredKey | undefined;
  /** Records an id's real key in a state, replacing the state it had. */
  put(key: StoredKey): void;
  /**
   * Records the key of an id that has none in any state, possibly batched and off the event
   * loop (issue #15); resolves once stored, rejects when it could not be. @default `put`
   */
  putNew?(key: StoredKey): Promise<void>;
  /** Resolves once every `putNew` made so far has settled. */
  settled?(): Promise<void>;
  /** Keeps a key that came for a known id with a different key, beside the real one. */
  putDenied(id: string, pub: Buffer): void;
  /** Forgets an id in every state. */
  remove(id: string): void;
}

const DIRS: Record<KeyStateValue, string> = {
  accepted: 'minions',
  pending: 'minions_pre',
  rejected: 'minions_rejected',
  denied: 'minions_denied',
};

/**
 * Deletes a file that is usually absent. Each new minion's key is put once at its first connect,
 * with the id in none of the other states: `rmSync(force)` looked each of them up twice (30 µs a
 * file, 0.9 s of the master's CPU over 10,000 first connects), an existence check once (6 µs).
 */
function removeIfPresent(file: string): void {
  if (!existsSync(file)) return;
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Keys as Salt lays them out: one 0600 file per minion under `pki/<state dir>/<id>`, holding the
 * base64 public key. One master only (`shared: false`).
 */
export function fileKeyRecords(pkiDir: string): KeyRecords {
  for (const state of Object.values(KeyState)) mkdirSync(join(pkiDir, DIRS[state]), { recursive: true, mode: 0o700 });
  const read = (state: KeyStateValue, id: string) =>
    Buffer.from(readFileSync(join(pkiDir, DIRS[state], id), 'utf8').trim(), 'base64');
  const fileOf = (state: KeyStateValue, id: string) => join(pkiDir, DIRS[state], id);
  const newKeys = new NewKeyWriter(removeIfPresent);
  const write = (state: KeyStateValue, id: string, pub: Buffer) => {
    // validateMinionId has run before any id reaches here: no separators, no '..'.
    const file = join(pkiDir, DIRS[state], id);
    writeFileSync(file, pub.toString('base64') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  };
  const loadAll = (): StoredKey[] => {
    const keys = new Map<string, StoredKey>();
    for (const state of Object.values(KeyState)) {
      for (const id of readdirSync(join(pkiDir, DIRS[state]))) {
        if (!validateMinionId(id).ok) continue;
        // Denied keys are kept beside the real one; the id's state is that of its real key.
        if (state === 'denied' && keys.has(id)) continue;
        keys.set(id, { id, state, pub: read(state, id) });
      }
    }
    return [...keys.values()];
  };
  return {
    shared: false,
    loadAll,
    load: (id) => {
      const state = Object.values(KeyState).find((s) => existsSync(join(pkiDir, DIRS[s], id)));
      return state === undefined ? undefined : { id, state, pub: read(state, id) };
    },
    put: ({ id, state, pub }) => {
      newKeys.supersede(id, (file) => file === fileOf(state, id));
      write(state, id, pub);
      for (const s of ['accepted', 'pending', 'rejected'] as const) {
        if (s !== state) removeIfPresent(join(pkiDir, DIRS[s], id));
      }
    },
    // The id has no file in any state (its KeyStore knows every id): no other state to clear.
    putNew: ({ id, state, pub }) => newKeys.write(id, fileOf(state, id), pub.toString('base64') + '\n'),
    settled: () => newKeys.settled(),
    putDenied: (id, pub) => write('denied', id, pub),
    remove: (id) => {
      newKeys.supersede(id, () => false);
      for (const s of Object.values(KeyState)) rmSync(join(pkiDir, DIRS[s], id), { force: true });
    },
  };
}
