import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type SecureVersion } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { logRecords, masterLog } from './fixtures.js';

// Issue #13, "also missing": the REST API served plain HTTP only. A master configured with
// `api.tls.enabled` serves HTTPS with its own self-signed certificate; the CLI trusts it by the
// fingerprint the master pinned in cli.json, by BRINE_FINGERPRINT or by a CA file, and never by
// switching verification off. Also: the minion port and the API refuse TLS 1.2 and below.
const MINION = 'tls-m1';
let cluster: Cluster;
let certPem: string;
let certFile: string;
let apiFingerprint: string;

beforeAll(async () => {
  cluster = await new Cluster({
    master: { api: { host: '127.0.0.1', port: 0, tls: { enabled: true } } },
  }).start();
  certPem = readFileSync(join(cluster.masterDir, 'pki', 'master-tls.crt'), 'utf8');
  certFile = join(cluster.dir, 'api-ca.pem');
  writeFileSync(certFile, certPem);
  apiFingerprint = (cluster.endpoints as unknown as { apiFingerprint: string }).apiFingerprint;
  cluster.startMinion(MINION);
  await waitFor(
    async () => (await get('/api/v1/minions?connected=true')).body.includes(`"${MINION}"`),
    20_000,
    `${MINION} to connect`,
  );
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A GET over HTTPS from this process, trusting the master's certificate as the only CA. */
function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      cluster.endpoints.api + path,
      { ca: certPem, headers: { authorization: `Bearer ${cluster.token}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs `brine` as a process with only the given credentials in its environment. */
function brine(args: string[], env: Record<string, string>) {
  return cluster.cli(BIN.brine, args, {
    env: { BRINE_URL: '', BRINE_TOKEN: '', BRINE_MASTER_DIR: join(cluster.dir, 'nowhere'), ...env },
  });
}

/** Runs `fetch` in a fresh node process (NODE_EXTRA_CA_CERTS is read at start). */
function fetchInChild(url: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, hsts: r.headers.get('strict-transport-security'), body: await r.json() })), (e) => { console.log(JSON.stringify({ error: String(e.cause?.code ?? e.message) })); process.exit(3); })`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** Tries a TLS handshake capped at `max`; resolves with the negotiated version or the error code. */
function handshakeAt(port: number, max: SecureVersion, min: SecureVersion = 'TLSv1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      minVersion: min,
      maxVersion: max,
      rejectUnauthorized: false,
      // Let the client offer the old versions at all; the server must be the one to say no.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.destroy();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('an HTTPS REST API', () => {
  it('serves HTTPS with HSTS, and writes its fingerprint to endpoints.json, cli.json and the log', async () => {
    expect(cluster.endpoints.api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(apiFingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const cli = JSON.parse(readFileSync(join(cluster.masterDir, 'cli.json'), 'utf8')) as Record<string, string>;
    expect(cli).toMatchObject({ url: cluster.endpoints.api, fingerprint: apiFingerprint });
    expect(logRecords(masterLog(cluster), 'REST API listening')[0]).toMatchObject({ tlsFingerprint: apiFingerprint });
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('does not answer plain HTTP on its port', async () => {
    const plain = cluster.endpoints.api.replace('https:', 'http:');
    const out = await fetch(plain + '/healthz').then(
      (r) => `status ${r.status}`,
      () => 'refused',
    );
    expect(out).toBe('refused');
  });

  it('runs a job from the CLI on the master host, trusting the fingerprint in cli.json', async () => {
    const r = await brine(['*', 'test.ping', '--out', 'json'], { BRINE_MASTER_DIR: cluster.masterDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).minions[MINION]).toMatchObject({ outcome: 'returned', ret: true });
  });

  it('runs a job from the CLI elsewhere with BRINE_FINGERPRINT, or with the certificate as --ca or BRINE_CA', async () => {
    const creds = { BRINE_URL: cluster.endpoints.api, BRINE_TOKEN: cluster.token };
    for (const [args, env] of [
      [[], { BRINE_FINGERPRINT: apiFingerprint }],
      [['--ca', certFile], {}],
      [[], { BRINE_CA: certFile }],
    ] as [string[], Record<string, string>][]) {
      const r = await brine([...args, '*', 'test.ping', '--out', 'json'], { ...creds, ...env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).minions[MINION]).toMatchObject({ outcome: 'returned', ret: true });
    }
  });

  it('refuses, with ERR_CLI_TLS and exit 69, a master it cannot verify or whose fingerprint differs', async () => {
    const creds = { BRINE_URL: cluster.endpoints.api, BRINE_TOKEN: cluster.token };
    const jobCount = async () =>
      (JSON.parse((await get('/api/v1/jobs?limit=50')).body) as { jobs: unknown[] }).jobs.length;
    const before = await jobCount();
    const unpinned = await brine(['*', 'test.ping'], creds);
    expect(unpinned.code).toBe(69);
    expect(unpinned.stderr).toMatch(/cannot verify the master's certificate.*SELF_SIGNED/);
    const wrong = apiFingerprint.replace(/^../, apiFingerprint.startsWith('00') ? '11' : '00');
    const mismatch = await brine(['*', 'test.ping'], { ...creds, BRINE_FINGERPRINT: wrong });
    expect(mismatch.code).toBe(69);
    expect(mismatch.stderr).toMatch(/does not match the pinned fingerprint/);
    // The job never ran: the request (and its token) was not sent.
    expect(await jobCount()).toBe(before);
  });

  it('answers fetch that trusts the master certificate, and fetch with the system CAs refuses it', async () => {
    const trusted = await fetchInChild(cluster.endpoints.api + '/healthz', { NODE_EXTRA_CA_CERTS: certFile });
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.out)).toEqual({ status: 200, hsts: 'max-age=31536000', body: { ok: true } });
    const untrusted = await fetchInChild(cluster.endpoints.api + '/healthz', {});
    expect(untrusted.code).toBe(3);
    expect(JSON.parse(untrusted.out).error).toMatch(/SELF_SIGNED/);
  });
});

describe('TLS downgrade', () => {
  const versions: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];

  it('the minion port and the HTTPS API complete TLS 1.3 handshakes (the control)', async () => {
    expect(await handshakeAt(cluster.endpoints.minionPort, 'TLSv1.3')).toBe('TLSv1.3');
    expect(await handshakeAt(Number(new URL(cluster.endpoints.api).port), 'TLSv1.3')).toBe('TLSv1.3');
  });

  it('the minion port and the HTTPS API refuse TLS 1.2, 1.1 and 1.0', async () => {
    for (const port of [cluster.endpoints.minionPort, Number(new URL(cluster.endpoints.api).port)]) {
      // The server, not the client, says no: a protocol_version alert, for each version.
      for (const max of versions)
        expect(await handshakeAt(port, max, max), `${max} on port ${port}`).toBe(
          'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
        );
    }
  });
});
