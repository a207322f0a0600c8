import { describe, expect, it, vi } from 'vitest';
import type { Frame } from '@brine/protocol';
import type { MinionLink } from '../core/minion-link.js';
import { createAckPiggyback } from './ack-piggyback.js';
import type { TransportLink } from './minion-connection.js';
import { sessionEffects } from './session-effects.js';

const plain: TransportLink = { id: 'web1', close: vi.fn(), send: () => true, sendPair: () => true };
const hello = { v: 1, type: 'hello', id: 'web1', version: '0.1.0' } as Frame<'hello'>;
const auth = { v: 1, type: 'auth', grains: { os: 'Ubuntu' }, running: ['j1'] } as unknown as Frame<'auth'>;

/** Session effects over a real piggyback and recording fakes. */
function effects(pillar: boolean) {
  const calls: unknown[][] = [];
  const attached: MinionLink[] = [];
  const fx = sessionEffects({
    piggyback: createAckPiggyback({ takeAcks: () => undefined }),
    registry: {
      attach: (link, grains, address) => (attached.push(link), calls.push(['attach', link.id, grains, address])),
      detach: (link) => calls.push(['detach', link.id, attached.includes(link)]),
    },
    remember: (id, grains) => calls.push(['remember', id, grains]),
    ...(pillar ? { pushPillar: (link: MinionLink) => calls.push(['pillar', link === attached[0]]) } : {}),
    forgetEvents: (id) => calls.push(['forget events', id]),
    bus: { publish: (tag, data) => calls.push(['publish', tag, data]) },
  });
  return { fx, calls, attached };
}

describe('sessionEffects', () => {
  it('registers the wrapped link, remembers its grains, pushes pillar and announces the connect', () => {
    const { fx, calls, attached } = effects(true);
    fx.onAuthenticated(plain, hello, auth, '10.0.0.1');
    expect(attached[0]).not.toBe(plain);
    expect(calls).toEqual([
      ['attach', 'web1', { os: 'Ubuntu' }, '10.0.0.1'],
      ['remember', 'web1', { os: 'Ubuntu' }],
      ['pillar', true],
      [
        'publish',
        'brine/minion/web1/connected',
        { id: 'web1', address: '10.0.0.1', running: ['j1'], version: '0.1.0' },
      ],
    ]);
  });

  it('pushes no pillar when no pillar source is configured', () => {
    const { fx, calls } = effects(false);
    fx.onAuthenticated(plain, hello, auth, '10.0.0.1');
    expect(calls.map((c) => c[0])).toEqual(['attach', 'remember', 'publish']);
  });

  it('detaches the same wrapper it attached and announces the disconnect', () => {
    const { fx, calls } = effects(false);
    fx.onAuthenticated(plain, hello, auth, '10.0.0.1');
    calls.length = 0;
    fx.onClosed(plain);
    expect(calls).toEqual([
      ['detach', 'web1', true],
      ['forget events', 'web1'],
      ['publish', 'brine/minion/web1/disconnected', { id: 'web1' }],
    ]);
  });
});
