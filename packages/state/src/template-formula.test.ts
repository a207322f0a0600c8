import { describe, expect, it } from 'vitest';
import { compileSls } from './compile/compile.js';
import { createRenderSession } from './render/render-session.js';
import { fakeCaller, memoryReader } from './testing-tree.fixture.js';

/*
 * The map.jinja of the public template-formula (v3/v4 layout, the one most formulas copied):
 * defaults.yaml, then per-osarch, os_family, os and osfinger maps, then the `lookup` from
 * config.get, merged by nested grains.filter_by calls written over several lines.
 */
const files = {
  'TEMPLATE/defaults.yaml': [
    'TEMPLATE:',
    '  pkg:',
    '    name: TEMPLATE',
    '  rootgroup: root',
    '  config: /etc/TEMPLATE.conf',
    '  service:',
    '    name: TEMPLATE',
  ].join('\n'),
  'TEMPLATE/osarchmap.yaml': ['amd64:', '  arch: amd64', 'arm64:', '  arch: arm64'].join('\n'),
  'TEMPLATE/osfamilymap.yaml': [
    'Debian:',
    '  pkg:',
    '    name: TEMPLATE-debian',
    'RedHat:',
    '  pkg:',
    '    name: TEMPLATE-redhat',
  ].join('\n'),
  'TEMPLATE/osmap.yaml': ['Ubuntu:', '  service:', '    name: TEMPLATE-ubuntu'].join('\n'),
  'TEMPLATE/osfingermap.yaml': ['Ubuntu-22.04:', '  rootgroup: wheel'].join('\n'),
  'TEMPLATE/map.jinja': [
    '# -*- coding: utf-8 -*-',
    '# vim: ft=jinja',
    '',
    '{#- Get the `tplroot` from `tpldir` #}',
    "{%- set tplroot = tpldir.split('/')[0] %}",
    '{#- Start imports as #}',
    '{%- import_yaml tplroot ~ "/defaults.yaml" as default_settings %}',
    '{%- import_yaml tplroot ~ "/osarchmap.yaml" as osarchmap %}',
    '{%- import_yaml tplroot ~ "/osfamilymap.yaml" as osfamilymap %}',
    '{%- import_yaml tplroot ~ "/osmap.yaml" as osmap %}',
    '{%- import_yaml tplroot ~ "/osfingermap.yaml" as osfingermap %}',
    '',
    '{#- Retrieve the config dict only once #}',
    "{%- set _config = salt['config.get'](tplroot, default={}) %}",
    '',
    "{%- set defaults = salt['grains.filter_by'](",
    '      default_settings,',
    '      default=tplroot,',
    "      merge=salt['grains.filter_by'](",
    '        osarchmap,',
    "        grain='osarch',",
    "        merge=salt['grains.filter_by'](",
    '          osfamilymap,',
    "          grain='os_family',",
    "          merge=salt['grains.filter_by'](",
    '            osmap,',
    "            grain='os',",
    "            merge=salt['grains.filter_by'](",
    '              osfingermap,',
    "              grain='osfinger',",
    "              merge=salt['grains.filter_by'](",
    '                _config,',
    "                default='lookup'",
    '              )',
    '            )',
    '          )',
    '        )',
    '      )',
    '    )',
    '%}',
    '',
    "{%- set config = salt['grains.filter_by'](",
    "      {'defaults': defaults},",
    "      default='defaults',",
    '      merge=_config',
    '    )',
    '%}',
    '',
    '{%- set TEMPLATE = config %}',
    '',
    '{#- Post-processing for specific non-YAML customisations #}',
    "{%- if grains.os == 'MacOS' %}",
    "{%-   set macos_group = salt['cmd.run'](\"stat -f '%Sg' /dev/console\") %}",
    "{%-   do TEMPLATE.update({'rootgroup': macos_group}) %}",
    '{%- endif %}',
  ].join('\n'),
  'TEMPLATE/package/install.sls': [
    '# -*- coding: utf-8 -*-',
    '{#- Get the `tplroot` from `tpldir` #}',
    "{%- set tplroot = tpldir.split('/')[0] %}",
    '{%- from tplroot ~ "/map.jinja" import TEMPLATE with context %}',
    '',
    'TEMPLATE-package-install-pkg-installed:',
    '  pkg.installed:',
    '    - name: {{ TEMPLATE.pkg.name }}',
  ].join('\n'),
  'TEMPLATE/config/file.sls': [
    "{%- set tplroot = tpldir.split('/')[0] %}",
    "{%- set sls_package_install = tplroot ~ '.package.install' %}",
    '{%- from tplroot ~ "/map.jinja" import TEMPLATE with context %}',
    '',
    'include:',
    '  - {{ sls_package_install }}',
    '',
    'TEMPLATE-config-file-file-managed:',
    '  file.managed:',
    '    - name: {{ TEMPLATE.config }}',
    '    - source: {{ salt["file.join"]("salt://", tplroot, "files/default/example.tmpl.jinja") }}',
    '    - mode: 644',
    '    - user: root',
    '    - group: {{ TEMPLATE.rootgroup }}',
    '    - makedirs: True',
    '    - template: jinja',
    '    - require:',
    '      - sls: {{ sls_package_install }}',
    '    - context:',
    '        TEMPLATE: {{ TEMPLATE | json }}',
  ].join('\n'),
};

describe("template-formula's map.jinja", () => {
  it('merges defaults, OS maps and the pillar lookup as Salt does', async () => {
    const grains = { os: 'Ubuntu', os_family: 'Debian', osarch: 'amd64', osfinger: 'Ubuntu-22.04' };
    const pillar = { TEMPLATE: { lookup: { config: '/srv/TEMPLATE.conf' }, extra: 1 } };
    const session = createRenderSession({
      readFile: memoryReader({ base: files }),
      call: fakeCaller({ grains, pillar }),
      grains,
      pillar,
    });
    const result = await compileSls(session, [{ env: 'base', sls: 'TEMPLATE.config.file' }]);
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    const [pkg, file] = result.lows;
    expect(pkg).toMatchObject({ __id__: 'TEMPLATE-package-install-pkg-installed', name: 'TEMPLATE-debian' });
    expect(file).toMatchObject({
      name: '/srv/TEMPLATE.conf',
      source: 'salt://TEMPLATE/files/default/example.tmpl.jinja',
      mode: 644, // decimal in YAML 1.1 too (no leading 0); file.managed reads it as octal digits
      group: 'wheel',
      require: [{ sls: 'TEMPLATE.package.install' }],
    });
    expect(file!['context']).toStrictEqual({
      TEMPLATE: {
        pkg: { name: 'TEMPLATE-debian' },
        rootgroup: 'wheel',
        config: '/srv/TEMPLATE.conf',
        service: { name: 'TEMPLATE-ubuntu' },
        arch: 'amd64',
        lookup: { config: '/srv/TEMPLATE.conf' },
        extra: 1,
      },
    });
    expect(result.plan.nodes[1]!.deps).toStrictEqual([{ type: 'require', node: 0 }]);
  });
});
