import { StateError, StateErrorCode } from '../errors.js';

/**
 * A template or SLS path relative to the file root: `salt://` and `brine://` prefixes and a
 * leading `/` dropped, `.` and `..` segments resolved. Throws `ERR_STATE_SLS_NOT_FOUND` for a
 * path that climbs above the root, so no template reaches outside it.
 */
export function normalizePath(path: string): string {
  const bare = path.replace(/^(?:salt|brine):\/\//, '').replace(/^\/+/, '');
  const out: string[] = [];
  for (const segment of bare.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) throw new StateError(StateErrorCode.SLS_NOT_FOUND, `path ${path} leaves the file root`);
      out.pop();
    } else out.push(segment);
  }
  return out.join('/');
}

/** The directory part of a root-relative path (`''` at the root). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

/** Resolves `to` against the directory of `from` when it starts with `./` or `../`. */
export function resolveRelative(from: string, to: string): string {
  if (!isRelative(to)) return normalizePath(to);
  const dir = dirName(from);
  return normalizePath(dir === '' ? to : `${dir}/${to}`);
}

/** True for a `./` or `../` path. */
export function isRelative(path: string): boolean {
  return path.startsWith('./') || path.startsWith('../');
}

/** The two files a dotted SLS name may live in, in Salt's order: `a/b.sls`, then `a/b/init.sls`. */
export function slsCandidates(sls: string): [string, string] {
  const base = sls.split('.').join('/');
  return [`${base}.sls`, `${base}/init.sls`];
}

/**
 * The template variables Salt derives from an SLS name and its file (salt/utils/templates.py
 * `generate_sls_context`): `sls`, `slspath`, `sls_path`, `slsdotpath`, `slscolonpath`,
 * `tplpath`, `tplfile`, `tpldir`, `tpldot`.
 */
export function slsContext(sls: string | undefined, file: string): Record<string, string> {
  const tpldir = dirName(file) || '.';
  const ctx: Record<string, string> = {
    tplpath: file,
    tplfile: file,
    tpldir,
    tpldot: tpldir.replace(/\//g, '.'),
  };
  if (sls !== undefined) {
    const slspath = file.endsWith('/init.sls') ? sls.split('.').join('/') : dirName(file);
    Object.assign(ctx, {
      sls,
      slspath,
      sls_path: slspath.replace(/\//g, '_'),
      slsdotpath: slspath.replace(/\//g, '.'),
      slscolonpath: slspath.replace(/\//g, ':'),
    });
  }
  return ctx;
}
