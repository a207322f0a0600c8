import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { compileSls } from './compile/compile.js';
import { createRenderSession } from './render/render-session.js';
import type { StateFunctionRegistry, StateResult, StateReturn } from './run/registry.js';
import { runStates$ } from './run/run-states.js';
import { fakeCaller, memoryReader } from './testing-tree.fixture.js';

/** A formula in the style of public Salt formulas: map.jinja, defaults.yaml, pillar overrides, watch-restart. */
const formula = {
  'nginx/defaults.yaml': ['nginx:', '  pkg: nginx', '  service: nginx', '  port: 80', '  worker_processes: auto'].join(
    '\n',
  ),
  'nginx/osfamilymap.yaml': [
    'Debian:',
    '  conf_dir: /etc/nginx',
    '  user: www-data',
    'RedHat:',
    '  conf_dir: /etc/nginx',
    '  user: nginx',
  ].join('\n'),
  'nginx/map.jinja': [
    '{%- set tplroot = tpldir.split("/")[0] %}',
    '{%- import_yaml tplroot ~ "/defaults.yaml" as defaults %}',
    '{%- import_yaml tplroot ~ "/osfamilymap.yaml" as osfamilymap %}',
    "{%- set osfamily = salt['grains.filter_by'](osfamilymap, grain='os_family') or {} %}",
    '{%- do defaults.nginx.update(osfamily) %}',
    "{%- set nginx = salt['pillar.get']('nginx', default=defaults.nginx, merge=True) %}",
  ].join('\n'),
  'nginx/init.sls': 'include:\n  - .service\n',
  'nginx/package.sls': [
    '{%- from "nginx/map.jinja" import nginx with context %}',
    'nginx-package:',
    '  pkg.installed:',
    '    - name: {{ nginx.pkg }}',
  ].join('\n'),
  'nginx/config.sls': [
    '{%- from "nginx/map.jinja" import nginx with context %}',
    'include:',
    '  - .package',
    'nginx-config:',
    '  file.managed:',
    '    - name: {{ nginx.conf_dir }}/nginx.conf',
    '    - contents: |',
    '        user {{ nginx.user }};',
    '        worker_processes {{ nginx.worker_processes }};',
    '        # listen {{ nginx.port }}',
    '    - require:',
    '      - pkg: nginx-package',
    '{%- for site, conf in nginx.get("sites", {}).items() %}',
    'nginx-site-{{ site }}:',
    '  file.managed:',
    '    - name: {{ nginx.conf_dir }}/sites-enabled/{{ site }}.conf',
    '    - contents: "server_name {{ conf.server_name }};"',
    '    - require:',
    '      - pkg: nginx-package',
    '    - watch_in:',
    '      - service: nginx-service',
    '{%- endfor %}',
  ].join('\n'),
  'nginx/service.sls': [
    '{%- from "nginx/map.jinja" import nginx with context %}',
    'include:',
    '  - .config',
    'nginx-service:',
    '  service.running:',
    '    - name: {{ nginx.service }}',
    '    - enable: True',
    '    - watch:',
    '      - file: nginx-config',
  ].join('\n'),
};

/** A host in memory with idempotent pkg, file and service state functions, as the minion's will be. */
function fakeHost(): StateFunctionRegistry & { restarts: number } {
  const files = new Map<string, string>();
  const pkgs = new Set<string>();
  const running = new Set<string>();
  const host = {
    restarts: 0,
    has: (fun: string) => ['pkg.installed', 'file.managed', 'service.running', 'service.mod_watch'].includes(fun),
    call: (
      { fun, args }: { fun: string; args: Record<string, unknown> },
      { test }: { test: boolean },
    ): Promise<StateReturn> => {
      const name = String(args['name']);
      const done = (changes: Record<string, unknown>, comment: string): StateReturn => ({
        result: Object.keys(changes).length > 0 && test ? null : true,
        comment,
        changes,
      });
      if (fun === 'pkg.installed') {
        if (pkgs.has(name)) return Promise.resolve(done({}, 'installed'));
        if (!test) pkgs.add(name);
        return Promise.resolve(done({ [name]: { old: '', new: '1.0' } }, 'installed'));
      }
      if (fun === 'file.managed') {
        const contents = String(args['contents']);
        if (files.get(name) === contents) return Promise.resolve(done({}, 'up to date'));
        if (!test) files.set(name, contents);
        return Promise.resolve(done({ diff: files.has(name) && test ? 'changed' : 'new file' }, 'updated'));
      }
      if (fun === 'service.running') {
        if (running.has(name)) return Promise.resolve(done({}, 'running'));
        if (!test) running.add(name);
        return Promise.resolve(done({ [name]: true }, 'started'));
      }
      if (!test) host.restarts++;
      return Promise.resolve(done({ [name]: true }, test ? 'Service is set to be restarted' : 'restarted'));
    },
  };
  return host;
}

async function apply(host: StateFunctionRegistry, pillar: Record<string, unknown>, test = false) {
  const grains = { id: 'web1', os_family: 'Debian' };
  const session = createRenderSession({
    readFile: memoryReader({ base: formula }),
    call: fakeCaller({ grains, pillar }),
    grains,
    pillar,
  });
  const compiled = await compileSls(session, [{ env: 'base', sls: 'nginx' }]);
  if (!compiled.ok) throw new Error(compiled.problems.map((p) => p.message).join('\n'));
  const events = await lastValueFrom(runStates$(compiled.plan, host, { test }).pipe(toArray()));
  const last = events.at(-1)!;
  if (last.type !== 'return') throw new Error('no return');
  return last.results;
}

const changed = (results: Record<string, StateResult>) =>
  Object.fromEntries(
    Object.entries(results)
      .filter(([, r]) => Object.keys(r.changes).length > 0)
      .map(([k, r]) => [k, r.changes]),
  );

describe('an nginx formula, end to end over an in-memory host', () => {
  const pillar = { nginx: { port: 8080, sites: { shop: { server_name: 'shop.example.com' } } } };

  it('changes on the first run, not on the second, and test mode predicts the first run', async () => {
    const host = fakeHost();
    const predicted = await apply(host, pillar, true);
    const first = await apply(host, pillar);
    const second = await apply(host, pillar);
    expect(Object.keys(changed(first))).toStrictEqual([
      'pkg_|-nginx-package_|-nginx_|-installed',
      'file_|-nginx-config_|-/etc/nginx/nginx.conf_|-managed',
      'file_|-nginx-site-shop_|-/etc/nginx/sites-enabled/shop.conf_|-managed',
      'service_|-nginx-service_|-nginx_|-running',
    ]);
    expect(Object.keys(changed(predicted))).toStrictEqual(Object.keys(changed(first)));
    expect(Object.values(predicted).every((r) => r.result === null || Object.keys(r.changes).length === 0)).toBe(true);
    expect(changed(second)).toStrictEqual({});
    expect(Object.values(second).every((r) => r.result === true)).toBe(true);
    expect(host.restarts).toBe(0);
  });

  it('renders the pillar override and the OS map into the file', async () => {
    const host = fakeHost();
    const calls: Array<Record<string, unknown>> = [];
    await apply({ has: host.has, call: (c, ctx) => (calls.push(c.args), host.call(c, ctx)) }, pillar);
    expect(calls.find((a) => a['name'] === '/etc/nginx/nginx.conf')!['contents']).toBe(
      'user www-data;\nworker_processes auto;\n# listen 8080\n',
    );
  });

  it('restarts the service through mod_watch when only the config changes', async () => {
    const host = fakeHost();
    await apply(host, pillar);
    const second = await apply(host, { nginx: { ...pillar.nginx, port: 9090 } });
    expect(host.restarts).toBe(1);
    expect(second['service_|-nginx-service_|-nginx_|-running']).toMatchObject({
      comment: 'restarted',
      changes: { nginx: true },
    });
  });
});
