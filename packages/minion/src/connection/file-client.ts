import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExtendKind, Frame, FrameInput, SignedExtendListing } from '@brine/protocol';
import { MinionError, MinionErrorCode, forwardedCode } from '../errors.js';
import type { MasterFiles } from '../modules/types.js';

type Waiter = {
  resolve(frame: Frame<'file.chunk'> | Frame<'file.listing'>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
};

/**
 * Fetches files from the master's file server over the minion's connection: one `file.request`
 * per chunk, the whole file hash-checked against the master's SHA-256 before it is moved into
 * place. Listing uses `file.list`.
 */
export class FileClient implements MasterFiles {
  readonly #send: (frame: FrameInput) => boolean;
  readonly #waiting = new Map<number, Waiter>();
  #next = 1;

  constructor(send: (frame: FrameInput) => boolean) {
    this.#send = send;
  }

  /** Routes a `file.chunk` or `file.listing` frame to its request. */
  onFrame(frame: Frame): void {
    if (frame.type !== 'file.chunk' && frame.type !== 'file.listing') return;
    const w = this.#waiting.get(frame.reqId);
    if (!w) return;
    this.#waiting.delete(frame.reqId);
    clearTimeout(w.timer);
    w.resolve(frame);
  }

  async getFile(path: string, dest: string): Promise<{ sha256: string; size: number }> {
    const source = stripScheme(path);
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.brine-tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    const hash = createHash('sha256');
    let offset = 0;
    try {
      for (;;) {
        const chunk = (await this.#ask((reqId) => ({
          type: 'file.request',
          reqId,
          path: source,
          offset,
        }))) as Frame<'file.chunk'>;
        if (chunk.error) throw new MinionError(forwardedCode(chunk.error.code), chunk.error.message);
        writeSync(fd, chunk.data);
        hash.update(chunk.data);
        offset += chunk.data.byteLength;
        if (chunk.eof) {
          const sha256 = hash.digest('hex');
          if (sha256 !== chunk.sha256 || offset !== chunk.size) {
            throw new MinionError(MinionErrorCode.fileHash, `${path}: received file does not match the master's hash`);
          }
          fsyncSync(fd);
          closeSync(fd);
          renameSync(tmp, dest);
          return { sha256, size: offset };
        }
      }
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const listing = (await this.#ask((reqId) => ({
      type: 'file.list',
      reqId,
      prefix: stripScheme(prefix),
    }))) as Frame<'file.listing'>;
    return listing.paths;
  }

  /** Asks for the master's signed listing of one kind of extension; undefined when it sent none. */
  async listExtend(kind: ExtendKind): Promise<SignedExtendListing | undefined> {
    const listing = (await this.#ask((reqId) => ({
      type: 'file.list',
      reqId,
      prefix: '',
      extend: kind,
    }))) as Frame<'file.listing'>;
    return listing.signed;
  }

  /** Fails every outstanding request (the connection dropped). */
  failAll(): void {
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(
        new MinionError(MinionErrorCode.disconnected, 'connection to the master dropped during a file transfer'),
      );
      this.#waiting.delete(id);
    }
  }

  #ask(make: (reqId: number) => FrameInput): Promise<Frame> {
    const reqId = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(reqId);
        reject(new MinionError(MinionErrorCode.fileTimeout, 'the master did not answer a file request in 30 s'));
      }, 30_000);
      this.#waiting.set(reqId, { resolve, reject, timer });
      if (!this.#send(make(reqId))) {
        clearTimeout(timer);
        this.#waiting.delete(reqId);
        reject(new MinionError(MinionErrorCode.disconnected, 'not connected to the master'));
      }
    });
  }
}

function stripScheme(path: string): string {
  return path.startsWith('brine://') ? path.slice('brine://'.length) : path;
}
