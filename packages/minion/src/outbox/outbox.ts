import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeValue, encodeValue, type FrameInput } from '@brine/protocol';
import { runKey } from './jid-log.js';

/** A job's return as the minion keeps it until the master acknowledges it. */
export type ReturnRecord = Omit<FrameInput<'job.return'>, 'type'>;

/**
 * The return spool: a return is stored before it is sent, sent again after every reconnect, and
 * dropped only when the master says it is stored durably.
 *
 * An implementation owes: `put` is durable when it returns; `pending` lists every return put and
 * not yet acked, in the order they were put; `ack` of an unknown pair is a no-op.
 */
export interface Outbox {
  put(ret: ReturnRecord): void;
  ack(jid: string, attempt: number): void;
  get(jid: string, attempt: number): ReturnRecord | undefined;
  pending(): ReturnRecord[];
}

const key = runKey;

/** A return's file name: unchanged across versions, so returns spooled before an upgrade are found. */
function fileKey(jid: string, attempt: number): string {
  return `${jid}-${attempt}`;
}

/** An outbox of one file per return, fsynced (file and directory) before `put` returns. */
export class FileOutbox implements Outbox {
  readonly #dir: string;
  readonly #items = new Map<string, ReturnRecord>();

  /**
   * @param sync fsync each return before `put` returns (survives power loss). Without it a
   *   return survives the process being killed, not the host losing power: what a swarm of
   *   virtual minions sharing one disk can afford. @default true
   */
  constructor(
    dir: string,
    private readonly sync = true,
  ) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names = readdirSync(dir)
      .filter((n) => n.endsWith('.ret'))
      .sort();
    for (const name of names) {
      const decoded = decodeValue(readFileSync(join(dir, name)));
      // A torn write never got renamed into place; anything unreadable here is skipped, not fatal.
      if (decoded.ok && typeof decoded.value === 'object' && decoded.value !== null) {
        const rec = decoded.value as ReturnRecord;
        this.#items.set(key(rec.jid, rec.attempt), rec);
      }
    }
  }

  put(ret: ReturnRecord): void {
    const k = key(ret.jid, ret.attempt);
    const file = join(this.#dir, `${fileKey(ret.jid, ret.attempt)}.ret`);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, encodeValue(ret));
      if (this.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    if (!this.sync) {
      this.#items.set(k, ret);
      return;
    }
    const dirFd = openSync(this.#dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.#items.set(k, ret);
  }

  ack(jid: string, attempt: number): void {
    if (!this.#items.delete(key(jid, attempt))) return;
    rmSync(join(this.#dir, `${fileKey(jid, attempt)}.ret`), { force: true });
  }

  get(jid: string, attempt: number): ReturnRecord | undefined {
    return this.#items.get(key(jid, attempt));
  }

  pending(): ReturnRecord[] {
    return [...this.#items.values()];
  }
}

/** An outbox in memory, for swarm minions (one process standing in for many hosts). */
export class MemoryOutbox implements Outbox {
  readonly #items = new Map<string, ReturnRecord>();
  put(ret: ReturnRecord): void {
    this.#items.set(key(ret.jid, ret.attempt), ret);
  }
  ack(jid: string, attempt: number): void {
    this.#items.delete(key(jid, attempt));
  }
  get(jid: string, attempt: number): ReturnRecord | undefined {
    return this.#items.get(key(jid, attempt));
  }
  pending(): ReturnRecord[] {
    return [...this.#items.values()];
  }
}
