import { z } from 'zod';
import { absolutePath, octalMode, principal } from '../modules/schemas.js';

/**
 * A file on the master's file server, as `brine://path` or Salt's `salt://path`, given to the
 * state as the path after the scheme. `..` segments and NUL bytes are refused; the master
 * confines paths again. A `?saltenv=` suffix is dropped (one environment per file root here).
 */
export const masterUrl = z
  .string()
  .max(4096)
  .refine((s) => /^(brine|salt):\/\//.test(s), 'must be a brine:// or salt:// URL')
  .transform((s) =>
    s
      .replace(/^(brine|salt):\/\//, '')
      .replace(/^\/+/, '')
      .replace(/\?saltenv=[^&]*$/, ''),
  )
  .refine((p) => !p.includes('\0') && !p.split('/').includes('..'), 'must not contain ".." or a NUL byte');

/** One source or a list tried in order, as Salt's `source:` takes; always a list once parsed. */
export const sourceList = z.union([masterUrl.transform((s) => [s]), z.array(masterUrl).min(1)]);

/** `sha256=<hex>`, `<algo>:<hex>` or a bare hex digest (its length names the algorithm). */
export const sourceHash = z.string().transform((s, ctx) => {
  const m = /^(?:(md5|sha1|sha224|sha256|sha384|sha512)[=:])?([0-9a-fA-F]+)$/.exec(s.trim());
  const byLength: Record<number, string> = {
    32: 'md5',
    40: 'sha1',
    56: 'sha224',
    64: 'sha256',
    96: 'sha384',
    128: 'sha512',
  };
  const algorithm = m?.[1] ?? (m ? byLength[m[2]!.length] : undefined);
  if (!m || algorithm === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be <algorithm>=<hex digest> or a hex digest' });
    return z.NEVER;
  }
  return { algorithm, digest: m[2]!.toLowerCase() };
});

/** The ownership and permission arguments many file states take. */
export const ownershipArgs = {
  user: principal.optional(),
  group: principal.optional(),
  mode: octalMode.optional(),
};

/** A minion path; the state's `name`. */
export const statePath = absolutePath;

/** Salt's truthy spellings for booleans that often arrive as strings from the CLI or templates. */
export const flag = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((s) => /^t/i.test(s))]);
