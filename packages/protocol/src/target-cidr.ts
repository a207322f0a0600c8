import { TargetSyntaxError } from './errors.js';
import { formatIpv6, parseIpv6 } from './target-ipv6.js';
import type { TargetFacts, TargetMatcher } from './target-types.js';

/**
 * Compiles an `-S`/`S@` target as Salt's `ipcidr` matcher (`salt/matchers/ipcidr_match.py`): an
 * address matches a minion whose `ipv4` grain lists exactly that address; a network matches one
 * with an `ipv4` address inside it. Both are read as Python's `ipaddress` reads them, so leading
 * zeros (`010.0.0.1`) and a network with host bits set (`10.0.1.11/24`) are errors: Salt logs them
 * and matches nothing; Brine refuses the target. The prefix may be a length, a netmask or a
 * hostmask (`/24`, `/255.255.255.0`, `/0.0.0.255`). An IPv6 address or network is matched against
 * the `ipv6` grain the same way.
 */
export function compileCidr(text: string, pos: number): TargetMatcher {
  if (text.includes(':')) return compileCidr6(text, pos);
  const address = parseIpv4(text);
  if (address !== undefined) {
    // Salt: `str(tgt) in grains["ipv4"]`, an exact member of the list (a substring of a string).
    return (m) => {
      const ips = Object.hasOwn(m.grains, 'ipv4') ? m.grains['ipv4'] : undefined;
      return Array.isArray(ips) || typeof ips === 'string' ? ips.includes(text) : false;
    };
  }
  const network = parseNetwork(text, pos);
  return (m) => {
    const ips = Object.hasOwn(m.grains, 'ipv4') ? m.grains['ipv4'] : undefined;
    for (const ip of Array.isArray(ips) ? ips : [ips]) {
      // Salt raises on an address it cannot read, and the whole target then matches nothing;
      // here only that address is skipped.
      const n = typeof ip === 'string' ? parseIpv4(ip) : undefined;
      if (n !== undefined && (n & network.mask) >>> 0 === network.base) return true;
    }
    return false;
  };
}

function parseNetwork(text: string, pos: number): { base: number; mask: number } {
  const slash = text.indexOf('/');
  const fail = (why: string): TargetSyntaxError =>
    TargetSyntaxError.at(`expected an IPv4 address or network`, pos, `, found '${text}' (${why})`);
  if (slash === -1) throw fail('not an IPv4 address');
  const base = parseIpv4(text.slice(0, slash));
  if (base === undefined) throw fail('not an IPv4 address before the /');
  const bits = prefixLength(text.slice(slash + 1));
  if (bits === undefined) throw fail('not a prefix length, netmask or hostmask after the /');
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  if ((base & mask) >>> 0 !== base) throw fail('host bits set');
  return { base, mask };
}

/** `-S` for IPv6: an address is compared by Python's printed form, a network by its bits. */
function compileCidr6(text: string, pos: number): TargetMatcher {
  const fail = (why: string): TargetSyntaxError =>
    TargetSyntaxError.at(`expected an IPv6 address or network`, pos, `, found '${text}' (${why})`);
  const grain = (m: TargetFacts): unknown => (Object.hasOwn(m.grains, 'ipv6') ? m.grains['ipv6'] : undefined);
  const slash = text.indexOf('/');
  if (slash === -1) {
    const address = parseIpv6(text);
    if (address === undefined) throw fail('not an IPv6 address');
    const printed = formatIpv6(address);
    return (m) => {
      const ips = grain(m);
      return Array.isArray(ips) || typeof ips === 'string' ? ips.includes(printed) : false;
    };
  }
  const base = parseIpv6(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (base === undefined) throw fail('not an IPv6 address before the /');
  if (!/^[0-9]+$/.test(bitsText) || Number(bitsText) > 128) throw fail('not a prefix length after the /');
  const hostBits = BigInt(128 - Number(bitsText));
  const mask = ((1n << 128n) - 1n) ^ ((1n << hostBits) - 1n);
  if ((base & mask) !== base) throw fail('host bits set');
  return (m) => {
    const ips = grain(m);
    for (const ip of Array.isArray(ips) ? ips : [ips]) {
      const n = typeof ip === 'string' ? parseIpv6(ip) : undefined;
      if (n !== undefined && (n & mask) === base) return true;
    }
    return false;
  };
}

/** Python's `_make_netmask`: decimal digits 0-32, or a netmask, or a hostmask. */
function prefixLength(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n <= 32 ? n : undefined;
  }
  const ip = parseIpv4(text);
  if (ip === undefined) return undefined;
  // A netmask first, then a hostmask, as Python tries them.
  for (const wanted of [ip, ~ip >>> 0]) {
    for (let bits = 0; bits <= 32; bits++) if (wanted === (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0)) return bits;
  }
  return undefined;
}

/**
 * Parses a dotted IPv4 address as Python's `ipaddress.IPv4Address`: four decimal octets of one to
 * three digits, at most 255, no leading zero. `undefined` if it is not one.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0'))) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}
