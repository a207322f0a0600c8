/**
 * The function catalogue for the run box: `sys.doc` run on one minion the target selects (the
 * master has no catalogue route of its own), kept for the session, filtered to what the ACL
 * names. A user whose ACL refuses `sys.doc` gets no completion and can still type a name.
 */
import type { Api } from './api.js';
import { patternAllows } from './caps.js';

/** Function name to its documentation. */
export type Catalogue = Record<string, string>;

/** Loads the catalogue from one minion, or answers an empty one when it cannot. */
export async function loadCatalogue(api: Api, minion: string, patterns: readonly string[]): Promise<Catalogue> {
  try {
    const results = await api.runWait({ target: [minion], targetType: 'list', fun: 'sys.doc', args: [], kwargs: {} });
    const ret = results[minion]?.ret;
    if (!ret || typeof ret !== 'object') return {};
    const out: Catalogue = {};
    for (const [fun, doc] of Object.entries(ret as Record<string, unknown>))
      if (patterns.some((p) => patternAllows(p, fun))) out[fun] = typeof doc === 'string' ? doc : '';
    return out;
  } catch {
    return {};
  }
}
