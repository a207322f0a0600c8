/**
 * Parses an IPv6 address as Python's `ipaddress.IPv6Address` does: up to eight groups of one to
 * four hex digits, one `::` at most, an IPv4 address in place of the last two groups. A scope
 * (`%eth0`) is not accepted here. `undefined` if it is not one.
 */
export function parseIpv6(text: string): bigint | undefined {
  const parts = text.split(':');
  if (parts.length < 3 || parts.length > 9) return undefined;
  const groups: number[] = [];
  const last = parts.at(-1)!;
  if (last.includes('.')) {
    const v4 = ipv4Groups(last);
    if (v4 === undefined) return undefined;
    parts.splice(-1, 1, v4[0]!.toString(16), v4[1]!.toString(16));
  }
  if (parts.length > 9) return undefined;
  let skip = -1;
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] !== '') continue;
    if (skip !== -1) return undefined; // "At most one '::' permitted"
    skip = i;
  }
  let head = parts.length;
  let tail = 0;
  if (skip !== -1) {
    head = skip;
    tail = parts.length - skip - 1;
    if (parts[0] === '' && --head !== 0) return undefined; // a leading ':' that is not '::'
    if (parts.at(-1) === '' && --tail !== 0) return undefined;
    if (head + tail > 7) return undefined;
  } else if (parts.length !== 8) return undefined;
  for (let i = 0; i < head; i++) groups.push(hextet(parts[i]!));
  for (let i = 0; i < 8 - head - tail; i++) groups.push(0);
  for (let i = parts.length - tail; i < parts.length; i++) groups.push(hextet(parts[i]!));
  if (groups.some((g) => Number.isNaN(g))) return undefined;
  return groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

/** Prints an IPv6 address as Python's `str(IPv6Address)`: lowercase, the longest zero run as `::`. */
export function formatIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const left = hex.slice(0, best).join(':');
  const right = hex.slice(best + bestLen).join(':');
  return `${left}::${right}`;
}

function hextet(text: string): number {
  return /^[0-9a-fA-F]{1,4}$/.test(text) ? parseInt(text, 16) : NaN;
}

function ipv4Groups(text: string): [number, number] | undefined {
  const octets = text.split('.');
  if (octets.length !== 4) return undefined;
  const n = octets.map((o) => (/^[0-9]{1,3}$/.test(o) && !(o.length > 1 && o.startsWith('0')) ? Number(o) : 256));
  if (n.some((o) => o > 255)) return undefined;
  return [n[0]! * 256 + n[1]!, n[2]! * 256 + n[3]!];
}
