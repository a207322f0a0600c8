import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCredentials } from './credentials.js';

const FP = 'ab:'.repeat(31) + 'ab';

function masterDir(contents: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'brine-creds-'));
  writeFileSync(join(dir, 'cli.json'), JSON.stringify(contents));
  return dir;
}

describe('resolveCredentials and TLS trust', () => {
  const none = { BRINE_CONFIG: '/nonexistent', BRINE_MASTER_DIR: '/nonexistent' };

  it('pins the fingerprint the master wrote into cli.json on its host', () => {
    const dir = masterDir({ url: 'https://127.0.0.1:4507', token: 't', fingerprint: FP });
    expect(resolveCredentials({}, { ...none, BRINE_MASTER_DIR: dir })).toMatchObject({
      url: 'https://127.0.0.1:4507',
      fingerprint: FP,
      source: 'local master',
    });
  });

  it('does not carry a file’s pin over to a URL that came from elsewhere', () => {
    const dir = masterDir({ url: 'https://127.0.0.1:4507', token: 't', fingerprint: FP });
    const c = resolveCredentials({}, { ...none, BRINE_MASTER_DIR: dir, BRINE_URL: 'https://other:4507' });
    expect(c.fingerprint).toBeUndefined();
    expect(c.token).toBe('t');
  });

  it('prefers BRINE_FINGERPRINT, then --ca over BRINE_CA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-creds-'));
    writeFileSync(join(dir, 'a.pem'), 'A');
    writeFileSync(join(dir, 'b.pem'), 'B');
    const env = { ...none, BRINE_URL: 'https://m:1', BRINE_TOKEN: 't', BRINE_CA: join(dir, 'b.pem') };
    expect(resolveCredentials({}, { ...env, BRINE_FINGERPRINT: FP })).toMatchObject({ fingerprint: FP });
    expect(resolveCredentials({ ca: join(dir, 'a.pem') }, env)).toMatchObject({ ca: 'A' });
    expect(resolveCredentials({}, env)).toMatchObject({ ca: 'B' });
    expect(() => resolveCredentials({ ca: join(dir, 'missing.pem') }, env)).toThrow(
      expect.objectContaining({ code: 'ERR_CLI_CONFIG' }),
    );
  });

  it('treats an empty BRINE_URL or BRINE_TOKEN as unset', () => {
    const dir = masterDir({ url: 'http://127.0.0.1:4507', token: 'local' });
    expect(resolveCredentials({}, { ...none, BRINE_MASTER_DIR: dir, BRINE_URL: '', BRINE_TOKEN: '' })).toMatchObject({
      url: 'http://127.0.0.1:4507',
      token: 'local',
    });
  });
});
