import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiUrlOf, writeEndpointFiles } from './endpoint-files.js';

describe('apiUrlOf', () => {
  it.each([
    ['127.0.0.1', false, 'http://127.0.0.1:8080'],
    ['0.0.0.0', true, 'https://127.0.0.1:8080'],
    ['::1', true, 'https://[::1]:8080'],
    ['api.example.com', true, 'https://api.example.com:8080'],
  ] as const)('reaches %s (tls %s) at %s', (host, tls, url) => {
    expect(apiUrlOf(host, 8080, tls)).toBe(url);
  });
});

describe('writeEndpointFiles', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the admin credential for the owner only and the public facts for all, with no temp file left', () => {
    dir = mkdtempSync(join(tmpdir(), 'brine-endpoints-'));
    writeEndpointFiles(dir, {
      apiUrl: 'https://127.0.0.1:8080',
      adminToken: 'secret',
      apiFingerprint: 'ab:cd',
      minionPort: 4506,
      tls: true,
      fingerprint: 'ef:01',
    });
    expect(JSON.parse(readFileSync(join(dir, 'cli.json'), 'utf8'))).toEqual({
      url: 'https://127.0.0.1:8080',
      token: 'secret',
      fingerprint: 'ab:cd',
    });
    expect(JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8'))).toEqual({
      api: 'https://127.0.0.1:8080',
      minionPort: 4506,
      tls: true,
      fingerprint: 'ef:01',
      apiFingerprint: 'ab:cd',
    });
    expect(statSync(join(dir, 'cli.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'endpoints.json'), 'utf8')).not.toContain('secret');
    expect(readdirSync(dir).sort()).toEqual(['cli.json', 'endpoints.json']);
  });
});
