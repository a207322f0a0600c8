import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ConnectionChange } from '../core/minion-link.js';
import { MinionRegistry } from '../core/registry.js';
import { remoteFleet } from './remote-fleet.js';

function fleetWith(holders: Record<string, string>) {
  const registry = new MinionRegistry(Date.now);
  const routed: [string, number][] = [];
  const remoteConnects$ = new Subject<ConnectionChange>();
  let reads = 0;
  const fleet = remoteFleet({
    registry,
    holders: () => {
      reads++;
      return new Map(Object.entries(holders));
    },
    masterId: 'A',
    send: (id, bytes) => routed.push([id, bytes.length]),
    remoteConnects$,
  });
  return { fleet, registry, routed, remoteConnects$, reads: () => reads };
}

describe('remoteFleet', () => {
  it("resolves a target over every master's minions, rereading the sessions at each selection", () => {
    const { fleet, registry, reads } = fleetWith({ a1: 'A', b1: 'B', c1: 'C', x9: 'B' });
    registry.attach({ id: 'a1', send: () => true, close: () => {} }, { os: 'linux' });
    registry.remember('a2', { os: 'linux' }, 0);
    expect(fleet.select((m) => /^[abc]/.test(m.id))).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect(reads()).toBe(1);
    // A minion known only from another master's session has no grains here.
    expect(fleet.select((m) => m.grains['os'] === 'linux')).toEqual(['a1', 'a2']);
    expect(reads()).toBe(2);
  });

  it('counts a minion another live master holds as connected, and routes its frames to that master', () => {
    const { fleet, registry, routed } = fleetWith({ a1: 'A', b1: 'B' });
    const local: number[] = [];
    registry.attach({ id: 'a1', send: (b) => !!local.push(b.length), close: () => {} }, {});
    registry.remember('gone', {}, 0);
    fleet.refresh();
    expect(['a1', 'b1', 'gone', 'nobody'].map((id) => fleet.isConnected(id))).toEqual([true, true, false, false]);
    expect(fleet.get('b1')).toMatchObject({ id: 'b1', connected: true });
    expect(fleet.get('nobody')).toBeUndefined();
    expect(fleet.link('a1')!.send(new Uint8Array(1))).toBe(true);
    expect(fleet.link('b1')!.send(new Uint8Array(2))).toBe(true);
    expect(fleet.link('gone')).toBeUndefined();
    expect(local).toEqual([1]);
    expect(routed).toEqual([['b1', 2]]);
  });

  it("reports other masters' minion connects beside local connection changes", () => {
    const { fleet, registry, remoteConnects$ } = fleetWith({});
    const seen: ConnectionChange[] = [];
    const sub = fleet.changes$.subscribe((c) => seen.push(c));
    registry.attach({ id: 'a1', send: () => true, close: () => {} }, {});
    remoteConnects$.next({ id: 'b1', connected: true });
    expect(seen).toEqual([
      { id: 'a1', connected: true },
      { id: 'b1', connected: true },
    ]);
    sub.unsubscribe();
  });
});
