import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Salt's truthy spellings of a flag given on a command line (`test=True`). */
export const flag = z.preprocess((v) => {
  if (typeof v === 'string') return /^(true|yes|on|1)$/i.test(v.trim());
  return v;
}, z.boolean());

/** `mods`: `a,b`, or a list. */
export const modsList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

/** `pillar={...}`: a mapping, or its JSON/YAML text as a shell passes it. */
export const pillarOverride = z.union([z.record(z.string(), z.unknown()), z.string()]).transform((v, ctx) => {
  if (typeof v !== 'string') return v;
  try {
    const data: unknown = parseYaml(v);
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'pillar must be a mapping, e.g. pillar=\'{"app": {"port": 8080}}\'' });
  return z.NEVER;
});

/** `exclude=`: SLS names (`a,b`), or a list of names and `{sls: x}` / `{id: y}`. */
export const excludeList = z.union([z.string(), z.array(z.unknown())]).transform((v) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : v,
);

/** The arguments every state run takes besides what it runs. */
export const runOptions = {
  test: flag.default(false),
  pillar: pillarOverride.optional(),
  exclude: excludeList.optional(),
  queue: flag.default(false),
  saltenv: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\w.-]+$/)
    .default('base'),
};

/** The arguments of the `show_*` functions. */
export const showOptions = {
  pillar: pillarOverride.optional(),
  saltenv: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\w.-]+$/)
    .default('base'),
};
