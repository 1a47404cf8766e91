import type { FileSystem } from '../fs/seam';

/** How much of a journal file the reader holds in memory at a time (unless one record is larger). */
export const CHUNK_BYTES = 1 << 20;

/** Reads up to `length` bytes at `position` into `buf[0…]`, looping over short reads; returns the count (less only at end of file). */
export function readAt(
  fs: FileSystem,
  fd: number,
  buf: Uint8Array,
  length: number,
  position: number,
): number {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

/**
 * A sliding window over one file, read with `readSync` in chunks so a file
 * of any size is never held in memory at once. Callers ask for a range with
 * {@link FileCursor.load} and then read `cursor.buf` up to `cursor.limit`.
 */
export class FileCursor {
  /** The window; valid between `load` calls only. */
  buf: Buffer;
  #start = 0;
  #len = 0;

  constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
    /** The file's size in bytes (shrinks if the file turns out shorter). */
    public size: number,
    private readonly onRead: (readUpTo: number) => void = () => {},
    chunkBytes = CHUNK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Index in `buf` just past the loaded bytes. */
  get limit(): number {
    return this.#len;
  }

  /**
   * Makes at least `min(n, size - off)` bytes from file offset `off` available
   * in `buf` and returns the index of `off` in it.
   */
  load(off: number, n: number): number {
    const want = Math.min(n, this.size - off);
    if (off >= this.#start && off + want <= this.#start + this.#len) return off - this.#start;
    if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
    const got = readAt(this.fs, this.fd, this.buf, Math.min(this.buf.length, this.size - off), off);
    this.#start = off;
    this.#len = got;
    // The file ended early (someone shortened it): believe what was read.
    if (got < want) this.size = off + got;
    this.onRead(off + got);
    return 0;
  }

  /** File offset of the first occurrence of `pattern` at or after `from`, or -1. */
  indexOf(pattern: Uint8Array, from: number): number {
    let pos = from;
    while (this.size - pos >= pattern.length) {
      const i = this.load(pos, Math.max(this.buf.length, pattern.length));
      const found = this.buf.subarray(0, this.#len).indexOf(pattern, i);
      if (found >= 0) return this.#start + found;
      const loadedEnd = this.#start + this.#len;
      if (loadedEnd >= this.size) return -1;
      // Overlap by pattern.length - 1 so a match across two chunks is still seen.
      pos = loadedEnd - pattern.length + 1;
    }
    return -1;
  }
}
