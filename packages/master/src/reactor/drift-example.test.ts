import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMasterConfig } from '../config.js';
import { checkReactorFiles } from './check-reactor.js';
import { renderReactions } from './reactor-files.js';

/** examples/drift, from this file (packages/master/src/reactor). */
const EXAMPLE = join(fileURLToPath(import.meta.url), '../../../../../examples/drift');
const roots = { fileRoots: [join(EXAMPLE, 'srv')] };
const TAG = 'brine/job/20261207010000000001/ret/web1';

const ret = (changes: Record<string, unknown>, result: boolean | null = null) => ({
  id: 'web1',
  jid: '20261207010000000001',
  fun: 'state.apply',
  outcome: 'returned',
  success: true,
  ret: {
    'file_|-motd_|-/etc/motd_|-managed': { result, changes, comment: 'would change' },
    'pkg_|-vim_|-vim_|-installed': { result: true, changes: {}, comment: 'ok' },
  },
});

describe('the drift example', () => {
  it('passes --check-config: the config, its cron and its reactor SLS', async () => {
    const config = loadMasterConfig(join(EXAMPLE, 'master.yaml'), { state_dir: '/tmp/unused' });
    expect(config.schedule['drift_check']).toMatchObject({ function: 'state.apply', cron: '0 * * * *' });
    expect(await checkReactorFiles(config.reactor, roots)).toEqual([]);
  });

  it('sets the drift metric and fires an event for a test run with changes', async () => {
    const reactions = await renderReactions(
      'brine://reactor/drift.sls',
      { tag: TAG, data: ret({ diff: '+x' }) },
      roots,
    );
    expect(reactions).toEqual([
      { kind: 'runner', id: 'drift_metric', fun: 'metrics.drift', args: [], kwargs: { minion: 'web1', changes: 1 } },
      {
        kind: 'runner',
        id: 'drift_event',
        fun: 'event.send',
        args: [],
        kwargs: {
          tag: 'drift/web1/detected',
          data: { jid: '20261207010000000001', states: ['file_|-motd_|-/etc/motd_|-managed'] },
        },
      },
    ]);
  });

  it('sets the metric to 0 without an event when nothing would change, and ignores other functions', async () => {
    const clean = await renderReactions('brine://reactor/drift.sls', { tag: TAG, data: ret({}) }, roots);
    expect(clean).toEqual([
      { kind: 'runner', id: 'drift_metric', fun: 'metrics.drift', args: [], kwargs: { minion: 'web1', changes: 0 } },
    ]);
    const other = await renderReactions(
      'brine://reactor/drift.sls',
      { tag: TAG, data: { ...ret({}), fun: 'test.ping' } },
      roots,
    );
    expect(other).toEqual([]);
  });

  it('counts no drift in a real run that changed things (a fix), so a fix cannot trigger itself', async () => {
    const fixed = await renderReactions(
      'brine://reactor/drift.sls',
      { tag: TAG, data: ret({ diff: '+x' }, true) },
      roots,
    );
    expect(fixed).toEqual([
      { kind: 'runner', id: 'drift_metric', fun: 'metrics.drift', args: [], kwargs: { minion: 'web1', changes: 0 } },
    ]);
  });
});
