import { defineModule, fn } from '@brine/extend';
import { z } from 'zod';

/** A module that loads only on Windows: elsewhere its `virtual()` declines, with the reason in `sys.list_modules`. */
export default defineModule({
  name: 'wintools',
  virtual: ({ grains }) => (grains['kernel'] === 'Windows' ? true : { ok: false, reason: 'only on Windows' }),
  functions: {
    version: fn({
      doc: `Returns the Windows version.

CLI Example:

    brine 'win*' wintools.version`,
      params: [],
      schema: z.object({}),
      run: async (_input, ctx) => ({ ret: ctx.grains.all()['osrelease'] }),
    }),
  },
});
