import { describe, expect, it } from 'vitest';
import type { TargetTypeValue } from './frames.js';
import type { TargetFacts } from './target-types.js';
import { compileTarget, targetUsesPillar } from './targeting.js';

const FLEET: TargetFacts[] = [
  { id: 'web1', grains: { os: 'Debian' }, pillar: { role: 'web', app: { tier: 'front', ports: [80, 443] } } },
  { id: 'web2', grains: { os: 'Ubuntu' }, pillar: { role: 'web', app: { tier: 'back' } } },
  { id: 'db1', grains: { os: 'Debian', role: 'web' }, pillar: { role: 'db' } },
  // connected, but its pillar was never compiled: no pillar target selects it
  { id: 'new1', grains: { role: 'web' } },
];

function select(tgt: string, tgtType: TargetTypeValue): string[] {
  const compiled = compileTarget(tgt, tgtType);
  if (!compiled.ok) throw new Error(compiled.error.message);
  return FLEET.filter(compiled.match).map((m) => m.id);
}

describe('pillar targeting', () => {
  it.each<[string, TargetTypeValue, string[]]>([
    ['role:web', 'pillar', ['web1', 'web2']],
    ['role:w*', 'pillar', ['web1', 'web2']],
    ['app:tier:front', 'pillar', ['web1']],
    ['app:ports:443', 'pillar', ['web1']],
    ['role:(db|web)', 'pillar_pcre', ['web1', 'web2', 'db1']],
    ['app:tier:b.*', 'pillar_pcre', ['web2']],
    ['I@role:web and G@os:Debian', 'compound', ['web1']],
    ['I@role:db or J@app:tier:^f', 'compound', ['web1', 'db1']],
    ['not I@role:web', 'compound', ['db1', 'new1']],
    ['I%@app%tier%back', 'compound', ['web2']],
  ])('selects by %j (%s) from pillar, never from grains', (tgt, tgtType, ids) => {
    expect(select(tgt, tgtType)).toEqual(ids);
  });

  it('refuses a pillar regex RE2 cannot run in linear time', () => {
    const compiled = compileTarget('role:(a+)+\\1', 'pillar_pcre');
    expect(compiled.ok).toBe(false);
  });

  it.each<[string, TargetTypeValue, boolean]>([
    ['role:web', 'pillar', true],
    ['role:w.*', 'pillar_pcre', true],
    ['web* and I@role:web', 'compound', true],
    ['(J@role:web)', 'compound', true],
    ['web* and G@os:Debian', 'compound', false],
    ['role:web', 'grain', false],
    ['g', 'nodegroup', true],
  ])('says whether %j (%s) needs the master to resolve it', (tgt, tgtType, uses) => {
    expect(targetUsesPillar(tgt, tgtType, { nodegroups: { g: 'web* or I@role:db' } })).toBe(uses);
  });
});
