// Its own file: a custom state's worker thread uses it without the minion's registry (issue #21).

/** A value by colon-separated key (`'app:db:port'`), as Salt's `pillar.get`; undefined when absent. */
export function lookup(data: unknown, key: string): unknown {
  let node = data;
  for (const part of key.split(':')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
