import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** An absolute path on the minion, without NUL bytes. */
export const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isAbsolute(p), 'must be an absolute path')
  .refine((p) => !p.includes('\0'), 'must not contain a NUL byte');

/**
 * A `brine://` URL into the master's file roots, given to the module as the path after the scheme
 * (leading slashes removed). `..` segments are refused here; the master confines paths again.
 */
export const brineUrl = z
  .string()
  .max(4096)
  .refine((s) => s.startsWith('brine://'), 'must be a brine:// URL')
  .transform((s) => s.slice('brine://'.length).replace(/^\/+/, ''))
  .refine((p) => !p.includes('\0') && !p.split('/').includes('..'), 'must not contain ".." or a NUL byte');

/** A non-negative number, also accepted as a decimal string (`'5'`, `'0.5'`). */
export const decimal = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a number')
      .transform(Number),
  ])
  .pipe(z.number().nonnegative().finite());

/** A permission mode as octal digits (`'0644'`, `'755'`, or 644 as a number), parsed to its value. */
export const octalMode = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((m) => String(m))
  .refine((m) => /^0?[0-7]{3,4}$/.test(m), 'must be an octal mode such as 0644')
  .transform((m) => parseInt(m, 8));

/** A user or group: a name (letters, digits, `._-`, not starting with `-`) or a numeric id. */
export const principal = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/, 'must be a user or group name or id'),
]);

/** Formats a mode's permission bits as a four-digit octal string, e.g. `0644`. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
