import { defineGrains } from '@brine/extend';

/** Custom grains: `app_role` from the minion id's prefix, and `app_release`. Target with `-G app_role:web`. */
export default defineGrains({
  name: 'app',
  grains: ({ grains }) => {
    const id = String(grains['id'] ?? '');
    return { app_role: id.startsWith('web') ? 'web' : 'worker', app_release: '1.2' };
  },
});
