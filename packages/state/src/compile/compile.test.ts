import { describe, expect, it } from 'vitest';
import { fakeCaller, memoryReader } from '../testing-tree.fixture.js';
import { createRenderSession } from '../render/render-session.js';
import { compileHighstate, compileSls, type CompileResult } from './compile.js';
import type { LowState } from './types.js';

const grains = { id: 'web1', os_family: 'Debian', roles: ['web'] };
const pillar = { nginx: { port: 8080 } };

function sessionFor(tree: Record<string, Record<string, string>>) {
  return createRenderSession({ readFile: memoryReader(tree), call: fakeCaller({ grains, pillar }), grains, pillar });
}

async function compile(files: Record<string, string>, ...sls: string[]): Promise<CompileResult> {
  return compileSls(
    sessionFor({ base: files }),
    sls.map((s) => ({ env: 'base', sls: s })),
  );
}

function lowsOf(result: CompileResult): LowState[] {
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.lows;
}

const brief = (low: LowState) => `${low.state}.${low.fun} ${low.__id__} ${low.name}`;

/** A formula in the style of the public nginx-formula: map.jinja, defaults, includes, extend. */
const nginxFormula = {
  'nginx/defaults.yaml': 'nginx:\n  pkg: nginx\n  service: nginx\n  conf: /etc/nginx/nginx.conf\n  port: 80\n',
  'nginx/map.jinja': [
    '{% import_yaml "nginx/defaults.yaml" as defaults %}',
    "{% set os = salt['grains.filter_by']({'Debian': {'user': 'www-data'}, 'RedHat': {'user': 'nginx'}}) %}",
    '{% do defaults.nginx.update(os) %}',
    "{% set nginx = salt['defaults.merge'](defaults.nginx, salt['pillar.get']('nginx', {})) %}",
  ].join('\n'),
  'nginx/init.sls': 'include:\n  - .pkg\n  - .config\n  - .service\n',
  'nginx/pkg.sls': [
    '{% from "nginx/map.jinja" import nginx with context %}',
    'nginx-pkg:',
    '  pkg.installed:',
    '    - name: {{ nginx.pkg }}',
  ].join('\n'),
  'nginx/config.sls': [
    '{% from "nginx/map.jinja" import nginx with context %}',
    'include:',
    '  - nginx.pkg',
    'nginx-conf:',
    '  file.managed:',
    '    - name: {{ nginx.conf }}',
    '    - source: salt://nginx/files/nginx.conf.j2',
    '    - template: jinja',
    '    - context: {port: {{ nginx.port }}, user: {{ nginx.user }}}',
    '    - require:',
    '      - pkg: nginx-pkg',
  ].join('\n'),
  'nginx/service.sls': [
    '{% from "nginx/map.jinja" import nginx with context %}',
    'nginx-service:',
    '  service.running:',
    '    - name: {{ nginx.service }}',
    '    - enable: True',
    '    - watch:',
    '      - file: nginx-conf',
  ].join('\n'),
  'site/init.sls': [
    'include:',
    '  - nginx',
    'site-conf:',
    '  file.managed:',
    '    - name: /etc/nginx/sites-enabled/site.conf',
    '    - contents: "server {}"',
    'extend:',
    '  nginx-service:',
    '    service:',
    '      - watch:',
    '        - file: site-conf',
  ].join('\n'),
};

describe('compiling a formula', () => {
  it('renders includes first, in definition order, with pillar-merged values and extended watches', async () => {
    const lows = lowsOf(await compile(nginxFormula, 'site'));
    expect(lows.map(brief)).toStrictEqual([
      'pkg.installed nginx-pkg nginx',
      'file.managed nginx-conf /etc/nginx/nginx.conf',
      'service.running nginx-service nginx',
      'file.managed site-conf /etc/nginx/sites-enabled/site.conf',
    ]);
    expect(lows[1]).toMatchObject({
      context: { port: 8080, user: 'www-data' },
      __sls__: 'nginx.config',
      __file__: 'nginx/config.sls',
      __line__: 4,
    });
    expect(lows[2]!['watch']).toStrictEqual([{ file: 'nginx-conf' }, { file: 'site-conf' }]);
    expect(lows[2]!['enable']).toBe(true);
  });

  it('gives the plan an edge per requisite and walks requisites first', async () => {
    const result = await compile(nginxFormula, 'site');
    if (!result.ok) throw new Error('compile failed');
    const { plan } = result;
    expect(plan.nodes[2]!.deps).toStrictEqual([
      { type: 'watch', node: 1 },
      { type: 'watch', node: 3 },
    ]);
    expect(plan.sequence).toStrictEqual([0, 1, 3, 2]);
  });
});

describe('state declarations', () => {
  it('reads the long, short and list forms, names with overrides and the ID as default name', async () => {
    const lows = lowsOf(
      await compile(
        {
          'a.sls': [
            'vim: pkg.installed',
            'tools:',
            '  pkg:',
            '    - installed',
            '    - names:',
            '      - git',
            '      - curl: [{version: "7.0"}]',
            '/etc/motd:',
            '  file.managed:',
            '    - contents: hi',
          ].join('\n'),
        },
        'a',
      ),
    );
    expect(lows.map(brief)).toStrictEqual([
      'pkg.installed vim vim',
      'pkg.installed tools git',
      'pkg.installed tools curl',
      'file.managed /etc/motd /etc/motd',
    ]);
    expect(lows[2]!['version']).toBe('7.0');
  });

  it('orders first, numbers, auto order and last as Salt does', async () => {
    const lows = lowsOf(
      await compile(
        {
          'a.sls': [
            'one: {test.nop: []}',
            'two: {test.nop: [{order: last}]}',
            'three: {test.nop: [{order: first}]}',
            'four: {test.nop: [{order: 5}]}',
            'five: {test.nop: [{order: -1}]}',
          ].join('\n'),
        },
        'a',
      ),
    );
    // Auto order starts at 10000, so `order: 5` comes before every unordered state; -1 is just before last.
    expect(lows.map((l) => l.__id__)).toStrictEqual(['three', 'four', 'one', 'five', 'two']);
  });

  it('resolves relative includes against the package, including ..', async () => {
    const lows = lowsOf(
      await compile(
        {
          'app/init.sls': 'include: [.web]\nroot: test.nop',
          'app/web/init.sls': 'include: [.conf, ..db]\nweb: test.nop',
          'app/web/conf.sls': 'conf: test.nop',
          'app/db.sls': 'db: test.nop',
        },
        'app',
      ),
    );
    expect(lows.map((l) => `${l.__sls__}:${l.__id__}`)).toStrictEqual([
      'app.web.conf:conf',
      'app.db:db',
      'app.web:web',
      'app:root',
    ]);
  });

  it('applies exclude by sls and by id', async () => {
    const lows = lowsOf(
      await compile(
        {
          'a.sls': 'include: [b, c]\nexclude:\n  - sls: b\n  - id: c2\na1: test.nop',
          'b.sls': 'b1: test.nop',
          'c.sls': 'c1: test.nop\nc2: test.nop',
        },
        'a',
      ),
    );
    expect(lows.map((l) => l.__id__)).toStrictEqual(['c1', 'a1']);
  });

  it('turns _in requisites, prereq and use into the forms the runner reads', async () => {
    const lows = lowsOf(
      await compile(
        {
          'a.sls': [
            'conf:',
            '  file.managed:',
            '    - name: /etc/app.conf',
            '    - user: app',
            '    - mode: "0600"',
            '    - watch_in:',
            '      - service: web',
            '    - require_in: [other]',
            'other:',
            '  file.managed:',
            '    - use:',
            '      - file: conf',
            'app:',
            '  service.running:',
            '    - prereq:',
            '      - file: /etc/app.conf',
            'web: service.running',
          ].join('\n'),
        },
        'a',
      ),
    );
    const [conf, other, , web] = lows;
    expect(web!['watch']).toStrictEqual([{ file: 'conf' }]);
    expect(other!['require']).toStrictEqual([{ file: 'conf' }]);
    expect(other).toMatchObject({ user: 'app', mode: '0600', name: 'other' });
    expect(conf!['prerequired']).toStrictEqual([{ service: 'app' }]);
  });
});

describe('compile errors', () => {
  const problems = async (files: Record<string, string>, ...sls: string[]) => {
    const result = await compile(files, ...sls);
    if (result.ok) throw new Error('compiled');
    return result.problems;
  };

  it('names the file, line and ID of a requisite on a missing state', async () => {
    const [p] = await problems(
      { 'a.sls': 'x: test.nop\n\nsvc:\n  service.running:\n    - require:\n      - pkg: nope\n' },
      'a',
    );
    expect(p).toMatchObject({ code: 'ERR_STATE_REQUISITE_MISSING', file: 'a.sls', line: 3, ids: ['svc'] });
    expect(p!.message).toContain("'svc' (a.sls:3)");
    expect(p!.message).toContain('pkg: nope');
  });

  it('names every ID of a requisite cycle with its file and line', async () => {
    const [p] = await problems(
      {
        'a.sls': 'include: [b]\none:\n  test.nop:\n    - require: [two]\n',
        'b.sls': 'two:\n  test.nop:\n    - watch:\n      - test: one\n',
      },
      'a',
    );
    expect(p).toMatchObject({ code: 'ERR_STATE_REQUISITE_CYCLE' });
    expect(p!.ids!.sort()).toStrictEqual(['one', 'two']);
    expect(p!.message).toContain('a.sls:2');
    expect(p!.message).toContain('b.sls:1');
  });

  it('names both files of an ID defined twice', async () => {
    const [p] = await problems({ 'a.sls': 'include: [b]\nsame: test.nop\n', 'b.sls': '\nsame: test.nop\n' }, 'a');
    expect(p).toMatchObject({ code: 'ERR_STATE_DUPLICATE_ID', ids: ['same'] });
    expect(p!.message).toContain('b.sls:2');
    expect(p!.message).toContain('a.sls:2');
  });

  it('names the line of an extend of an ID no file defines', async () => {
    const [p] = await problems({ 'a.sls': 'a: test.nop\nextend:\n  ghost:\n    test:\n      - order: 1\n' }, 'a');
    expect(p).toMatchObject({ code: 'ERR_STATE_EXTEND_MISSING', file: 'a.sls', line: 3 });
  });

  it('reports a missing include with the including file', async () => {
    const [p] = await problems({ 'a.sls': 'include:\n  - nothere\na: test.nop\n' }, 'a');
    expect(p).toMatchObject({ code: 'ERR_STATE_SLS_NOT_FOUND', file: 'a.sls', line: 1 });
    expect(p!.message).toContain('nothere.sls');
  });

  it('refuses two functions for one module and a declaration with none', async () => {
    const found = await problems(
      { 'a.sls': 'a:\n  pkg:\n    - installed\n    - removed\nb:\n  pkg:\n    - name: x\n' },
      'a',
    );
    expect(found.map((p) => [p.code, p.line])).toStrictEqual([
      ['ERR_STATE_STRUCTURE', 1],
      ['ERR_STATE_STRUCTURE', 5],
    ]);
  });

  it('reports render errors of included files and goes on with the others', async () => {
    const found = await problems(
      { 'a.sls': 'include: [b, c]\na: test.nop', 'b.sls': 'b: {{ missing }}', 'c.sls': 'c: [' },
      'a',
    );
    expect(found.map((p) => `${p.code} ${p.file}:${p.line}`)).toStrictEqual([
      'ERR_STATE_TEMPLATE b.sls:1',
      'ERR_STATE_YAML c.sls:1',
    ]);
  });
});

describe('top files', () => {
  it('compiles the SLS the top files assign to this minion through the injected matcher', async () => {
    const session = sessionFor({
      base: {
        'top.sls': "base:\n  '*':\n    - common\n  'roles:web':\n    - match: grain\n    - web\n  'db*':\n    - db\n",
        'common.sls': 'common: test.nop',
        'web.sls': 'web: test.nop',
        'db.sls': 'db: test.nop',
      },
      dev: { 'top.sls': "dev:\n  '*':\n    - devtools\n", 'devtools.sls': 'devtools: test.nop' },
    });
    const seen: string[] = [];
    const match = (target: string, type: string) => {
      seen.push(`${type}:${target}`);
      return target === '*' || (type === 'grain' && target === 'roles:web');
    };
    const lows = lowsOf(await compileHighstate(session, { envs: ['base', 'dev'], match }));
    expect(lows.map((l) => `${l.__env__}:${l.__id__}`)).toStrictEqual(['base:common', 'base:web', 'dev:devtools']);
    expect(seen).toStrictEqual(['compound:*', 'grain:roles:web', 'compound:db*', 'compound:*']);
  });
});
