/** Deepest nesting printed; deeper values print as `...` (Python would raise on a cycle). */
const MAX_DEPTH = 64;

/**
 * Prints a grain value as Python's `str()` does, which is what Salt's matchers compare against
 * (`salt/utils/data.py` `subdict_match._match`: `str(target).lower()`): `None`, `True`, `False`,
 * `7.9`, `1e-05`, a list as `['web', 1]`, a map as `{'name': 'eth0'}`. A number without a fraction
 * prints as an integer, since JSON cannot tell `16.0` from `16`.
 */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value, 0);
}

function pythonRepr(value: unknown, depth: number): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return quote(value);
  if (depth >= MAX_DEPTH) return '...';
  if (value instanceof Uint8Array) return `b${quote(String.fromCharCode(...value.subarray(0, 4096)))}`;
  if (Array.isArray(value)) return `[${value.map((item) => pythonRepr(item, depth + 1)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value).map(
      (key) => `${quote(key)}: ${pythonRepr((value as Record<string, unknown>)[key], depth + 1)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n)) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  // Both print the shortest digits that round-trip; they differ only in when to use an exponent.
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  if (exp >= -4) return String(n);
  return `${mantissa}e-${String(-exp).padStart(2, '0')}`;
}

/** Python's `repr()` of a string: single quotes unless the text holds `'` and no `"`. */
function quote(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + q;
}
