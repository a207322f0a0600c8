import type { Frame, FrameInput, TargetTypeValue } from '@brine/protocol';
import { type Observable, Subject } from 'rxjs';
import { MinionError, MinionErrorCode, forwardedCode } from '../errors.js';
import type { MineAccess, PillarAccess } from '../modules/types.js';

type Waiter<F> = { resolve(frame: F): void; reject(err: Error): void; timer: NodeJS.Timeout };

/** Requests by `reqId` over the connection, each failing after `timeoutMs` or when the link drops. */
class Requests<F extends { reqId: number }> {
  readonly #waiting = new Map<number, Waiter<F>>();
  #next = 1;

  constructor(
    private readonly send: (frame: FrameInput) => boolean,
    private readonly timeoutMs: number,
    private readonly what: string,
  ) {}

  ask(make: (reqId: number) => FrameInput): Promise<F> {
    const reqId = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(reqId);
        reject(
          new MinionError(MinionErrorCode.masterTimeout, `the master did not answer a ${this.what} request in time`),
        );
      }, this.timeoutMs);
      this.#waiting.set(reqId, { resolve, reject, timer });
      if (!this.send(make(reqId))) {
        clearTimeout(timer);
        this.#waiting.delete(reqId);
        reject(new MinionError(MinionErrorCode.disconnected, 'not connected to the master'));
      }
    });
  }

  /** Resolves the request a frame answers; false when none waits for it. */
  settle(frame: F): boolean {
    const w = this.#waiting.get(frame.reqId);
    if (w === undefined) return false;
    this.#waiting.delete(frame.reqId);
    clearTimeout(w.timer);
    w.resolve(frame);
    return true;
  }

  failAll(): void {
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(
        new MinionError(MinionErrorCode.disconnected, `connection to the master dropped during a ${this.what} request`),
      );
      this.#waiting.delete(id);
    }
  }
}

type Latest = { ok: true; pillar: Record<string, unknown> } | { ok: false; error: MinionError };

/**
 * This minion's pillar: kept from the master's pushes (`pillar.data` with `reqId` 0, at connect
 * and after a grains change) and fetched with `pillar.get` when none has come or on refresh. Held
 * in memory only: never written to disk, never logged.
 */
export class PillarClient implements PillarAccess {
  readonly #requests: Requests<Frame<'pillar.data'>>;
  readonly #changes = new Subject<Record<string, unknown>>();
  #latest: Latest | undefined;

  /**
   * Each pillar the master sends (a push, or the answer to a fetch or refresh) that compiled;
   * one that failed to compile is not emitted, so what depends on pillar keeps the last good
   * one. Hot: a subscriber sees the pillars sent after it subscribed. Never errors or completes.
   */
  readonly changes$: Observable<Record<string, unknown>> = this.#changes.asObservable();

  constructor(send: (frame: FrameInput) => boolean, timeoutMs = 60_000) {
    this.#requests = new Requests(send, timeoutMs, 'pillar');
  }

  /** Takes a `pillar.data` frame: a push replaces the kept pillar, an answer settles its request. */
  onFrame(frame: Frame<'pillar.data'>): void {
    this.#latest = latestOf(frame);
    if (frame.reqId !== 0) this.#requests.settle(frame);
    if (this.#latest.ok) this.#changes.next(this.#latest.pillar);
  }

  async items(): Promise<Record<string, unknown>> {
    const latest = this.#latest ?? latestOf(await this.#fetch());
    if (!latest.ok) throw latest.error;
    return latest.pillar;
  }

  async refresh(): Promise<Record<string, unknown>> {
    const latest = latestOf(await this.#fetch());
    if (!latest.ok) throw latest.error;
    return latest.pillar;
  }

  /** Fails outstanding requests (the link dropped); the kept pillar stays until the next push. */
  failAll(): void {
    this.#requests.failAll();
  }

  #fetch(): Promise<Frame<'pillar.data'>> {
    return this.#requests.ask((reqId) => ({ type: 'pillar.get', reqId }));
  }
}

function latestOf(frame: Frame<'pillar.data'>): Latest {
  return frame.error === undefined
    ? { ok: true, pillar: frame.pillar }
    : { ok: false, error: new MinionError(forwardedCode(frame.error.code), frame.error.message) };
}

/** The mine over the minion's connection (`mine.request` / `mine.response`). */
export class MineClient implements MineAccess {
  readonly #requests: Requests<Frame<'mine.response'>>;
  readonly #configured: Record<string, unknown>;

  constructor(send: (frame: FrameInput) => boolean, configured: Record<string, unknown> = {}, timeoutMs = 60_000) {
    this.#requests = new Requests(send, timeoutMs, 'mine');
    this.#configured = configured;
  }

  onFrame(frame: Frame<'mine.response'>): void {
    this.#requests.settle(frame);
  }

  async update(data: Record<string, unknown>, clear: boolean): Promise<void> {
    await this.#ask({ op: 'update', data, clear });
  }

  async delete(fun?: string): Promise<boolean> {
    return (await this.#ask({ op: 'delete', ...(fun === undefined ? {} : { fun }) })) === true;
  }

  async get(tgt: string | string[], fun: string, tgtType: TargetTypeValue): Promise<Record<string, unknown>> {
    return (await this.#ask({ op: 'get', tgt, fun, tgtType })) as Record<string, unknown>;
  }

  configured(): Record<string, unknown> {
    return this.#configured;
  }

  failAll(): void {
    this.#requests.failAll();
  }

  async #ask(body: Omit<Extract<FrameInput, { type: 'mine.request' }>, 'type' | 'reqId'>): Promise<unknown> {
    const answer = await this.#requests.ask((reqId) => ({ type: 'mine.request', reqId, ...body }) as FrameInput);
    if (answer.error !== undefined) throw new MinionError(forwardedCode(answer.error.code), answer.error.message);
    return answer.data;
  }
}

/** Pillar and mine for a call without a master (`brine-call --local`): every request fails, saying so. */
export const NO_MASTER_PILLAR: PillarAccess = {
  items: () =>
    Promise.reject(new MinionError(MinionErrorCode.noMaster, 'pillar comes from the master; this call has none')),
  refresh: () =>
    Promise.reject(new MinionError(MinionErrorCode.noMaster, 'pillar comes from the master; this call has none')),
};

/** See {@link NO_MASTER_PILLAR}. */
export const NO_MASTER_MINE: MineAccess = {
  update: () =>
    Promise.reject(new MinionError(MinionErrorCode.noMaster, 'the mine lives on the master; this call has none')),
  delete: () =>
    Promise.reject(new MinionError(MinionErrorCode.noMaster, 'the mine lives on the master; this call has none')),
  get: () =>
    Promise.reject(new MinionError(MinionErrorCode.noMaster, 'the mine lives on the master; this call has none')),
  configured: () => ({}),
};
