import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import type { TargetTypeValue } from './frames.js';
import { SALT_FLEET, SALT_NODEGROUPS } from './target-salt-fleet.fixture.js';
import { compileTarget } from './targeting.js';

/**
 * A target, its type, and the minions Salt's master selects (`salt/utils/minions.py` CkMinions
 * over `salt/utils/data.py`), derived from Salt's code; `'refused'` where docs/targeting.md lists
 * a deliberate difference (Brine answers ERR_TARGET_SYNTAX where Salt logs and matches nothing or
 * does something Brine cannot do safely). A fourth `true` compiles with the nodegroups. Comments
 * name the Salt line behind each row that surprises.
 */
type Row = [TargetTypeValue, string | string[], string[] | 'refused', true?];

const ROWS: Row[] = [
  ['glob', '*', ['web1', 'web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  ['glob', 'web*', ['web1', 'web2']],
  ['glob', 'web?', ['web1', 'web2']],
  ['glob', 'WEB*', ['WEB3']],
  ['glob', '*.example.com', ['db2.example.com']],
  ['glob', 'db[12]*', ['db1', 'db2.example.com']],
  ['glob', 'db[!1]*', ['db2.example.com']],
  ['glob', '[dw]*', ['web1', 'web2', 'db1', 'db2.example.com']],
  ['glob', 'web', []],
  ['glob', 'w*1', ['web1']],
  ['glob', '*3', ['WEB3']],
  // fnmatch: `]` right after `[` is a member, and with no closing `]` the `[` is literal: ids starting '[]'
  ['glob', '[]*', []],
  ['glob', '[!a-z]*', ['WEB3']],
  ['glob', 'db2.example.???', ['db2.example.com']],
  ['glob', '?', []],
  ['glob', '????', ['web1', 'web2', 'mail', 'WEB3']],
  ['glob', '*[0-9]', ['web1', 'web2', 'db1', 'WEB3']],
  ['glob', 'web[1-2]', ['web1', 'web2']],
  // fnmatch: a reversed range is empty
  ['glob', 'web[2-1]', []],
  ['glob', '[', []],
  ['glob', 'db2.example.com', ['db2.example.com']],
  ['pcre', '.*', ['web1', 'web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  ['pcre', 'web', ['web1', 'web2']],
  ['pcre', 'web\\d', ['web1', 'web2']],
  // salt/utils/minions.py _check_pcre_minions: `reg.match(m)`, anchored at the start
  ['pcre', 'eb', []],
  ['pcre', '.*eb', ['web1', 'web2']],
  ['pcre', 'db\\d$', ['db1']],
  ['pcre', '(?i)web', ['web1', 'web2', 'WEB3']],
  ['pcre', 'WEB\\d', ['WEB3']],
  ['pcre', '^db', ['db1', 'db2.example.com']],
  ['pcre', 'db2\\.example', ['db2.example.com']],
  ['pcre', 'web1|mail', ['web1', 'mail']],
  ['pcre', '.*com$', ['db2.example.com']],
  ['pcre', '[a-z]+$', ['mail']],
  ['pcre', '(?P<role>web|db)1', ['web1', 'db1']],
  // Python's \Z, translated to RE2's \z
  ['pcre', 'web1\\Z', ['web1']],
  ['pcre', '(db|web)[0-9]+$', ['web1', 'web2', 'db1']],
  ['pcre', 'm.il', ['mail']],
  ['pcre', '\\w+\\.', ['db2.example.com']],
  ['pcre', '(?i)w.b3', ['WEB3']],
  ['list', ['web1', 'db1'], ['web1', 'db1']],
  ['list', ['web1', 'nope'], ['web1']],
  ['list', ['WEB3'], ['WEB3']],
  ['list', ['web*'], []],
  ['list', ['mail', 'mail'], ['mail']],
  ['list', ['db2.example.com'], ['db2.example.com']],
  ['grain', 'os:Debian', ['web1', 'db1', 'WEB3']],
  ['grain', 'os:debian', ['web1', 'db1', 'WEB3']],
  // data.py _match: `str(target).lower()` and `str(pattern).lower()`
  ['grain', 'os:DEBIAN', ['web1', 'db1', 'WEB3']],
  ['grain', 'os:deb*', ['web1', 'db1', 'WEB3']],
  ['grain', 'os:*ian', ['web1', 'db1', 'WEB3']],
  ['grain', 'OS:Other', ['WEB3']],
  // traverse_dict_and_list: `ptr[each]`, keys are exact and case-sensitive (grain OS is 'Other')
  ['grain', 'OS:debian', []],
  ['grain', 'Os:debian', []],
  // subdict_match: "Delimiter not present, this can't possibly be a match"
  ['grain', 'os', []],
  ['grain', 'os:', []],
  ['grain', 'os:*', ['web1', 'web2', 'db1', 'db2.example.com', 'WEB3']],
  ['grain', 'roles:web', ['web1', 'web2', 'WEB3']],
  ['grain', 'roles:WEB', ['web1', 'web2', 'WEB3']],
  ['grain', 'roles:w*', ['web1', 'web2', 'WEB3']],
  ['grain', 'roles:cache', ['web1']],
  ['grain', 'roles:db', ['db1']],
  ['grain', 'roles:*', ['web1', 'web2', 'db1', 'WEB3']],
  ['grain', 'num_cpus:8', ['web1']],
  ['grain', 'num_cpus:1?', ['db1']],
  // _match: `str(target)`: the grain is the string '4'
  ['grain', 'num_cpus:4', ['db2.example.com']],
  ['grain', 'num_cpus:1.5', ['WEB3']],
  ['grain', 'num_cpus:1.*', ['WEB3']],
  ['grain', 'mem_total:16000', ['web1']],
  ['grain', 'virtual:true', ['web1']],
  // _match: str(True) is 'True', lowercased with the pattern
  ['grain', 'virtual:True', ['web1']],
  ['grain', 'virtual:false', ['web2']],
  ['grain', 'virtual:kvm', ['db1']],
  ['grain', 'virtual:*', ['web1', 'web2', 'db1']],
  // _match: str(None) is 'None', so a null grain matches none
  ['grain', 'gpu:none', ['web1', 'db1']],
  ['grain', 'gpu:None', ['web1', 'db1']],
  ['grain', 'gpu:nvidia', ['web2']],
  // a null grain is there: str(None) matches *
  ['grain', 'gpu:*', ['web1', 'web2', 'db1']],
  ['grain', 'gpu:n*', ['web1', 'web2', 'db1']],
  ['grain', 'ip_interfaces:eth0', ['web1', 'web2', 'db1']],
  // _dict_match: `pattern in target` is an exact key, never a glob
  ['grain', 'ip_interfaces:eth*', []],
  // _dict_match: `pattern in target`: keys are case-sensitive
  ['grain', 'ip_interfaces:ETH0', []],
  ['grain', 'ip_interfaces:eth1', ['db1']],
  ['grain', 'ip_interfaces:eth0:10.0.1.*', ['web1', 'web2']],
  ['grain', 'ip_interfaces:eth0:10.0.2.10', ['db1']],
  // _dict_match: a `*:` pattern searches every value of the map
  ['grain', 'ip_interfaces:*:10.0.1.5', ['web1']],
  ['grain', 'ip_interfaces:*:127.0.0.1', ['web1']],
  ['grain', 'ip_interfaces:*:10.0.*', ['web1', 'web2', 'db1']],
  // _dict_match: `if pattern == "*"` only checks that the map is there (db1's eth1 is [])
  ['grain', 'ip_interfaces:*', ['web1', 'web2', 'db1']],
  ['grain', 'ip_interfaces:lo:*', ['web1']],
  // subdict_match: `if key == "*"`: the whole grains map, searched value by value
  ['grain', '*:Debian', ['web1', 'web2', 'db1', 'WEB3']],
  ['grain', '*:debian', ['web1', 'web2', 'db1', 'WEB3']],
  ['grain', '*:web', ['web1', 'web2', 'WEB3']],
  ['grain', '*:10.0.1.5', ['web1']],
  // the `*:` search goes one map deep (`_dict_match(target[key], pattern)` without the `*:`)
  ['grain', '*:deep', []],
  ['grain', '*:Other', ['WEB3']],
  ['grain', '*:colon-key', ['db2.example.com']],
  // num_cpus 8; db2's '4' and WEB3's 1.5 do not match
  ['grain', '*:8', ['web1']],
  ['grain', '*:none', ['web1', 'db1']],
  ['grain', '*:true', ['web1']],
  // traverse_dict_and_list: a word inside a list looks into the first map that has the key
  ['grain', 'nics:name:eth0', ['web1']],
  // the first map has name eth0, but the split `nics` / `name:eth1` runs _dict_match on each member
  ['grain', 'nics:name:eth1', ['web1']],
  ['grain', 'nics:name:ens3', ['web2']],
  ['grain', 'nics:mtu:9000', ['web1']],
  ['grain', 'nics:mtu:1500', ['web1', 'web2']],
  ['grain', 'nics:0:name:eth0', ['web1']],
  ['grain', 'nics:1:name:eth1', ['web1']],
  // traverse_dict_and_list: `ptr[idx]` with a negative int counts from the end
  ['grain', 'nics:-1:name:eth1', ['web1']],
  ['grain', 'nics:-1:mtu:9000', ['web1']],
  // _dict_match on a member map: `pattern in target` (the key name)
  ['grain', 'nics:name', ['web1', 'web2']],
  // values inside member maps are not searched without a key or `*:`
  ['grain', 'nics:eth0', []],
  // _match on a list member map: its printed form {'name': 'eth0', 'mtu': 1500}
  ['grain', 'nics:*eth0*', ['web1']],
  // the member map's printed form, matched as a glob
  ['grain', "nics:{'name': 'eth0', 'mtu': 1500}", ['web1']],
  ['grain', 'nics:2:name:*', []],
  ['grain', 'roles:0:web', ['web1', 'web2']],
  ['grain', 'roles:-1:cache', ['web1']],
  ['grain', 'roles:1:cache', ['web1']],
  ['grain', 'roles:-2:web', ['web1']],
  ['grain', 'roles:5:web', []],
  // int('+0') is 0
  ['grain', 'roles:+0:web', ['web1', 'web2']],
  // int(' 0 ') is 0
  ['grain', 'roles: 0 :web', ['web1', 'web2']],
  ['grain', 'kernelparams:*console*', ['web1']],
  // fnmatch reads [...] as a character class, not the printed list
  ['grain', "kernelparams:['console', 'ttys0']", []],
  // the member ['quiet', None] prints as "['quiet', none]" lowercased
  ['grain', 'kernelparams:*none*', ['web1']],
  ['grain', 'kernelparams:0:console', ['web1']],
  ['grain', 'kernelparams:1:1:none', ['web1']],
  ['grain', 'kernelparams:-1:0:quiet', ['web1']],
  // exact key: web2's key is 'team'
  ['grain', 'labels:Team', ['web1', 'db1']],
  ['grain', 'labels:team', ['web2']],
  ['grain', 'labels:Team:web', ['web1']],
  ['grain', 'labels:team:web', ['web2']],
  ['grain', 'labels:Team:WEB', ['web1']],
  ['grain', 'labels:*:web', ['web1', 'web2']],
  ['grain', 'labels:tier:front', ['web1']],
  ['grain', 'labels:*', ['web1', 'web2', 'db1']],
  // the key is 'tier': exact
  ['grain', 'labels:Tier:front', []],
  // the key 'a:b' cannot be reached: splits are looked up as 'a' then 'b'
  ['grain', 'a:b:colon-key', []],
  ['grain', 'a:b:*', []],
  ['grain', 'a:*', []],
  // subdict_match: `if match == {}: continue`, an empty map is as good as missing
  ['grain', 'empty:*', []],
  ['grain', 'empty', []],
  // an empty list has no member to match
  ['grain', 'tags:*', []],
  ['grain', 'tags', []],
  ['grain', 'nested:level1:level2:deep', ['db2.example.com']],
  // _dict_match: `pattern in target`, the key level2
  ['grain', 'nested:level1:level2', ['db2.example.com']],
  ['grain', 'nested:level1:*', ['db2.example.com']],
  // `*:` searches one level: level1's value is a map, whose keys are looked up for 'deep'
  ['grain', 'nested:*:deep', []],
  ['grain', 'nested:*:level2:deep', ['db2.example.com']],
  ['grain', 'nested:level1:deep', []],
  // a list member that is a list, matched by its printed form [1, 2]
  ['grain', 'matrix:*1, 2*', ['db2.example.com']],
  ['grain', 'matrix:0:1', ['db2.example.com']],
  ['grain', 'matrix:0:*', ['db2.example.com']],
  ['grain', 'matrix:1:1:4', ['db2.example.com']],
  // fnmatch reads [3, 4] as a class of one character
  ['grain', 'matrix:[3, 4]', []],
  ['grain', 'pi:3.14', ['web1']],
  ['grain', 'pi:3.1*', ['web1']],
  // str(1e-05) is '1e-05' in Python
  ['grain', 'tiny:1e-05', ['web1']],
  // ...and not 0.00001
  ['grain', 'tiny:0.00001', []],
  ['grain', 'cpu_model:intel(r)*', ['web1']],
  ['grain', 'cpu_model:Intel(R) Xeon', ['web1']],
  ['grain', 'cpu_model:*xeon', ['web1']],
  // Salt's glob, not a comparison: comparisons are C@
  ['grain', 'motd:a<b', ['web1']],
  ['grain', 'motd:a?b', ['web1']],
  ['grain', 'motd:hello*', ['web2']],
  ['grain', 'motd:hello world', ['web2']],
  // Salt: no ':' so nothing; Brine refuses its old comparison form and names C@
  ['grain', 'num_cpus>=4', 'refused'],
  ['grain', 'osrelease:7.9', ['db2.example.com']],
  ['grain', 'osrelease:7.*', ['db2.example.com']],
  ['grain', 'osrelease:2*', ['web2']],
  // every split is tried: ipv6 / fe80::1
  ['grain', 'ipv6:fe80::1', ['db2.example.com']],
  ['grain', 'ipv6:::1', ['web1']],
  ['grain', 'ipv6:2001:db8::5', ['db2.example.com']],
  ['grain', 'ipv6:*::*', ['web1', 'db2.example.com']],
  // the key path is tried as 'path' / 'c:\windows' after 'path:c' fails
  ['grain', 'path:c:\\windows', ['web1']],
  ['grain', 'path:C:*', ['web1']],
  ['grain', 'shell:/bin/*sh', ['web1', 'web2']],
  ['grain', 'shell:/bin/[bz]sh', ['web2']],
  ['grain', 'locale:lang:en_us', ['web1']],
  ['grain', 'locale:lang:*8', ['web1']],
  // index 1 of the list at locale:lang
  ['grain', 'locale:lang:1:utf-8', ['web1']],
  ['grain', 'SSDs:sd?', ['db1']],
  // the key is SSDs: exact
  ['grain', 'ssds:sda', []],
  ['grain', 'shell:/bin/[!b]*sh', ['web2']],
  // fnmatch negates with ! only: [^z] is '^' or 'z'
  ['grain', 'shell:/bin/[^z]sh', ['web2']],
  ['grain', 'shell:/bin/[z-]sh', ['web2']],
  ['grain', 'motd:a[<]b', ['web1']],
  // the pattern is lowercased too: [d]ebian
  ['grain', 'os:[D]ebian', ['web1', 'db1', 'WEB3']],
  ['grain', 'os:[!u]*', ['web1', 'db1', 'db2.example.com', 'WEB3']],
  ['grain', 'os:[]', []],
  ['grain', 'os:debian[', []],
  ['grain', 'cpu_model:*(r)*', ['web1']],
  ['grain', 'cpu_model:intel(r) xeon', ['web1']],
  ['grain', 'motd:hello?world', ['web2']],
  // fnmatch has no escapes: a backslash is itself
  ['grain', 'path:*\\*', ['web1']],
  ['grain', 'osrelease:7.9*', ['db2.example.com']],
  ['grain', 'osrelease:[0-9][0-9]', ['web1', 'db1']],
  ['grain', 'constructor:*', []],
  // own keys only: no prototype
  ['grain', '__proto__:*', []],
  ['grain', 'toString:*', []],
  ['grain', 'hasOwnProperty:*', []],
  ['grain_pcre', 'os:Debian', ['web1', 'db1', 'WEB3']],
  ['grain_pcre', 'os:debian', ['web1', 'db1', 'WEB3']],
  // re.match: anchored at the start only
  ['grain_pcre', 'os:deb', ['web1', 'db1', 'WEB3']],
  ['grain_pcre', 'os:(ubuntu|centos)', ['web2', 'db2.example.com']],
  ['grain_pcre', 'os:(Ubuntu|CentOS)$', ['web2', 'db2.example.com']],
  ['grain_pcre', 'os:.*ian$', ['web1', 'db1', 'WEB3']],
  // pattern and value both lowercased
  ['grain_pcre', 'OS:oth', ['WEB3']],
  ['grain_pcre', 'roles:^c', ['web1']],
  ['grain_pcre', 'roles:web$', ['web1', 'web2', 'WEB3']],
  ['grain_pcre', 'roles:w', ['web1', 'web2', 'WEB3']],
  ['grain_pcre', 'num_cpus:\\d$', ['web1', 'web2', 'db2.example.com']],
  ['grain_pcre', 'num_cpus:1\\.5', ['WEB3']],
  ['grain_pcre', 'num_cpus:[0-9]{2}', ['db1']],
  ['grain_pcre', 'virtual:t', ['web1']],
  ['grain_pcre', 'gpu:none', ['web1', 'db1']],
  ['grain_pcre', 'gpu:n', ['web1', 'web2', 'db1']],
  ['grain_pcre', 'gpu:.*', ['web1', 'web2', 'db1']],
  // _dict_match: keys are exact, even for -P
  ['grain_pcre', 'ip_interfaces:eth.*', []],
  ['grain_pcre', 'ip_interfaces:eth0', ['web1', 'web2', 'db1']],
  ['grain_pcre', 'ip_interfaces:eth0:10\\.0\\.1\\.\\d+', ['web1', 'web2']],
  ['grain_pcre', 'ip_interfaces:*:10\\.0\\.1', ['web1', 'web2']],
  ['grain_pcre', '*:debian', ['web1', 'web2', 'db1', 'WEB3']],
  ['grain_pcre', '*:kvm$', ['db1']],
  ['grain_pcre', 'nics:name:eth[01]', ['web1']],
  ['grain_pcre', 'nics:name:e', ['web1', 'web2']],
  ['grain_pcre', 'labels:Team', ['web1', 'db1']],
  ['grain_pcre', 'labels:team:w', ['web2']],
  ['grain_pcre', 'labels:*:db', ['db1']],
  ['grain_pcre', 'cpu_model:intel\\(r\\)', ['web1']],
  ['grain_pcre', 'cpu_model:Intel\\(R\\)', ['web1']],
  // -P lowercases the pattern: \S becomes \s (data.py _match: `str(pattern).lower()`)
  ['grain_pcre', 'cpu_model:\\S+\\(', []],
  // \S lowercased to \s: 'intel(r) xeon' does not start with whitespace
  ['grain_pcre', 'cpu_model:\\S+', []],
  // \s+$ on 'a<b': no
  ['grain_pcre', 'motd:\\S+$', []],
  ['grain_pcre', 'motd:\\w+\\s\\w+', ['web2']],
  // \D lowercased to \d: no value starts with a digit
  ['grain_pcre', 'motd:\\D', []],
  ['grain_pcre', 'osrelease:\\d+\\.\\d+$', ['web2', 'db2.example.com']],
  // \D lowercased to \d: every osrelease starts with a digit
  ['grain_pcre', 'osrelease:\\D', ['web1', 'web2', 'db1', 'db2.example.com']],
  ['grain_pcre', 'os:(?i)DEBIAN', ['web1', 'db1', 'WEB3']],
  // Salt lowercases to (?p<name>, which Python refuses (logged, no match); Brine refuses the target
  ['grain_pcre', 'os:(?P<name>debian)', 'refused'],
  // an invalid regex: Salt logs it and matches nothing; Brine refuses the target
  ['grain_pcre', 'os:(?p<name>debian)', 'refused'],
  // Salt: lookahead works; Brine refuses it (no linear-time engine runs lookaround)
  ['grain_pcre', 'os:deb(?=ian)', 'refused'],
  // an invalid regex: Salt logs it and matches nothing; Brine refuses the target
  ['grain_pcre', 'os:(deb', 'refused'],
  // \A lowercased to \a, the bell character
  ['grain_pcre', 'os:\\Adeb', []],
  // \Z lowercased to \z: an error before Python 3.14 (no match), end of string after; Brine reads the latter
  ['grain_pcre', 'os:debian\\Z', ['web1', 'db1', 'WEB3']],
  ['grain_pcre', 'roles:.*', ['web1', 'web2', 'db1', 'WEB3']],
  ['grain_pcre', 'tags:.*', []],
  ['grain_pcre', 'empty:.*', []],
  ['grain_pcre', 'nested:level1:level2:d', ['db2.example.com']],
  // the member ['console', 'ttyS0'] printed and lowercased
  ['grain_pcre', "kernelparams:\\['console'", ['web1']],
  ['grain_pcre', 'matrix:\\[1, 2\\]', ['db2.example.com']],
  ['grain_pcre', 'ipv6:fe80::1', ['db2.example.com']],
  ['grain_pcre', 'ipv6:fe80:', ['db2.example.com']],
  ['grain_pcre', '*:colon', ['db2.example.com']],
  // the key 'a:b' cannot be reached
  ['grain_pcre', 'a:b:colon', []],
  ['grain_pcre', 'shell:/bin/(ba|z)sh$', ['web1', 'web2']],
  ['grain_pcre', 'locale:lang:utf', ['web1']],
  ['ipcidr', '10.0.1.0/24', ['web1', 'web2']],
  ['ipcidr', '10.0.0.0/8', ['web1', 'web2', 'db1', 'db2.example.com', 'WEB3']],
  ['ipcidr', '10.0.2.10', ['db1']],
  ['ipcidr', '10.0.1.5', ['web1']],
  ['ipcidr', '127.0.0.1', ['web1']],
  ['ipcidr', '0.0.0.0/0', ['web1', 'web2', 'db1', 'db2.example.com', 'WEB3']],
  ['ipcidr', '10.0.1.7/32', []],
  ['ipcidr', '10.0.1.5/32', ['web1']],
  // ipaddress.ip_network is strict: host bits set; Salt logs and matches nothing, Brine refuses
  ['ipcidr', '10.0.1.11/24', 'refused'],
  // ipaddress: leading zeros are not permitted (Python >= 3.9.5); Salt: [], Brine refuses
  ['ipcidr', '010.0.1.5', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '10.0.01.0/24', 'refused'],
  // ipaddress takes a netmask after the /
  ['ipcidr', '10.0.1.0/255.255.255.0', ['web1', 'web2']],
  // ...or a hostmask
  ['ipcidr', '10.0.0.0/0.255.255.255', ['web1', 'web2', 'db1', 'db2.example.com', 'WEB3']],
  // an address: `str(tgt) in grains['ipv4']`, and WEB3's ipv4 is the string '10.0.3.33': a substring
  ['ipcidr', '10.0.3.3', ['WEB3']],
  ['ipcidr', '10.0.3.33', ['WEB3']],
  ['ipcidr', '10.0.3.0/24', ['WEB3']],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '10.0.0.0/33', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '10.0.0', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '10.0.0.256', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '', 'refused'],
  ['ipcidr', '10.0.2.0/23', ['db1', 'db2.example.com', 'WEB3']],
  ['ipcidr', '10.0.2.8/30', ['db1', 'db2.example.com']],
  // a prefix length may have a leading zero
  ['ipcidr', '10.0.0.0/08', ['web1', 'web2', 'db1', 'db2.example.com', 'WEB3']],
  ['ipcidr', 'fe80::1', ['db2.example.com']],
  // an address: compared by Python's printed form, fe80::1
  ['ipcidr', 'FE80:0:0:0:0:0:0:1', ['db2.example.com']],
  ['ipcidr', '::1', ['web1']],
  ['ipcidr', '2001:db8::5', ['db2.example.com']],
  ['ipcidr', '2001:db8::/32', ['db2.example.com']],
  // host bits set: an error, as for IPv4; Salt: [], Brine refuses
  ['ipcidr', '2001:db8::5/64', 'refused'],
  ['ipcidr', '::/0', ['web1', 'db2.example.com']],
  ['ipcidr', 'fe80::/10', ['db2.example.com']],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', ':::1', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['ipcidr', '1::2::3', 'refused'],
  // Python prints the scope (fe80::1%eth0), which no grain lists; Brine refuses a scope
  ['ipcidr', 'fe80::1%eth0', 'refused'],
  // an IPv6 address (printed ::ffff:a00:105) against the ipv6 grain, not ipv4
  ['ipcidr', '::ffff:10.0.1.5', []],
  ['compound', 'web* and G@os:Debian', ['web1']],
  ['compound', 'web* or db*', ['web1', 'web2', 'db1', 'db2.example.com']],
  ['compound', 'not web*', ['db1', 'db2.example.com', 'mail', 'WEB3']],
  // compound_match: `not` after `not` inserts `and`: 'not and not', which eval refuses; Salt: [], Brine refuses
  ['compound', 'not not web*', 'refused'],
  ['compound', 'web* not G@os:Debian', ['web2']],
  ['compound', 'web* and not G@os:Debian', ['web2']],
  ['compound', '( web* or db* ) and G@os:Debian', ['web1', 'db1']],
  // Python precedence: and binds tighter than or
  ['compound', 'web* or db* and G@os:Debian', ['web1', 'web2', 'db1']],
  ['compound', 'not ( web* or db* )', ['mail', 'WEB3']],
  ['compound', 'not web* and not db*', ['mail', 'WEB3']],
  // grain_match: a pattern without the delimiter matches nothing
  ['compound', 'G@os', []],
  // ...so its negation is every minion
  ['compound', 'not G@os', ['web1', 'web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  ['compound', 'G@os and web*', []],
  // TARGET_REX knows G P I J L N S E R; X@foo is a glob on the id
  ['compound', 'X@foo', []],
  ['compound', 'not X@foo', ['web1', 'web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  ['compound', 'web* or X@foo', ['web1', 'web2']],
  // engines are capital letters: a glob on the id
  ['compound', 'g@os:Debian', []],
  // pillar: these facts carry no compiled pillar, so nothing matches (pillar-targeting.test.ts has pillar)
  ['compound', 'I@role:web', []],
  ['compound', 'not I@role:web', ['web1', 'web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  ['compound', 'E@web\\d or L@mail', ['web1', 'web2', 'mail']],
  ['compound', 'L@web1,db1 and G@os:Debian', ['web1', 'db1']],
  ['compound', 'not L@web1,db1', ['web2', 'db2.example.com', 'mail', 'WEB3']],
  ['compound', 'S@10.0.1.0/24 and not web2', ['web1']],
  // Salt: invalid network, matches nothing; Brine refuses
  ['compound', 'S@10.0.1.11/24', 'refused'],
  // Salt: 'all - set()', every minion; Brine refuses the target
  ['compound', 'not S@10.0.1.11/24', 'refused'],
  ['compound', 'P@os:deb and not E@db', ['web1', 'WEB3']],
  ['compound', 'G@roles:web and G@roles:cache', ['web1']],
  ['compound', 'G@roles:web or G@gpu:none', ['web1', 'web2', 'db1', 'WEB3']],
  // TARGET_REX: G, P, I and J take a one-character delimiter before @
  ['compound', 'G%@os%Debian', ['web1', 'db1', 'WEB3']],
  ['compound', 'G%@ip_interfaces%eth0%10.0.1.*', ['web1', 'web2']],
  ['compound', 'G|@a:b|colon-key', ['db2.example.com']],
  ['compound', 'P%@os%(debian|ubuntu)', ['web1', 'web2', 'db1', 'WEB3']],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'web* and', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'and web*', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'web* or or db*', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'web* db*', 'refused'],
  // Salt's master closes unmatched parentheses (its minions then refuse the job); Brine refuses
  ['compound', '( web*', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'web* )', 'refused'],
  // Salt: eval('( )') is an empty tuple, no minion; Brine refuses
  ['compound', '( )', 'refused'],
  ['compound', '( not web* )', ['db1', 'db2.example.com', 'mail', 'WEB3']],
  ['compound', '( ( web1 ) )', ['web1']],
  ['compound', 'not ( not web1 )', ['web1']],
  ['compound', 'web1 or not db*', ['web1', 'web2', 'mail', 'WEB3']],
  ['compound', 'web1 and ( not db* or mail )', ['web1']],
  ['compound', 'mail or web* and G@os:Ubuntu or db1', ['web2', 'db1', 'mail']],
  // a Salt glob; comparisons are C@
  ['compound', 'G@motd:a<b', ['web1']],
  ['compound', 'G@motd:a<b or mail', ['web1', 'mail']],
  // Salt: no ':' so nothing; Brine refuses its old comparison form and names C@
  ['compound', 'G@num_cpus>=4', 'refused'],
  ['compound', 'G@*:web and not G@roles:*', []],
  // re.match with an inline flag
  ['compound', 'E@(?i)WEB', ['web1', 'web2', 'WEB3']],
  ['compound', 'G@ip_interfaces:*:10.0.1.* and not G@virtual:true', ['web2']],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'N@', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'L@', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'G@', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'E@web(', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'not E@web(', 'refused'],
  // ipv6 grain
  ['compound', 'S@fe80::1', ['db2.example.com']],
  // ipv6 grain
  ['compound', 'S@::1', ['web1']],
  ['compound', 'S@2001:db8::/32', ['db2.example.com']],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'web1 and not not db1', 'refused'],
  // Salt: []; Brine refuses (docs/targeting.md)
  ['compound', 'not not not web*', 'refused'],
  ['compound', '( web1 or ( db1 and G@os:Debian ) )', ['web1', 'db1']],
  ['compound', 'not ( web1 ) or mail', ['web2', 'db1', 'db2.example.com', 'mail', 'WEB3']],
  // nodegroup_comp: a top-level group without nested groups is spliced without parentheses
  ['compound', 'N@anyWebOrDb and G@os:Debian', ['web1', 'web2', 'db1'], true],
  // the definition's own parentheses keep it a group
  ['compound', 'N@webOrDb and G@os:Debian', ['web1', 'db1'], true],
  ['compound', 'not N@admins and not N@webs', ['db2.example.com', 'WEB3'], true],
  ['compound', 'N@debianWebs', ['web1'], true],
  ['compound', 'N@nested', ['web1', 'db1', 'mail'], true],
  // _nodegroup_regex: words without operators or wildcards become L@web1,db1
  ['compound', 'N@ids', ['web1', 'db1'], true],
  // a word with a regex character makes the group E@web(1|2)
  ['compound', 'N@regex', ['web1', 'web2'], true],
  // E@web[12],db\d: the comma is part of the regex
  ['compound', 'N@regexWords', [], true],
  ['compound', 'N@single or N@ids', ['web1', 'db1', 'mail'], true],
  ['compound', 'N@listWords and web*', ['web1', 'web2', 'db1', 'WEB3'], true],
  // spliced: not web* and mail
  ['compound', 'N@notGroup and mail', ['mail'], true],
  ['compound', 'mail and N@notGroup', ['mail'], true],
  // a group that expands a nested one is wrapped: ( ( web* or db* ) ) and ...
  ['compound', 'N@outer and G@os:Debian', ['web1', 'db1'], true],
  // spliced bare: (not web*) or db*
  ['compound', 'not N@anyWebOrDb', ['db1', 'db2.example.com', 'mail', 'WEB3'], true],
  ['compound', 'not N@outer', ['mail', 'WEB3'], true],
  // ? is a regex character to _nodegroup_regex: E@web?, which matches any id starting 'we'
  ['compound', 'N@q', ['web1', 'web2'], true],
  ['compound', 'N@dotted', ['db2.example.com'], true],
  ['compound', 'N@twoIds and not web2', ['web1'], true],
  // Salt's _nodegroup_regex raises on the integers (no minion); Brine reads L@1,2 (no minion)
  ['compound', 'N@numbers', [], true],
  // a * word stops the rewrite: 'web* mail', two targets in a row; Salt: no minion, Brine refuses
  ['compound', 'N@globWords', 'refused', true],
  ['nodegroup', 'webs', ['web1', 'web2'], true],
  ['nodegroup', 'debian', ['web1', 'db1', 'WEB3'], true],
  ['nodegroup', 'debianWebs', ['web1'], true],
  ['nodegroup', 'anyWebOrDb', ['web1', 'web2', 'db1', 'db2.example.com'], true],
  ['nodegroup', 'admins', ['db1', 'mail'], true],
  ['nodegroup', 'nested', ['web1', 'db1', 'mail'], true],
  ['nodegroup', 'ids', ['web1', 'db1'], true],
  ['nodegroup', 'regex', ['web1', 'web2'], true],
  ['nodegroup', 'regexWords', [], true],
  ['nodegroup', 'single', ['mail'], true],
  ['nodegroup', 'listWords', ['web1', 'web2', 'db1', 'WEB3'], true],
  // -N is the compound N@notGroup
  ['nodegroup', 'notGroup', ['db1', 'db2.example.com', 'mail', 'WEB3'], true],
  ['nodegroup', 'outer', ['web1', 'web2', 'db1', 'db2.example.com'], true],
  // E@web?
  ['nodegroup', 'q', ['web1', 'web2'], true],
  ['nodegroup', 'dotted', ['db2.example.com'], true],
  ['nodegroup', 'twoIds', ['web1', 'web2'], true],
  // Salt raises on the integers (no minion); Brine reads L@1,2
  ['nodegroup', 'numbers', [], true],
];

describe("targeting gives Salt's answer", () => {
  it.each(ROWS)('%s %j selects %j', (tgtType, tgt, expected, withNodegroups) => {
    const compiled = compileTarget(tgt, tgtType, withNodegroups ? { nodegroups: SALT_NODEGROUPS } : {});
    if (expected === 'refused') {
      expect(compiled.ok ? 'compiled' : compiled.error.code).toBe(ErrorCode.TARGET_SYNTAX);
      return;
    }
    if (!compiled.ok) throw new Error(compiled.error.message);
    expect(SALT_FLEET.filter(compiled.match).map((m) => m.id)).toEqual(expected);
  });
});
