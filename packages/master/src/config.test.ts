import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiServesTls, loadMasterConfig, masterConfigSchema } from './config.js';

const docs = readFileSync(new URL('../../../docs/config-master.md', import.meta.url), 'utf8');

function keys(shape: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([k, v]) => {
    const inner = (v as { def?: { innerType?: { shape?: Record<string, unknown> } } }).def?.innerType?.shape;
    return inner && k !== 'nodegroups' ? keys(inner, `${prefix}${k}.`) : [`${prefix}${k}`];
  });
}

describe('master config', () => {
  it('documents every option in docs/config-master.md', () => {
    for (const key of keys(masterConfigSchema.shape)) expect(docs, key).toContain(`| \`${key}\``);
  });

  it('reads YAML and lets flags override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-cfg-'));
    writeFileSync(join(dir, 'm.yaml'), 'port: 5000\napi:\n  port: 6000\nkeep_jobs_hours: 2\n');
    const c = loadMasterConfig(join(dir, 'm.yaml'), { port: 5001 });
    expect(c).toMatchObject({
      port: 5001,
      api: { port: 6000, host: '127.0.0.1' },
      keep_jobs_hours: 2,
      insecure_plain_ws: false,
    });
  });

  it('names the option that is wrong', () => {
    expect(() => loadMasterConfig(undefined, { port: 'x' })).toThrow(/port/);
    const dir = mkdtempSync(join(tmpdir(), 'brine-cfg-'));
    writeFileSync(join(dir, 'm.yaml'), 'prot: 1\n');
    expect(() => loadMasterConfig(join(dir, 'm.yaml'), {})).toThrow(/prot/);
  });

  it('refuses plain WebSocket on an interface that is not loopback', () => {
    expect(() => loadMasterConfig(undefined, { insecure_plain_ws: true, interface: '0.0.0.0' })).toThrow(/loopback/);
    expect(loadMasterConfig(undefined, { insecure_plain_ws: true, interface: '127.0.0.1' }).insecure_plain_ws).toBe(
      true,
    );
  });

  it('serves HTTPS by default off loopback, and refuses plain HTTP there unless allowed', () => {
    expect(apiServesTls(loadMasterConfig(undefined, {}).api)).toBe(false);
    expect(apiServesTls(loadMasterConfig(undefined, { 'api.host': '0.0.0.0' }).api)).toBe(true);
    expect(apiServesTls(loadMasterConfig(undefined, { 'api.tls': { enabled: true } }).api)).toBe(true);
    expect(() => loadMasterConfig(undefined, { 'api.host': '0.0.0.0', 'api.tls': { enabled: false } })).toThrow(
      /api: plain HTTP on 0\.0\.0\.0.*allow_plain_http/,
    );
    const allowed = loadMasterConfig(undefined, {
      'api.host': '10.0.0.5',
      'api.tls': { enabled: false },
      'api.allow_plain_http': true,
    });
    expect(apiServesTls(allowed.api)).toBe(false);
    expect(() => loadMasterConfig(undefined, { 'api.tls': { cert: '/x.crt' } })).toThrow(/go together/);
  });
});
