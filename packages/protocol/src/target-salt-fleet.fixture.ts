import type { NodegroupDefinition, TargetFacts } from './target-types.js';

/**
 * Test fixture: six minions whose grains exercise every corner of Salt's matchers (nested maps,
 * maps in lists, lists of lists, nulls, booleans, floats, case in keys, a key holding ':').
 */
export const SALT_FLEET: readonly TargetFacts[] = [
  {
    id: 'web1',
    grains: {
      os: 'Debian',
      os_family: 'Debian',
      osrelease: '12',
      num_cpus: 8,
      mem_total: 16000,
      roles: ['web', 'cache'],
      ipv4: ['127.0.0.1', '10.0.1.5'],
      ipv6: ['::1'],
      ip_interfaces: {
        eth0: ['10.0.1.5'],
        lo: ['127.0.0.1'],
      },
      nics: [
        {
          name: 'eth0',
          mtu: 1500,
        },
        {
          name: 'eth1',
          mtu: 9000,
        },
      ],
      virtual: true,
      gpu: null,
      cpu_model: 'Intel(R) Xeon',
      motd: 'a<b',
      labels: {
        Team: 'Web',
        tier: 'front',
      },
      pi: 3.14,
      tiny: 1e-5,
      kernelparams: [
        ['console', 'ttyS0'],
        ['quiet', null],
      ],
      path: 'C:\\Windows',
      shell: '/bin/bash',
      locale: {
        lang: ['en_US', 'UTF-8'],
      },
    },
  },
  {
    id: 'web2',
    grains: {
      os: 'Ubuntu',
      os_family: 'Debian',
      osrelease: '22.04',
      num_cpus: 2,
      mem_total: 4096,
      roles: ['web'],
      ipv4: ['10.0.1.6'],
      ip_interfaces: {
        eth0: ['10.0.1.6'],
      },
      nics: [
        {
          name: 'ens3',
          mtu: 1500,
        },
      ],
      virtual: false,
      gpu: 'nvidia',
      labels: {
        team: 'web',
      },
      shell: '/bin/zsh',
      motd: 'hello world',
    },
  },
  {
    id: 'db1',
    grains: {
      os: 'Debian',
      os_family: 'Debian',
      osrelease: '11',
      num_cpus: 16,
      mem_total: 65536,
      roles: ['db'],
      ipv4: ['10.0.2.10'],
      ip_interfaces: {
        eth0: ['10.0.2.10'],
        eth1: [],
      },
      labels: {
        Team: 'DB',
      },
      virtual: 'kvm',
      gpu: null,
      SSDs: ['sda', 'sdb'],
    },
  },
  {
    id: 'db2.example.com',
    grains: {
      os: 'CentOS',
      os_family: 'RedHat',
      osrelease: '7.9',
      num_cpus: '4',
      ipv4: ['10.0.2.11'],
      ipv6: ['fe80::1', '2001:db8::5'],
      'a:b': 'colon-key',
      empty: {},
      tags: [],
      nested: {
        level1: {
          level2: 'deep',
        },
      },
      matrix: [
        [1, 2],
        [3, 4],
      ],
    },
  },
  {
    id: 'mail',
    grains: {},
  },
  {
    id: 'WEB3',
    grains: {
      os: 'debian',
      OS: 'Other',
      roles: 'web',
      ipv4: '10.0.3.33',
      num_cpus: 1.5,
    },
  },
];

/** Test fixture: nodegroups for each of Salt's rewrite rules in `nodegroup_comp`. */
export const SALT_NODEGROUPS: Readonly<Record<string, NodegroupDefinition>> = {
  webs: 'web*',
  debian: 'G@os:Debian',
  debianWebs: 'N@webs and N@debian',
  webOrDb: '( web* or db* )',
  anyWebOrDb: 'web* or db*',
  admins: ['mail', 'db1'],
  nested: 'N@debianWebs or N@admins',
  ids: 'web1 db1',
  regex: 'web(1|2)',
  regexWords: 'web[12] db\\d',
  globWords: 'web* mail',
  single: 'mail',
  listWords: ['G@os:Debian', 'or', 'G@os:Ubuntu'],
  notGroup: 'not web*',
  outer: 'N@anyWebOrDb',
  q: 'web?',
  dotted: 'db2.example.com',
  twoIds: ['web1', 'web2'],
  numbers: [1, 2],
} as unknown as Record<string, NodegroupDefinition>;
