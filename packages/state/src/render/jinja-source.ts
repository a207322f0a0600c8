/**
 * Prepares Jinja source for nunjucks, whose lexer is simpler than Jinja's:
 * - drops the trailing commas Jinja allows in list, dict and call literals (`{'a': 1,}`,
 *   common in formulas' map.jinja), which nunjucks' parser refuses;
 * - separates the braces of nested dict literals (`{'a': {'b': 1}}`), which nunjucks would
 *   read as the end of a `{{ }}` tag; Jinja's lexer counts brackets, and so does this.
 * Only text inside `{{ }}` and `{% %}` outside string literals is touched; lines are kept.
 */
export function prepareJinjaSource(source: string): string {
  if (!source.includes(',') && !source.includes('}}')) return source;
  let out = '';
  let i = 0;
  while (i < source.length) {
    const open = source.slice(i, i + 2);
    if (open !== '{{' && open !== '{%') {
      out += source[i++];
      continue;
    }
    const close = open === '{{' ? '}}' : '%}';
    out += open;
    i += 2;
    let quote: string | undefined;
    let depth = 0;
    while (i < source.length) {
      const c = source[i]!;
      if (quote !== undefined) {
        out += c;
        if (c === '\\') out += source[++i] ?? '';
        else if (c === quote) quote = undefined;
        i++;
        continue;
      }
      if (depth === 0 && source.startsWith(close, i)) break;
      if (c === '"' || c === "'") quote = c;
      else if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') depth = Math.max(0, depth - 1);
      if (c === ',' && /^\s*[)\]}]/.test(source.slice(i + 1, i + 200))) {
        i++;
        continue;
      }
      if (c === '}' && out.endsWith('}')) out += ' ';
      out += c;
      i++;
    }
  }
  return out;
}
