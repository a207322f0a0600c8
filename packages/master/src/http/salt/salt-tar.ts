/** A file to put in a tar archive. */
export interface TarEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits. */
  mode: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * Writes a POSIX ustar archive of plain files (what Python's `tarfile` writes for salt-api's
 * `POST /keys`): a 512-byte header per file, its data padded to 512 bytes, two zero blocks.
 * Names must fit in 100 bytes.
 */
export function tarArchive(entries: readonly TarEntry[], mtimeS: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const header = Buffer.alloc(BLOCK);
    header.write(e.name, 0, 100, 'utf8');
    header.write(octal(e.mode, 8), 100, 'ascii');
    header.write(octal(0, 8), 108, 'ascii');
    header.write(octal(0, 8), 116, 'ascii');
    header.write(octal(e.data.length, 12), 124, 'ascii');
    header.write(octal(Math.floor(mtimeS), 12), 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    header.write('root', 265, 'ascii');
    header.write('root', 297, 'ascii');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(header, e.data, Buffer.alloc((BLOCK - (e.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
