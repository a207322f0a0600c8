import { describe, expect, it } from 'vitest';
import { fakeCaller, memoryReader } from '../testing-tree.fixture.js';
import { createRenderSession, type RenderSessionOptions } from './render-session.js';
import { slsContext } from './paths.js';

const grains = { id: 'web1', os: 'Ubuntu', os_family: 'Debian', roles: ['web', 'db'], mem_total: 2048 };
const pillar = { nginx: { port: 8080, lookup: { user: 'nginx' } }, users: ['ann', 'bob'] };

function session(files: Record<string, string>, extra: Partial<RenderSessionOptions> = {}) {
  const readFile = memoryReader({ base: files });
  const call = fakeCaller({ grains, pillar });
  return { readFile, call, s: createRenderSession({ readFile, call, grains, pillar, ...extra }) };
}

async function render(files: Record<string, string>, path: string, sls?: string): Promise<unknown> {
  const { s } = session(files);
  return (await s.renderData({ saltenv: 'base', path, context: slsContext(sls, path) })).data;
}

describe('rendering SLS', () => {
  it('renders a formula: map.jinja with filter_by, import_yaml defaults and a pillar merge', async () => {
    const files = {
      'nginx/defaults.yaml': 'nginx:\n  port: 80\n  user: www-data\n  pkg: nginx\n',
      'nginx/map.jinja': [
        '{%- set tplroot = tpldir.split("/")[0] %}',
        '{%- import_yaml tplroot ~ "/defaults.yaml" as defaults %}',
        "{%- set os_map = salt['grains.filter_by']({",
        "    'Debian': {'conf': '/etc/nginx/nginx.conf'},",
        "    'RedHat': {'conf': '/etc/nginx/nginx.conf', 'user': 'nginx'},",
        "  }, grain='os_family', merge=salt['pillar.get']('nginx:lookup')) %}",
        '{%- do defaults.nginx.update(os_map) %}',
        "{%- set nginx = salt['defaults.merge'](defaults.nginx, salt['pillar.get']('nginx', {}), in_place=False) %}",
      ].join('\n'),
      'nginx/init.sls': [
        '{% from "nginx/map.jinja" import nginx with context %}',
        'nginx-pkg:',
        '  pkg.installed:',
        '    - name: {{ nginx.pkg }}',
        'nginx-conf:',
        '  file.managed:',
        '    - name: {{ nginx.conf }}',
        '    - user: {{ nginx.user }}',
        '    - context: {{ {"port": nginx.port} | yaml }}',
        '    - mode: 0644',
      ].join('\n'),
    };
    expect(await render(files, 'nginx/init.sls', 'nginx')).toStrictEqual({
      'nginx-pkg': { 'pkg.installed': [{ name: 'nginx' }] },
      'nginx-conf': {
        'file.managed': [
          { name: '/etc/nginx/nginx.conf' },
          { user: 'nginx' },
          { context: { port: 8080 } },
          { mode: 420 },
        ],
      },
    });
  });

  it('gives templates the sls variables, grains, pillar and saltenv', async () => {
    const files = {
      'web/app/config.sls':
        'x: [{{ sls }}, {{ slspath }}, {{ tpldir }}, {{ saltenv }}, {{ grains.id }}, {{ pillar.users | join("+") }}]',
    };
    expect(await render(files, 'web/app/config.sls', 'web.app.config')).toStrictEqual({
      x: ['web.app.config', 'web/app', 'web/app', 'base', 'web1', 'ann+bob'],
    });
  });

  it('waits for asynchronous function results and calls each once, in template order', async () => {
    const { s, call } = session({
      'a.sls':
        "h: {{ salt['cmd.run']('hostname') }}\ne: {{ salt.test.echo('x') }}\nh2: {{ salt['cmd.run']('hostname') }}",
    });
    expect((await s.renderData({ saltenv: 'base', path: 'a.sls' })).data).toStrictEqual({
      h: 'ran hostname',
      e: 'x',
      h2: 'ran hostname',
    });
    expect(call.calls).toStrictEqual(['cmd.run(["hostname"])', 'test.echo(["x"])']);
  });

  it('does not call functions on a branch that the finished render does not take', async () => {
    const { s, call } = session({
      'a.sls': "{% if not salt['test.echo'](true) %}{% do salt['cmd.run']('rm -rf /tmp/x') %}{% endif %}a: 1",
    });
    await s.renderData({ saltenv: 'base', path: 'a.sls' });
    expect(call.calls).toStrictEqual(['test.echo([true])']);
  });

  it('supports Python methods, Jinja tests and Salt filters', async () => {
    const files = {
      'a.sls': [
        "a: {{ 'A-b-C'.lower().split('-') | json }}",
        "b: {{ '{0}.conf'.format('site') }}",
        'c: {{ [1, 2, 2, 3] | unique | tojson }}',
        'd: {{ none is none }}',
        "{% set nested = {'k': {'v': 1},} %}",
        "e: {{ nested | traverse('k:v') }}",
        "f: {{ 'x' | yaml_dquote }}",
        'g: {{ grains.roles is list }}',
        "h: {{ ', '.join(['a', 'b']) | yaml_encode }}",
        '{% set blk %}inner{% endset %}',
        'i: {{ blk }}',
        '{% load_yaml as loaded %}k: [1, 2]{% endload %}',
        'j: {{ loaded.k | tojson }}',
        "k: {{ ['a', 'b'] | map('upper') | list | tojson }}",
      ].join('\n'),
    };
    expect(await render(files, 'a.sls')).toStrictEqual({
      a: ['a', 'b', 'c'],
      b: 'site.conf',
      c: [1, 2, 3],
      d: true,
      e: 1,
      f: 'x',
      g: true,
      h: 'a, b',
      i: 'inner',
      j: [1, 2],
      k: ['A', 'B'],
    });
  });

  it('accepts salt:// and brine:// template paths, relative imports and includes', async () => {
    const files = {
      'lib/vars.jinja': '{% set who = "lib" %}',
      'app/local.jinja': '{% set where = "local" %}',
      'app/part.jinja': 'p: 1',
      'app/init.sls': [
        '{% from "salt://lib/vars.jinja" import who %}',
        "{% from './local.jinja' import where %}",
        '{% import_json "brine://app/data.json" as data %}',
        '{% include "app/part.jinja" %}',
        'w: [{{ who }}, {{ where }}, {{ data.n }}]',
      ].join('\n'),
      'app/data.json': '{"n": 3}',
    };
    expect(await render(files, 'app/init.sls', 'app')).toStrictEqual({ p: 1, w: ['lib', 'local', 3] });
  });

  it('reads #!yaml without Jinja, #!json and #!jinja|json', async () => {
    expect(await render({ 'a.sls': '#!yaml\na: "{{ not_jinja }}"' }, 'a.sls')).toStrictEqual({ a: '{{ not_jinja }}' });
    expect(await render({ 'a.sls': '#!json\n{"a": 1}' }, 'a.sls')).toStrictEqual({ a: 1 });
    expect(await render({ 'a.sls': '#!jinja|json\n{"a": {{ 1 + 1 }}}' }, 'a.sls')).toStrictEqual({ a: 2 });
  });
});

describe('render errors', () => {
  const failure = async (files: Record<string, string>, path = 'a.sls') => {
    try {
      await render(files, path);
    } catch (err) {
      return err as { code: string; file: string; line: number; message: string };
    }
    throw new Error('rendered');
  };

  it('names file and line of an undefined variable', async () => {
    const err = await failure({ 'a.sls': 'a: 1\nb: {{ nope }}\n' });
    expect(err).toMatchObject({ code: 'ERR_STATE_TEMPLATE', file: 'a.sls', line: 2 });
    expect(err.message).toContain('a.sls:2');
    expect(err.message).toContain('{{ nope }}');
  });

  it('names the imported template where the error is', async () => {
    const err = await failure({
      'a.sls': '{% from "m.jinja" import x %}\na: {{ x }}',
      'm.jinja': '\n\n{% set x = y.z() %}',
    });
    expect(err).toMatchObject({ code: 'ERR_STATE_TEMPLATE', file: 'm.jinja', line: 3 });
  });

  it('names file and line of a YAML error after rendering', async () => {
    const err = await failure({ 'a.sls': '{% set x = 1 %}\na:\n  b: {{ x }}\n  c: [\n' });
    expect(err).toMatchObject({ code: 'ERR_STATE_YAML', file: 'a.sls' });
  });

  it('reports a failing function call with the line that called it', async () => {
    const err = await failure({ 'a.sls': "a: 1\nb: {{ salt['test.fail']() }}" });
    expect(err).toMatchObject({ code: 'ERR_STATE_TEMPLATE', line: 2 });
    expect(err.message).toContain('it failed');
  });

  it('reports a missing template import', async () => {
    const err = await failure({ 'a.sls': '\n{% import "missing.jinja" as m %}' });
    expect(err).toMatchObject({ code: 'ERR_STATE_TEMPLATE', line: 2 });
    expect(err.message).toContain('missing.jinja');
  });

  it('refuses an unknown renderer', async () => {
    expect(await failure({ 'a.sls': '#!py\ndef run(): pass' })).toMatchObject({
      code: 'ERR_STATE_RENDERER_UNKNOWN',
      line: 1,
    });
  });

  it('names the line of a JSON error', async () => {
    expect(await failure({ 'a.sls': '#!json\n{\n"a": 1,\n}' })).toMatchObject({
      code: 'ERR_STATE_JSON',
      file: 'a.sls',
    });
  });
});
