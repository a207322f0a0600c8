import { StateErrorCode, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import type { RenderSession } from '../render/render-session.js';
import { asProblem, type SlsRequest } from './render-tree.js';

/**
 * Decides whether this minion matches a top file target, for a Salt match type (`glob`,
 * `compound`, `grain`, `pillar`, `list`, `pcre`, `ipcidr`, ...). The minion's own targeting
 * code implements it; the engine only reads top files.
 */
export type TopMatcher = (target: string, matchType: string) => boolean;

/** Options of {@link topMatches}. */
export interface TopOptions {
  /** The saltenvs whose `top.sls` to read, `base` first. */
  envs: readonly string[];
  match: TopMatcher;
  /** Only this saltenv's section (Salt's `saltenv=`). */
  saltenv?: string;
}

/** What the top files assign to this minion: SLS names per saltenv, in top file order. */
export interface TopResult {
  matches: SlsRequest[];
  problems: StateProblem[];
}

/**
 * Reads `top.sls` of each saltenv and returns the SLS this minion gets, as Salt's default
 * `merge` strategy: a saltenv's section is taken from its own top file, or else from the first
 * top file that has it. A target's list holds SLS names and at most one `- match: type`
 * (default `compound`, as Salt's `confirm_top`).
 */
export async function topMatches(session: RenderSession, options: TopOptions): Promise<TopResult> {
  const problems: StateProblem[] = [];
  const tops = new Map<string, Record<string, unknown>>();
  for (const env of options.envs) {
    try {
      if ((await session.read(env, 'top.sls')) === undefined) continue;
      const { data } = await session.renderData({ saltenv: env, path: 'top.sls', context: { saltenv: env } });
      if (isMapping(data)) tops.set(env, data);
      else
        problems.push({
          code: StateErrorCode.TOP,
          message: `top.sls of saltenv '${env}' is not a mapping`,
          file: 'top.sls',
        });
    } catch (err) {
      problems.push(asProblem(err, 'top.sls'));
    }
  }
  const sections = new Map<string, unknown>();
  for (const [env, top] of tops) {
    for (const [section, body] of Object.entries(top)) {
      if (section === 'include') continue;
      if (!sections.has(section) || env === section) sections.set(section, body);
    }
  }
  const matches: SlsRequest[] = [];
  for (const [env, body] of sections) {
    if (options.saltenv !== undefined && env !== options.saltenv) continue;
    if (!isMapping(body)) {
      problems.push({
        code: StateErrorCode.TOP,
        message: `The top file matches for saltenv ${env} are not formatted as a dict`,
        file: 'top.sls',
      });
      continue;
    }
    for (const [target, raw] of Object.entries(body)) {
      const items = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
      const matcher = items.find((i) => isMapping(i) && typeof i['match'] === 'string') as
        { match: string } | undefined;
      if (!options.match(target, matcher?.match ?? 'compound')) continue;
      for (const item of items) {
        if (typeof item === 'string' && !matches.some((m) => m.env === env && m.sls === item))
          matches.push({ env, sls: item });
      }
    }
  }
  return { matches, problems };
}
