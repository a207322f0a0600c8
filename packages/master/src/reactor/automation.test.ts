import { describe, expect, it } from 'vitest';
import { aclSchema } from '../config-auth.js';
import { Acl } from '../http/auth/acl.js';
import { identityOf } from './automation.js';

describe('identityOf', () => {
  const acl = new Acl(aclSchema.parse({ 'ops%': ['test.*'], scheduler: ['state.apply'] }), {});

  it('gives an automation account the grants of its name and of its groups', () => {
    const users = { nightly: { groups: ['ops'] } } as never;
    const who = identityOf(acl, users, 'nightly');
    expect(who.user).toBe('nightly');
    expect(who.grants.admin).toBe(false);
    expect(who.grants.runsFunctions).toBe(true);
  });

  it('gives an account with no ACL entry nothing', () => {
    const who = identityOf(acl, {} as never, 'reactor');
    expect(who.grants.admin).toBe(false);
    expect(who.grants.runsFunctions).toBe(false);
  });
});
