import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A throwaway PostgreSQL cluster: its own data directory and port, gone after {@link PgCluster.stop}. */
export interface PgCluster {
  /** The data directory's parent, removed by `stop`. */
  dir: string;
  port: number;
  /** A connection URL for database `db` (superuser `brine`, trust auth on loopback). */
  url(db?: string): string;
  /** Runs SQL through `psql` in database `db`; throws with psql's message when it fails. */
  psql(sql: string, db?: string): string;
  /** Makes an empty database and returns its URL. */
  createDatabase(name: string): string;
  /** Stops the server (`immediate`: as a crash, no checkpoint) and starts it again on the same port. */
  restart(): void;
  /** Stops the server as a crash would (`immediate`); {@link PgCluster.resume} starts it again. */
  pause(): void;
  /** Starts a paused server again on the same port, waiting until it accepts connections. */
  resume(): void;
  /** Stops the server at once and removes its files. Safe to call twice. */
  stop(): void;
}

/** Where the PostgreSQL server binaries are, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  const fromPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [fromPath.status === 0 ? fromPath.stdout.trim() : ''];
  // Debian installs them off PATH, one directory per major version: take the newest.
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  return candidates.find((dir) => dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/**
 * Why PostgreSQL tests cannot run here, or undefined when they can: for `describe.skipIf` with
 * a reason a person can act on.
 */
export function postgresMissing(): string | undefined {
  if (findPostgresBin() === undefined) {
    return 'PostgreSQL server binaries not found (apt-get install -y postgresql): PostgreSQL tests skipped';
  }
  if (spawnSync('psql', ['--version']).status !== 0) return 'psql not found: PostgreSQL tests skipped';
  if (userInfo().uid === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    return 'running as root without a postgres user (initdb refuses root): PostgreSQL tests skipped';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts a throwaway PostgreSQL cluster: `initdb` in a temp directory (as the `postgres` user
 * when run as root, since initdb refuses root), then `pg_ctl start` on a free loopback port.
 * `fsync` stays on: the stores' durability is what the tests measure.
 */
export async function startPostgres(): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(postgresMissing());
  const dir = mkdtempSync(join(tmpdir(), 'brine-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  // initdb and the server run as the postgres user when we are root: it owns the directory.
  const owner = asRoot ? lookupUser('postgres') : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o755);
  const run = (exe: string, args: string[]): SpawnSyncReturns<string> => {
    const full = join(bin, exe);
    const r = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${exe} failed: ${r.stderr || r.stdout}`);
    return r;
  };
  run('initdb', ['-D', data, '-U', 'brine', '-A', 'trust', '-E', 'UTF8', '--no-instructions', '--no-sync']);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-t',
      '60',
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`,
      'start',
    ]);
  start();
  let stopped = false;
  const url = (db = 'postgres') => `postgres://brine@127.0.0.1:${port}/${db}`;
  const psql = (sql: string, db = 'postgres') => {
    const r = spawnSync('psql', [url(db), '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout.trim();
  };
  return {
    dir,
    port,
    url,
    psql,
    createDatabase: (name) => {
      psql(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    restart: () => {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      start();
    },
    pause: () => {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
    resume: () => {
      start();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function lookupUser(name: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error(`no ${name} user to run PostgreSQL as (initdb refuses root)`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}
