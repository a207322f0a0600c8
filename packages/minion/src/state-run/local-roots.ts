import { readFile } from 'node:fs/promises';
import { resolve, relative, sep } from 'node:path';
import {
  createRenderSession,
  createTemplateFunctions,
  dictUpdate,
  isMapping,
  slsCandidates,
  topMatches,
  type FileReader,
  type TopMatcher,
} from '@brine/state';
import { MinionError, MinionErrorCode, PathRefusedError } from '../errors.js';
import { envPath } from './sls-files.js';

/**
 * The engine's {@link FileReader} over a local directory (`brine-call --local --file-root DIR`):
 * saltenv `base` is `DIR`, another saltenv `DIR/<saltenv>`, as on the master's file server.
 */
export function localFileReader(root: string): FileReader {
  const base = resolve(root);
  return async (saltenv, path) => {
    const file = resolve(base, envPath(saltenv, path));
    const back = relative(base, file);
    if (back === '..' || back.startsWith(`..${sep}`)) throw new PathRefusedError(path, `leaves ${base}`);
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  };
}

/**
 * Compiles pillar from a local pillar root (`brine-call --local --pillar-root DIR`), as Salt's
 * masterless minion does: the pillar `top.sls` assigns SLS files by target, each renders (Jinja,
 * then YAML) with the minion's grains, and their data merge in top file order. Rejects with
 * `ERR_MINION_PILLAR` naming file:line when a pillar file does not render.
 */
export async function localPillar(
  root: string,
  grains: Record<string, unknown>,
  match: TopMatcher,
): Promise<Record<string, unknown>> {
  const readFile = localFileReader(root);
  const session = createRenderSession({
    readFile,
    grains,
    pillar: {},
    call: (fun, args, kwargs) => {
      const f = createTemplateFunctions({ grains, pillar: {} })[fun];
      if (f === undefined)
        throw new MinionError(MinionErrorCode.pillar, `${fun} is not available while rendering pillar`);
      return f(args, kwargs);
    },
  });
  const top = await topMatches(session, { envs: ['base'], match });
  const fail = (messages: string[]) => new MinionError(MinionErrorCode.pillar, `pillar: ${messages.join('; ')}`);
  if (top.problems.length > 0) throw fail(top.problems.map((p) => p.message));
  let pillar: Record<string, unknown> = {};
  for (const m of top.matches) {
    let path: string | undefined;
    for (const candidate of slsCandidates(m.sls)) {
      if ((await session.read(m.env, candidate)) !== undefined) {
        path = candidate;
        break;
      }
    }
    if (path === undefined) throw fail([`no pillar SLS ${m.sls}`]);
    try {
      const { data } = await session.renderData({ saltenv: m.env, path });
      if (isMapping(data)) pillar = dictUpdate(pillar, data);
    } catch (err) {
      throw fail([(err as Error).message]);
    }
  }
  return pillar;
}
