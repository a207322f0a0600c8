import { describe, expect, it } from 'vitest';
import { planFromYaml } from '../run/plan.fixture.js';

const sls = [
  'nginx-pkg: pkg.installed',
  'nginx-conf:',
  '  file.managed:',
  '    - name: /etc/nginx/nginx.conf',
  'site-conf:',
  '  file.managed:',
  '    - name: /etc/nginx/sites/a.conf',
  'app-user: user.present',
].join('\n');

function depsOf(extra: string): string[] {
  const plan = planFromYaml(`${sls}\nsubject:\n  test.nop:\n${extra}`);
  const subject = plan.nodes.find((n) => n.low.__id__ === 'subject')!;
  return subject.deps.map((d) => `${d.type}:${plan.nodes[d.node]!.low.__id__}`);
}

describe('requisite targets', () => {
  it.each([
    ['module and ID', '    - require:\n      - pkg: nginx-pkg', ['require:nginx-pkg']],
    ['module and name', '    - require:\n      - file: /etc/nginx/nginx.conf', ['require:nginx-conf']],
    ['a bare ID, any module', '    - require:\n      - app-user', ['require:app-user']],
    ['id: for any module', '    - watch:\n      - id: nginx-pkg', ['watch:nginx-pkg']],
    ['a glob over names', '    - require:\n      - file: /etc/nginx/*', ['require:nginx-conf', 'require:site-conf']],
    ['a glob over IDs', '    - onchanges:\n      - file: "*-conf"', ['onchanges:nginx-conf', 'onchanges:site-conf']],
    // Surprising: the module must match, so `pkg: nginx-conf` names nothing.
    [
      'sls: every state of an SLS (not the subject itself)',
      '    - require:\n      - sls: app',
      ['require:nginx-pkg', 'require:nginx-conf', 'require:site-conf', 'require:app-user'],
    ],
    [
      'require_any',
      '    - require_any:\n      - pkg: nginx-pkg\n      - user: app-user',
      ['require_any:nginx-pkg', 'require_any:app-user'],
    ],
  ])('resolves %s', (_name, extra, expected) => {
    expect(depsOf(extra)).toStrictEqual(expected);
  });

  it('names nothing when the module differs', () => {
    expect(() => depsOf('    - require:\n      - pkg: nginx-conf')).toThrow("names 'pkg: nginx-conf'");
  });
});
