import { linePieces } from '../codec/line-pieces';
import { LF } from './format';

/**
 * Whole lines are decoded together in runs of at most this many bytes (a
 * longer line makes a run of its own). Small enough that the run's string is
 * an ordinary young object, which dies young: a larger one would go to the
 * large-object space, be promoted by any scavenge it lived through and stay
 * until the next full collection. Large enough that the cost of each
 * decoding call does not matter.
 */
const TEXT_BLOCK_BYTES = 32 * 1024;

/**
 * A complete line up to this long (or up to the long-line size, when that is
 * larger) is held back as the possible trailer; a longer one cannot be one.
 */
const MIN_HELD_BYTES = 4096;

/** Where a {@link LineSplitter} sends what it splits. */
export interface LineHandlers {
  /** The first line's bytes, LF included, as soon as it is complete. */
  first(bytes: Buffer): void;
  /**
   * A run of whole body lines' bytes (LFs included), in file order; called
   * before {@link middle} is called for the lines in it.
   */
  bodyBytes(bytes: Buffer): void;
  /**
   * The text, without its LF, of every later line except the last one
   * (which {@link LineSplitter.end} returns), unless it is long.
   */
  middle(text: string): void;
  /**
   * A piece of the bytes (without LF) of a long body line, one longer than
   * the long-line size, which is never decoded into a string: its pieces
   * come in order as they are read, each after {@link bodyBytes} got it.
   */
  longPart(bytes: Buffer): void;
  /** The long line whose pieces went to {@link longPart} ended (its LF went to bodyBytes). */
  longEnd(): void;
}

/**
 * Splits a byte stream fed in chunks into LF-terminated lines. Lines may span
 * any number of chunks; such a line is assembled from copies of its pieces,
 * unless it is long (longer than `longBytes`, the long-line size): then its
 * pieces go to {@link LineHandlers.longPart} as they are read, so it is never
 * held whole.
 *
 * The lines that complete in a chunk are handled in bulk: their bytes go to
 * {@link LineHandlers.bodyBytes} in one piece (for the checksums), and they
 * are decoded together, in runs of whole lines of up to
 * {@link TEXT_BLOCK_BYTES} (or the long-line size, when smaller), each run
 * into one string that is then cut at its line feeds. That gives the same
 * text as decoding every line on its own, because 0x0A never occurs inside a
 * UTF-8 multi-byte sequence and a decoder never takes it as part of a
 * malformed one, at a fraction of the cost. A line longer than a run is
 * handled on its own: decoded when short, in one long part when long.
 *
 * The last line is held back until the next one completes, so a caller can
 * treat it differently (the trailer) once the stream ends; a line too long
 * to be a trailer (longer than the long-line size and {@link MIN_HELD_BYTES})
 * is not. Buffers handed to the handlers may be views of the chunk and are
 * valid only during the call.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  // The last complete line (a copy, LF included), not yet known to be a body line.
  private held: Buffer | undefined;
  private seenFirst = false;
  /** Bytes read so far of the long line being read (0 when none is). */
  private longLength = 0;
  private long = false;
  private readonly heldBytes: number;
  private readonly block: number;

  constructor(
    private readonly handlers: LineHandlers,
    private readonly longBytes: number = linePieces.read,
  ) {
    this.heldBytes = Math.max(longBytes, MIN_HELD_BYTES);
    this.block = Math.min(TEXT_BLOCK_BYTES, longBytes);
  }

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
    if (this.long) {
      const end = chunk.indexOf(LF);
      if (end < 0) {
        this.longPiece(chunk, 0, chunk.length);
        return;
      }
      this.longPiece(chunk, 0, end);
      this.endLong(chunk, end);
      start = end + 1;
    } else if (this.pendingLength > 0 || !this.seenFirst) {
      // A line begun in an earlier chunk (the header always starts out that way).
      const end = chunk.indexOf(LF);
      if (end < 0) {
        this.keep(chunk, 0);
        return;
      }
      if (this.seenFirst && this.pendingLength + end > this.heldBytes) {
        this.goLong();
        this.longPiece(chunk, 0, end);
        this.endLong(chunk, end);
      } else {
        const line = this.joinPending(chunk.subarray(0, end + 1));
        if (this.seenFirst) {
          this.release();
          this.held = line;
        } else {
          this.seenFirst = true;
          this.handlers.first(line);
        }
      }
      start = end + 1;
    }
    const lastEnd = chunk.lastIndexOf(LF);
    if (lastEnd >= start) {
      const before = lastEnd > start ? chunk.lastIndexOf(LF, lastEnd - 1) : -1;
      const lastStart = before >= start ? before + 1 : start;
      this.release();
      if (lastEnd - lastStart > this.heldBytes) {
        this.body(chunk, start, lastEnd + 1);
      } else {
        if (lastStart > start) this.body(chunk, start, lastStart);
        this.held = Buffer.from(chunk.subarray(lastStart, lastEnd + 1));
      }
      start = lastEnd + 1;
    }
    if (start < chunk.length) this.keep(chunk, start);
  }

  /**
   * Ends the stream: returns the held-back last line (undefined when the
   * stream had fewer than two lines, or ended with a long line) and the
   * number of bytes after the last LF.
   */
  end(): { last: Buffer | undefined; unterminatedBytes: number } {
    return { last: this.held, unterminatedBytes: this.pendingLength + this.longLength };
  }

  private keep(chunk: Buffer, from: number): void {
    this.pending.push(Buffer.from(chunk.subarray(from)));
    this.pendingLength += chunk.length - from;
    // Too long to be the trailer: a body line, read on as a long one.
    if (this.seenFirst && this.pendingLength > this.heldBytes) this.goLong();
  }

  private joinPending(tail: Buffer): Buffer {
    if (this.pending.length === 0) return Buffer.from(tail);
    const bytes = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingLength = 0;
    return bytes;
  }

  /** The line being assembled is long: hands over what there is of it, and its next bytes as read. */
  private goLong(): void {
    this.release();
    this.long = true;
    const pieces = this.pending;
    this.pending = [];
    this.pendingLength = 0;
    for (const piece of pieces) this.longPiece(piece, 0, piece.length);
  }

  private longPiece(bytes: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const piece = bytes.subarray(from, to);
    this.longLength += to - from;
    this.handlers.bodyBytes(piece);
    this.handlers.longPart(piece);
  }

  /** Ends the long line at the LF at `lf` in `chunk`. */
  private endLong(chunk: Buffer, lf: number): void {
    this.handlers.bodyBytes(chunk.subarray(lf, lf + 1));
    this.long = false;
    this.longLength = 0;
    this.handlers.longEnd();
  }

  /** Hands over the held line, now known not to be the last one, as a body line. */
  private release(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.body(held, 0, held.length);
  }

  /** Hands over the whole lines in bytes [from, to) of `bytes` (`to` just after an LF). */
  private body(bytes: Buffer, from: number, to: number): void {
    this.handlers.bodyBytes(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to));
    const block = this.block;
    let start = from;
    while (to - start > block) {
      const before = bytes.lastIndexOf(LF, start + block - 1);
      if (before >= start) {
        this.lines(bytes, start, before + 1);
        start = before + 1;
        continue;
      }
      // One line longer than a run.
      const end = bytes.indexOf(LF, start + block) + 1;
      if (end - 1 - start > this.longBytes) {
        this.handlers.longPart(bytes.subarray(start, end - 1));
        this.handlers.longEnd();
      } else this.lines(bytes, start, end);
      start = end;
    }
    if (start < to) this.lines(bytes, start, to);
  }

  /** Decodes the whole lines in bytes [from, to) at once and hands them over one by one. */
  private lines(bytes: Buffer, from: number, to: number): void {
    const handlers = this.handlers;
    const text = bytes.toString('utf8', from, to - 1);
    let at = 0;
    for (;;) {
      const lf = text.indexOf('\n', at);
      if (lf < 0) break;
      handlers.middle(text.slice(at, lf));
      at = lf + 1;
    }
    handlers.middle(at === 0 ? text : text.slice(at));
  }
}
