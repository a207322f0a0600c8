import { describe, expect, it } from 'vitest';
import { MasterList } from './master-list.js';

const urls = ['wss://a:4506', 'wss://b:4506', 'wss://c:4506'];

describe('MasterList', () => {
  it('starts at the first master and moves down the list, wrapping, in failover order', () => {
    const list = new MasterList(urls, 'failover', () => 0.99);
    expect(list.current).toBe('wss://a:4506');
    expect([list.advance(), list.advance(), list.advance()]).toEqual(['wss://b:4506', 'wss://c:4506', 'wss://a:4506']);
  });

  it('starts at a random master and always moves to another one in random order', () => {
    const draws = [0.7, 0.0, 0.99, 0.5];
    const list = new MasterList(urls, 'random', () => draws.shift() ?? 0);
    expect(list.current).toBe('wss://c:4506');
    const seen = [list.advance(), list.advance(), list.advance()];
    expect(seen).toEqual(['wss://a:4506', 'wss://c:4506', 'wss://b:4506']);
  });

  it('stays on the only master of a list of one', () => {
    const list = new MasterList(['wss://a:4506'], 'random');
    expect(list.advance()).toBe('wss://a:4506');
  });

  it('refuses an empty list', () => {
    expect(() => new MasterList([], 'failover')).toThrow(RangeError);
  });
});
