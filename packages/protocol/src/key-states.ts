/** A minion key's state, as in Salt. `denied`: the id is known with a different key. */
export type KeyStateName = 'accepted' | 'pending' | 'rejected' | 'denied';

/**
 * The names salt-key and the `key.list` wheel accept for a key state (`acc`, `pre`, `un`...);
 * `all` maps to undefined, every state. One table for the CLI and the salt-api dialect.
 */
export const KEY_STATE_ALIASES: Readonly<Record<string, KeyStateName | undefined>> = {
  all: undefined,
  acc: 'accepted',
  accepted: 'accepted',
  pre: 'pending',
  un: 'pending',
  unaccepted: 'pending',
  pending: 'pending',
  rej: 'rejected',
  rejected: 'rejected',
  den: 'denied',
  denied: 'denied',
};
