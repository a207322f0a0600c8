import { describe, expect, it } from 'vitest';
import type { RequisiteType } from '../compile/types.js';
import { requisiteStatus, type RequisiteOutcome } from './requisite-status.js';

type Row = [string, Array<[RequisiteType, boolean | null, boolean?, boolean?]>, string];
const ok = true;
const failed = false;
const would = null;

// Derived from Salt's State._check_requisites (salt/state.py). Columns: requisite type,
// its result, whether it changed, whether it ran (default true).
const rows: Row[] = [
  ['no requisites run', [], 'met'],
  ['a met require runs', [['require', ok]], 'met'],
  ['a failed require fails', [['require', failed]], 'fail'],
  ['a require in test mode (result None) is met', [['require', would, true]], 'met'],
  [
    'require_any with one success runs',
    [
      ['require_any', failed],
      ['require_any', ok],
    ],
    'met',
  ],
  [
    'require_any with all failed fails',
    [
      ['require_any', failed],
      ['require_any', failed],
    ],
    'fail',
  ],
  ['a watched state that changed calls for mod_watch', [['watch', ok, true]], 'change'],
  ['a watched state without changes is a plain require', [['watch', ok, false]], 'met'],
  ['a failed watch fails even if it changed', [['watch', failed, true]], 'fail'],
  // Surprising: watch_any drops a failure once any other watched state changed.
  [
    'watch_any with a change and a failure calls for mod_watch',
    [
      ['watch_any', failed],
      ['watch_any', ok, true],
    ],
    'change',
  ],
  ['onchanges without changes skips', [['onchanges', ok, false]], 'onchanges'],
  ['onchanges with a change runs', [['onchanges', ok, true]], 'met'],
  // Surprising: plain onchanges already means "any of them changed".
  [
    'onchanges with one of two changed runs',
    [
      ['onchanges', ok, false],
      ['onchanges', ok, true],
    ],
    'met',
  ],
  ['onchanges on a failed state fails', [['onchanges', failed, false]], 'fail'],
  [
    'onchanges_any forgives a failure when another changed',
    [
      ['onchanges_any', failed],
      ['onchanges_any', ok, true],
    ],
    'met',
  ],
  ['onfail on a success skips', [['onfail', ok]], 'onfail'],
  ['onfail on a failure runs', [['onfail', failed]], 'met'],
  // Surprising: plain onfail means "any failed" (Salt 3000+), like onfail_any.
  [
    'onfail with one of two failed runs',
    [
      ['onfail', ok],
      ['onfail', failed],
    ],
    'met',
  ],
  [
    'onfail_all with one of two failed skips',
    [
      ['onfail_all', ok],
      ['onfail_all', failed],
    ],
    'onfail',
  ],
  [
    'onfail_all with all failed runs',
    [
      ['onfail_all', failed],
      ['onfail_all', failed],
    ],
    'met',
  ],
  // Surprising: onfail in test mode runs, since a result of None is not success.
  ['onfail on a test-mode requisite runs', [['onfail', would, true]], 'met'],
  ['a prereq whose test run predicts changes runs', [['prereq', would, true]], 'met'],
  ['a prereq whose test run predicts nothing is not run', [['prereq', ok, false]], 'pre'],
  ['a prereq whose test run failed fails', [['prereq', failed]], 'fail'],
  [
    'a failure wins over onchanges',
    [
      ['require', failed],
      ['onchanges', ok, false],
    ],
    'fail',
  ],
  [
    'onchanges skip wins over watch change',
    [
      ['onchanges', ok, false],
      ['watch', ok, true],
    ],
    'onchanges',
  ],
  // Surprising: a requisite that was not run (skipped) counts as neither met nor failed.
  ['a require on a skipped state runs', [['require', ok, false, false]], 'met'],
];

describe('requisiteStatus', () => {
  it.each(rows)('%s', (_name, reqs, expected) => {
    const outcomes: RequisiteOutcome[] = reqs.map(([type, result, changed = false, ran = true]) => ({
      type,
      result,
      changed,
      ran,
    }));
    expect(requisiteStatus(outcomes)).toBe(expected);
  });
});
