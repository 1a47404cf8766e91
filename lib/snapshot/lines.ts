import { LF } from './format';

/** Where a {@link LineSplitter} sends lines; each gets the line's bytes with its LF. */
export interface LineHandlers {
  /** The first line, as soon as it is complete. */
  first(bytes: Buffer): void;
  /** Every later line except the last one, which {@link LineSplitter.end} returns. */
  middle(bytes: Buffer): void;
}

/**
 * Splits a byte stream fed in chunks into LF-terminated lines. Lines may span
 * any number of chunks. Splitting on the LF byte is safe for UTF-8 because
 * 0x0A never occurs inside a multi-byte sequence, so each line is decoded
 * from its complete bytes.
 *
 * The last line is held back until the next one completes, so a caller can
 * treat it differently (the trailer) once the stream ends. Buffers handed to
 * the handlers may be views of the chunk and are valid only during the call.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private held: Buffer | undefined;
  private heldIsView = false;
  private seenFirst = false;

  constructor(private readonly handlers: LineHandlers) {}

  /** Bytes of the line currently being assembled (not yet terminated). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** True once the first line has been handed over. */
  get hasFirst(): boolean {
    return this.seenFirst;
  }

  /** Feeds the next chunk; the chunk may be reused by the caller afterwards. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) break;
      this.take(this.joinPending(chunk.subarray(start, end + 1)));
      start = end + 1;
    }
    if (start < chunk.length) {
      this.pending.push(Buffer.from(chunk.subarray(start)));
      this.pendingLength += chunk.length - start;
    }
    // The chunk is about to be overwritten by the next read.
    if (this.held !== undefined && this.heldIsView) {
      this.held = Buffer.from(this.held);
      this.heldIsView = false;
    }
  }

  /**
   * Ends the stream: returns the held-back last line (undefined when the
   * stream had fewer than two lines) and the number of bytes after the last LF.
   */
  end(): { last: Buffer | undefined; unterminatedBytes: number } {
    return { last: this.held, unterminatedBytes: this.pendingLength };
  }

  private joinPending(tail: Buffer): { bytes: Buffer; isView: boolean } {
    if (this.pending.length === 0) return { bytes: tail, isView: true };
    const bytes = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingLength = 0;
    return { bytes, isView: false };
  }

  private take(line: { bytes: Buffer; isView: boolean }): void {
    if (!this.seenFirst) {
      this.seenFirst = true;
      this.handlers.first(line.bytes);
      return;
    }
    if (this.held !== undefined) this.handlers.middle(this.held);
    this.held = line.bytes;
    this.heldIsView = line.isView;
  }
}
