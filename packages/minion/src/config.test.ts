import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadMinionConfig, minionConfigSchema } from './config.js';

const docs = readFileSync(new URL('../../../docs/config-minion.md', import.meta.url), 'utf8');

describe('minion config', () => {
  it('documents every option in docs/config-minion.md', () => {
    for (const key of Object.keys(minionConfigSchema.shape)) expect(docs, key).toContain(`| \`${key}\``);
  });

  it('defaults the id to the host name', () => {
    expect(loadMinionConfig(undefined, {}).id).toBe(hostname());
  });

  it('refuses ws:// unless explicitly allowed and on loopback', () => {
    expect(() => loadMinionConfig(undefined, { master: 'ws://127.0.0.1:4506' })).toThrow(/insecure_plain_ws/);
    expect(() => loadMinionConfig(undefined, { master: 'ws://10.0.0.1:4506', insecure_plain_ws: true })).toThrow(
      /loopback/,
    );
    expect(loadMinionConfig(undefined, { master: 'ws://127.0.0.1:4506', insecure_plain_ws: true }).master).toBe(
      'ws://127.0.0.1:4506',
    );
  });

  it('names the option that is wrong', () => {
    expect(() => loadMinionConfig(undefined, { max_concurrent_jobs: 0 })).toThrow(/max_concurrent_jobs/);
  });
});
