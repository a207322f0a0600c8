import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverCredentials } from './node.js';

const dir = () => mkdtempSync(join(tmpdir(), 'brine-client-creds-'));

describe('discoverCredentials', () => {
  it('prefers BRINE_URL and BRINE_TOKEN over the local master file', () => {
    const masterDir = dir();
    writeFileSync(join(masterDir, 'cli.json'), JSON.stringify({ url: 'http://local:1', token: 'local' }));
    const env = {
      BRINE_URL: 'http://env:2/',
      BRINE_TOKEN: 'envtok',
      BRINE_MASTER_DIR: masterDir,
      BRINE_CONFIG: '/nonexistent',
    };
    expect(discoverCredentials({}, env)).toEqual({ url: 'http://env:2', token: 'envtok', source: 'environment' });
  });

  it("reads the local master's cli.json, with its pinned fingerprint", () => {
    const masterDir = dir();
    writeFileSync(
      join(masterDir, 'cli.json'),
      JSON.stringify({ url: 'https://m:1', token: 't', fingerprint: 'ab:cd' }),
    );
    expect(discoverCredentials({}, { BRINE_MASTER_DIR: masterDir, BRINE_CONFIG: '/nonexistent' })).toEqual({
      url: 'https://m:1',
      token: 't',
      source: 'local master',
      fingerprint: 'ab:cd',
    });
  });

  it('treats an empty token as unset and fails with ERR_CLIENT_NO_CREDENTIALS', () => {
    expect(() =>
      discoverCredentials(
        {},
        { BRINE_URL: 'http://m', BRINE_TOKEN: '', BRINE_MASTER_DIR: dir(), BRINE_CONFIG: '/nonexistent' },
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_CLIENT_NO_CREDENTIALS' }));
  });
});
