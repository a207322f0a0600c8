import { describe, expect, it } from 'vitest';
import { masterConfigSchema } from './config.js';

const HASH = `scrypt$ln=15,r=8,p=1$${'A'.repeat(22)}==$${'B'.repeat(43)}=`;
const parse = (auth: Record<string, unknown>) => masterConfigSchema.safeParse(auth);

describe('master config: users, acl, hooks', () => {
  it('accepts users with scrypt hashes, Salt-shaped ACLs and hooks with jobs, with defaults', () => {
    const r = parse({
      users: { alice: { password_hash: HASH, groups: ['ops'] }, ci: {} },
      acl: {
        alice: ['test.*', { 'web*': ['cmd.run', { 'pkg.*': { args: [null], kwargs: { version: '1.*' } } }] }, '@jobs'],
        'ops%': ['@keys'],
      },
      hooks: { deploy: { secret: '0123456789abcdef', job: { target: 'web*', fun: 'state.apply' } } },
    });
    expect(r.success).toBe(true);
    expect(r.data!.users['ci']).toEqual({ groups: [], disabled: false });
    expect(r.data!.hooks['deploy']!.job).toMatchObject({ targetType: 'glob', args: [], timeoutMs: 60_000 });
    expect(r.data!.api).toMatchObject({ token_expire_s: 43_200, max_token_ttl_s: 31_536_000 });
  });

  it('refuses a root user, a password that is not an scrypt hash, a short hook secret, and unknown keys', () => {
    for (const bad of [
      { users: { root: {} } },
      { users: { alice: { password_hash: 'hunter2' } } },
      { users: { alice: { password: 'hunter2' } } },
      { users: { 'bad name': {} } },
      { hooks: { deploy: { secret: 'short' } } },
      { hooks: { deploy: { secret: '0123456789abcdef', job: { target: '*', fun: 'nodot' } } } },
      { acl: { alice: [{ '*': [{ 'cmd.run': { argz: [] } }] }] } },
    ])
      expect(parse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
