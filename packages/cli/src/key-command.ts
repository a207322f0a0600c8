import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { KEY_STATE_ALIASES } from '@brine/protocol';
import { UsageError, parseDuration } from './args.js';
import { ApiClient } from './client.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { commonOptions, runMain, type Io } from './common.js';

interface KeyEntry {
  id: string;
  state: 'accepted' | 'pending' | 'rejected' | 'denied';
  fingerprint: string;
}

/** What the master's pending-key limits refused (`GET /api/v1/keys`). */
interface PendingLimits {
  pending: number;
  maxPending: number;
  maxPendingPerAddress: number;
  refused: Record<string, number>;
  lastRefusedAt: number | null;
}

const HEADINGS: [KeyEntry['state'], string][] = [
  ['accepted', 'Accepted Keys:'],
  ['denied', 'Denied Keys:'],
  ['pending', 'Unaccepted Keys:'],
  ['rejected', 'Rejected Keys:'],
];

/** Builds `brine-key`: list, accept, reject, delete and fingerprint minion keys, as salt-key. */
export function keyProgram(io: Io, confirm: (question: string) => Promise<boolean>): Command {
  const program = new Command('brine-key')
    .description("Manage minion keys on the master (Salt's salt-key).")
    .option('-L, --list [state]', 'list keys: all, accepted, pending (unaccepted), rejected, denied')
    .option('-a, --accept <glob>', 'accept the pending keys whose id matches')
    .option('-A, --accept-all', 'accept every pending key')
    .option('-r, --reject <glob>', 'reject the pending or accepted keys whose id matches')
    .option('-R, --reject-all', 'reject every pending key')
    .option('-d, --delete <glob>', 'delete the keys whose id matches')
    .option('-D, --delete-all', 'delete every key')
    .option('-f, --finger <glob>', 'print the fingerprints of the keys whose id matches')
    .option('-F, --finger-all', 'print every fingerprint')
    .option('--include-rejected', 'with -a/-A, also accept rejected keys')
    .option('-y, --yes', 'do not ask for confirmation')
    .option(
      '--gen-token',
      'make a one-time enrollment token: a new minion configured with it is accepted on first contact',
    )
    .option(
      '--ttl <duration>',
      'with --gen-token: how long the token is valid (e.g. 30m, 2h)',
      (v) => parseDuration(v, { flag: '--ttl' }),
      3_600_000,
    )
    .option('--token-id-glob <glob>', 'with --gen-token: only minion ids matching this glob may use it')
    .addOption(new Option('--out <format>', 'output format').choices(['nested', 'json']).default('nested'));
  commonOptions(program);
  program.addHelpText(
    'after',
    "\nExamples:\n  brine-key -L\n  brine-key -a 'web*' -y\n  brine-key -d web3 -y\n  brine-key -F --out json\n  brine-key --gen-token --ttl 2h --token-id-glob 'web*'\n",
  );
  program.action(async (opts: Record<string, unknown>) => {
    const client = new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
    if (opts['genToken']) {
      const ttlSeconds = Math.max(1, Math.round((opts['ttl'] as number) / 1000));
      const body = { ttlSeconds, ...(opts['tokenIdGlob'] ? { idGlob: opts['tokenIdGlob'] as string } : {}) };
      const res = await client.json<{ token: string; expiresAt: number; idGlob?: string }>(
        'POST',
        '/api/v1/keys/enroll-tokens',
        body,
      );
      if (opts['out'] === 'json') io.stdout.write(JSON.stringify(res) + '\n');
      else
        io.stdout.write(
          `${res.token}\nvalid until ${new Date(res.expiresAt).toISOString()}${res.idGlob ? ` for ids matching ${res.idGlob}` : ''}; ` +
            'put it in the minion config as enroll_token (used once)\n',
        );
      return;
    }
    const json = opts['out'] === 'json';
    let limits: PendingLimits | undefined;
    const list = async (match?: string) => {
      const doc = await client.json<{ keys: KeyEntry[]; pendingLimits?: PendingLimits }>(
        'GET',
        `/api/v1/keys${match ? `?match=${encodeURIComponent(match)}` : ''}`,
      );
      limits = doc.pendingLimits;
      return doc.keys;
    };
    const act = async (verb: 'accept' | 'reject' | 'delete', glob: string, states: KeyEntry['state'][]) => {
      const targets = (await list(glob)).filter((k) => states.includes(k.state));
      if (targets.length === 0) {
        io.stderr.write(`The key glob '${glob}' does not match any ${states.join(' or ')} keys.\n`);
        io.exitCode = 1;
        return;
      }
      if (
        !opts['yes'] &&
        !(await confirm(
          `The following keys are going to be ${verb}ed:\n${targets.map((k) => `  ${k.id}`).join('\n')}\nProceed? [n/Y] `,
        ))
      ) {
        io.stderr.write('Aborted; nothing changed.\n');
        io.exitCode = 1;
        return;
      }
      // One request per listed id (ids hold no glob characters), so exactly the keys the user confirmed
      // change: `-R` must not reject accepted keys, although the master's reject also moves accepted ones.
      const body = verb === 'accept' && opts['includeRejected'] ? { includeRejected: true } : undefined;
      const ids: string[] = [];
      for (const k of targets) {
        const path =
          verb === 'delete'
            ? `/api/v1/keys/${encodeURIComponent(k.id)}`
            : `/api/v1/keys/${encodeURIComponent(k.id)}/${verb}`;
        const res = await client.json<Record<string, string[]>>(verb === 'delete' ? 'DELETE' : 'POST', path, body);
        ids.push(...(Object.values(res)[0] ?? []));
      }
      if (json) io.stdout.write(JSON.stringify({ [verb === 'delete' ? 'deleted' : `${verb}ed`]: ids }) + '\n');
      else
        io.stdout.write(
          ids.map((id) => `Key for minion ${id} ${verb === 'delete' ? 'deleted' : `${verb}ed`}.\n`).join(''),
        );
    };
    const acceptStates: KeyEntry['state'][] = opts['includeRejected'] ? ['pending', 'rejected'] : ['pending'];
    if (opts['accept']) return act('accept', opts['accept'] as string, acceptStates);
    if (opts['acceptAll']) return act('accept', '*', acceptStates);
    if (opts['reject']) return act('reject', opts['reject'] as string, ['pending', 'accepted']);
    if (opts['rejectAll']) return act('reject', '*', ['pending']);
    if (opts['delete']) return act('delete', opts['delete'] as string, ['pending', 'accepted', 'rejected', 'denied']);
    if (opts['deleteAll']) return act('delete', '*', ['pending', 'accepted', 'rejected', 'denied']);
    const fingers = opts['finger'] ?? (opts['fingerAll'] ? '*' : undefined);
    const keys = await list(fingers as string | undefined);
    const wanted = typeof opts['list'] === 'string' ? stateFilter(opts['list']) : undefined;
    const shown = keys.filter((k) => !wanted || k.state === wanted);
    // On stderr, so the listing (and its JSON) keeps salt-key's shape.
    const note = limits && limitNote(limits);
    if (note) io.stderr.write(note);
    if (json) {
      const doc: Record<string, unknown> = {};
      for (const [state, heading] of HEADINGS) {
        if (wanted && state !== wanted) continue;
        const ks = shown.filter((k) => k.state === state);
        doc[
          heading
            .replace(/ Keys:$/, '')
            .toLowerCase()
            .replace('unaccepted', 'minions_pre')
            .replace('accepted', 'minions')
            .replace('rejected', 'minions_rejected')
            .replace('denied', 'minions_denied')
        ] = fingers ? Object.fromEntries(ks.map((k) => [k.id, k.fingerprint])) : ks.map((k) => k.id);
      }
      io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      return;
    }
    for (const [state, heading] of HEADINGS) {
      if (wanted && state !== wanted) continue;
      io.stdout.write(`${heading}\n`);
      for (const k of shown.filter((k) => k.state === state))
        io.stdout.write(fingers ? `${k.id}:  ${k.fingerprint}\n` : `${k.id}\n`);
    }
  });
  return program;
}

/** A line saying that new keys were refused and by which limit, or undefined when none was. */
function limitNote(l: PendingLimits): string | undefined {
  const hits = Object.entries(l.refused).filter(([, n]) => n > 0);
  if (hits.length === 0) return undefined;
  const total = hits.reduce((sum, [, n]) => sum + n, 0);
  const by = hits.map(([limit, n]) => `${n} by ${limit}`).join(', ');
  const when = l.lastRefusedAt === null ? '' : `, last at ${new Date(l.lastRefusedAt).toISOString()}`;
  return (
    `Note: ${total} new minion key(s) were not recorded (${by}${when}); ${l.pending} pending of at most ` +
    `${l.maxPending} (${l.maxPendingPerAddress} per source address). Accept or delete pending keys, or raise the limits.\n`
  );
}

function stateFilter(s: string): KeyEntry['state'] | undefined {
  const map = KEY_STATE_ALIASES;
  if (!Object.hasOwn(map, s))
    throw new UsageError(`-L: unknown key state "${s}"; expected all, accepted, pending, rejected or denied`);
  return map[s];
}

/** Runs `brine-key` with an argv and returns the exit code. */
export function runKey(argv: string[], io: Io): Promise<number> {
  const confirm = async (question: string) => {
    if (!process.stdin.isTTY) throw new UsageError('not a terminal: pass -y to confirm');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(question);
    rl.close();
    return /^(y|yes|)$/i.test(answer.trim());
  };
  return runMain(keyProgram(io, confirm), argv, io);
}
