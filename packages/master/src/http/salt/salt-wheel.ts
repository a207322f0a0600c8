import { KEY_STATE_ALIASES, generateKeyPair, globMatch, ApiErrorCode } from '@brine/protocol';
import type { MasterConfig } from '../../config.js';
import { Area } from '../auth/acl.js';
import type { Principal } from '../auth/auth.js';
import { BadRequestError, HttpError } from '../shared/errors.js';
import type { SaltFunction } from './salt-function.js';
import { saltKeyFingers, saltKeyLists } from './salt-format.js';

const KEY_STATES = KEY_STATE_ALIASES;

/** A minion id `key.gen_accept` makes a key for: no glob characters, so accepting it names it alone. */
const GEN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

const keysAllowed = (p: Principal, fun: string) => p.grants.special('wheel', fun);
const minionsAllowed = (p: Principal, fun: string) => p.grants.can(Area.minions) || p.grants.special('wheel', fun);

function glob(fun: string, kwargs: Record<string, unknown>): string {
  const match = kwargs['match'];
  if (typeof match !== 'string' || match.length === 0 || match.length > 255)
    throw new BadRequestError(`${fun} needs match=<glob>`);
  return match;
}

/** The truthy forms a form body or a Python client gives a flag. */
const flag = (v: unknown) => v === true || v === 'true' || v === 'True' || v === '1';

/** The wheel functions the `wheel` client serves, by name, with Salt's signatures and shapes. */
export const WHEELS: Readonly<Record<string, SaltFunction>> = {
  'key.list_all': {
    params: [],
    doc: 'List every key by state, and the master key under local.',
    allowed: keysAllowed,
    run: ({ s }) => saltKeyLists(s.keys.list()),
  },
  'key.list': {
    params: ['match'],
    doc: 'List the keys of one state (acc, pre, rej, den, all).',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => {
      const m = typeof kwargs['match'] === 'string' ? kwargs['match'] : 'all';
      if (!Object.hasOwn(KEY_STATES, m)) throw new BadRequestError(`key.list: unknown key state '${m}'`);
      const lists = saltKeyLists(s.keys.list(KEY_STATES[m]), KEY_STATES[m] === undefined);
      return KEY_STATES[m] === undefined
        ? lists
        : Object.fromEntries(Object.entries(lists).filter(([, ids]) => ids.length > 0));
    },
  },
  'key.finger': {
    params: ['match', 'hash_type'],
    doc: 'Return the fingerprints of the keys whose id matches the glob, by state.',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => {
      const g = glob('key.finger', kwargs);
      return saltKeyFingers(s.keys.list().filter((k) => globMatch(g, k.id)));
    },
  },
  'key.accept': {
    params: ['match', 'include_rejected', 'include_denied'],
    doc: 'Accept the pending keys (and rejected ones, with include_rejected) whose id matches the glob.',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => ({
      minions: s.keys.accept(glob('key.accept', kwargs), flag(kwargs['include_rejected'])),
    }),
  },
  'key.reject': {
    params: ['match', 'include_accepted', 'include_denied'],
    doc: 'Reject the pending and accepted keys whose id matches the glob.',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => ({ minions_rejected: s.keys.reject(glob('key.reject', kwargs)) }),
  },
  'key.delete': {
    params: ['match'],
    doc: 'Delete every key whose id matches the glob.',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => ({ minions: s.keys.delete(glob('key.delete', kwargs)) }),
  },
  'key.gen_accept': {
    params: ['id_', 'keysize', 'force'],
    doc: 'Make a key pair for a minion id and accept its public key: {pub, priv}. The master keeps no copy of priv.',
    allowed: keysAllowed,
    run: ({ s }, { kwargs }) => {
      const id = kwargs['id_'];
      if (typeof id !== 'string' || !GEN_ID.test(id))
        throw new BadRequestError('id_: a minion id of letters, digits, _ . - (no glob characters)');
      if (s.keys.state(id) !== undefined) {
        if (!flag(kwargs['force']))
          throw new HttpError(409, ApiErrorCode.keyExists, `a key for ${id} exists; send force=true to replace it`);
        s.keys.delete(id);
      }
      const pair = generateKeyPair();
      s.keys.admit(id, pair.publicRaw, {});
      s.keys.accept(id);
      return { pub: `${pair.publicRaw.toString('base64')}\n`, priv: pair.privatePem };
    },
  },
  'minions.connected': {
    params: [],
    doc: 'List the ids of the connected minions.',
    allowed: minionsAllowed,
    run: ({ s }) =>
      s.registry
        .list()
        .filter((m) => m.connected)
        .map((m) => m.id),
  },
  'config.values': {
    params: [],
    doc: "Return the master's configuration, without users, password hashes and hook secrets.",
    allowed: keysAllowed,
    run: ({ s }) => s.configValues ?? {},
  },
};

/** Config sections wheel `config.values` never shows: password hashes and hook secrets. */
const SECRET_SECTIONS = ['users', 'hooks'];

/** The master config as wheel `config.values` answers it: every option but the secret sections. */
export function saltConfigValues(config: MasterConfig): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(config);
  for (const k of SECRET_SECTIONS) delete out[k];
  return out;
}
