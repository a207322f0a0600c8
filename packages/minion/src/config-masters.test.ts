import { describe, expect, it } from 'vitest';
import { loadMinionConfig } from './config.js';

describe('minion config: several masters', () => {
  it('takes one master as a list of one, and a list with its order', () => {
    expect(loadMinionConfig(undefined, { id: 'm1', master: 'wss://a:4506' }).masters).toEqual(['wss://a:4506']);
    const config = loadMinionConfig(undefined, {
      id: 'm1',
      master: ['wss://a:4506', 'wss://b:4506'],
      master_type: 'failover',
    });
    expect(config.masters).toEqual(['wss://a:4506', 'wss://b:4506']);
    expect(config.master_type).toBe('failover');
  });

  it('checks every master of a list, refusing plain ws:// off loopback', () => {
    expect(() =>
      loadMinionConfig(undefined, { id: 'm1', master: ['wss://a:4506', 'ws://b:4506'], insecure_plain_ws: true }),
    ).toThrow(expect.objectContaining({ code: 'ERR_MINION_CONFIG' }));
    expect(() => loadMinionConfig(undefined, { id: 'm1', master: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_MINION_CONFIG' }),
    );
  });
});
