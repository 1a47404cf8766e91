/**
 * Reading a line of the graph encoding from its UTF-8 bytes in parts, for a
 * line too long to be decoded into one string (see line-pieces.ts): the
 * line's JSON array is cut into its values by scanning the bytes (strings,
 * escapes, nesting depth), and runs of values are parsed by JSON.parse
 * together, about {@link linePieces}.read bytes at a time. A string longer
 * than that is decoded in slices into a {@link LongText}: a value of the
 * line itself, or an item of an array value (a leaf's base64, a BigInt's
 * digits), whose other items are parsed one run at a time around it.
 */
import { linePieces } from './line-pieces';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LETTER_U = 0x75;

/** JSON's whitespace (a line never holds a raw LF, but JSON.parse would take one). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * A string of a line read in parts, too long to be made into one string
 * while it was read: its text as consecutive pieces. The decoder joins them
 * (or decodes a leaf's base64 from them piece by piece).
 */
export class LongText {
  constructor(
    /** The pieces; a consumer may empty them as it goes, to free them. */
    readonly pieces: string[],
    /** The length of the whole text, in UTF-16 units. */
    readonly length: number,
  ) {}
}

/** Makes the error for a malformed line, with what is wrong and what JSON.parse threw. */
export type LineFailure = (detail: string, cause?: unknown) => Error;

/**
 * Where a slice of the bytes of a JSON string's content may end: not inside
 * a UTF-8 sequence, nor inside an escape (`\x`, `\uXXXX`). `bytes` starts
 * where a string's content or an earlier slice starts.
 */
export function safeCut(bytes: Uint8Array): number {
  let cut = bytes.length;
  // A lead byte whose sequence runs past the end.
  let k = cut - 1;
  while (k > 0 && k > cut - 4 && ((bytes[k] as number) & 0xc0) === 0x80) k--;
  const lead = bytes[k] as number;
  if (k >= 0 && lead >= 0xc0) {
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (k + need > cut) cut = k;
  }
  // The last backslash within an escape's length of the end: one that starts
  // an escape (an even count of backslashes before it) ending past the end.
  for (let i = cut - 1; i >= 0 && i >= cut - 6; i--) {
    if (bytes[i] !== BACKSLASH) continue;
    let run = 1;
    while (i - run >= 0 && bytes[i - run] === BACKSLASH) run++;
    // An escaped backslash (the second of a pair) ends right after itself, within the slice.
    if (run % 2 === 0) break;
    const length = i + 1 < cut && bytes[i + 1] === LETTER_U ? 6 : 2;
    if (i + length > cut) cut = i;
    break;
  }
  return cut;
}

/** Decodes a JSON string's content bytes in slices into a {@link LongText}. */
class TextBuilder {
  private readonly pieces: string[] = [];
  private length = 0;
  private raw: Buffer[] = [];
  private rawBytes = 0;

  constructor(
    private readonly limit: number,
    private readonly fail: LineFailure,
  ) {}

  /** Takes content bytes `from` to `to` of `b` (copied). */
  feed(b: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.raw.push(Buffer.from(b.subarray(from, to)));
    this.rawBytes += to - from;
    if (this.rawBytes >= this.limit) this.decode(false);
  }

  /** The text, once the closing quote was read. */
  finish(): LongText {
    this.decode(true);
    return new LongText(this.pieces, this.length);
  }

  private decode(all: boolean): void {
    const bytes = this.raw.length === 1 ? (this.raw[0] as Buffer) : Buffer.concat(this.raw);
    const cut = all ? bytes.length : safeCut(bytes);
    if (cut > 0) {
      let piece: unknown;
      try {
        piece = JSON.parse(`"${bytes.toString('utf8', 0, cut)}"`);
      } catch (err) {
        throw this.fail('it is not valid JSON', err);
      }
      this.pieces.push(piece as string);
      this.length += (piece as string).length;
    }
    this.raw = cut < bytes.length ? [bytes.subarray(cut)] : [];
    this.rawBytes = bytes.length - cut;
  }
}

/**
 * Parses one line of the graph encoding from its UTF-8 bytes, fed in any
 * number of parts: hands its values, in order and in runs, to `sink`. Any
 * malformed input (not an array, bad JSON, wrong nesting, something after
 * the array, a line that ends early) throws what `fail` makes.
 *
 * The values at the active level (1: the line's; 2: the items of an array
 * value taken apart around a long string) gather as bytes in `acc` until a
 * run is long enough to be parsed, or a string in it grows longer than a
 * piece: then the values before it are parsed and it is decoded on its own.
 */
export class LineBytesParser {
  private started = false;
  private ended = false;
  private depth = 0;
  private inString = false;
  /** A backslash in a string ended the last part: the next byte is escaped. */
  private escaped = false;
  /** Bytes of the active level's values not yet parsed (copies). */
  private acc: Buffer[] = [];
  private accBytes = 0;
  /** Where in acc the current string's opening quote is. */
  private quoteAt = 0;
  /** Where in acc the current level-1 value opened its array (`[` at depth 2). */
  private openAt = 0;
  /** The byte that opened the current level-1 value at depth 2. */
  private opener = 0;
  /** A comma was taken out of acc with no value after it yet. */
  private comma = false;
  /** The active level's current value was decoded on its own: only whitespace may follow before a comma or the end. */
  private done = false;
  private level = 1;
  /** Level 2: the items so far of the array value taken apart. */
  private items: unknown[] = [];
  private text: TextBuilder | undefined;
  // The next quote and backslash at or after a position of the current part.
  private nextQuote = -1;
  private nextBackslash = -1;

  constructor(
    private readonly sink: (values: unknown[]) => void,
    private readonly fail: LineFailure,
    private readonly limit: number = linePieces.read,
  ) {}

  /** Takes the next bytes of the line (valid during the call only). */
  feed(part: Uint8Array): void {
    const b = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.length);
    const n = b.length;
    this.nextQuote = -1;
    this.nextBackslash = -1;
    // b[seg, i) are bytes of the active level's values not yet put into acc.
    let seg = 0;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        const q = this.closingQuote(b, i);
        const text = this.text;
        if (text !== undefined) {
          text.feed(b, i, q);
        } else if (this.accBytes + (q - seg) - this.quoteAt - 1 > this.limit && this.streamable()) {
          this.take(b, seg, q);
          this.startText();
        } else if (q === n) break;
        else {
          this.inString = false;
          i = q + 1;
          continue;
        }
        if (q === n) return;
        this.endText();
        i = q + 1;
        seg = i;
        continue;
      }
      const c = b[i] as number;
      if (c === QUOTE) {
        this.refuseAfterValue();
        this.inString = true;
        this.quoteAt = this.accBytes + (i - seg);
      } else if (c === COMMA) {
        if (this.depth === this.level) {
          if (this.done) {
            this.done = false;
            this.comma = true;
            seg = i + 1;
          } else if (this.accBytes + (i - seg) >= this.limit) {
            this.take(b, seg, i);
            this.flush();
            this.comma = true;
            seg = i + 1;
          }
        } else if (this.depth === 0) throw this.outside();
      } else if (c === OPEN || c === OPEN_OBJECT) {
        if (this.depth === 0) {
          if (this.started || c !== OPEN) throw this.outside();
          this.started = true;
          this.depth = 1;
          seg = i + 1;
        } else {
          this.refuseAfterValue();
          if (++this.depth === 2) {
            this.opener = c;
            this.openAt = this.accBytes + (i - seg);
          }
        }
      } else if (c === CLOSE || c === CLOSE_OBJECT) {
        if (this.depth === 0) throw this.outside();
        if (--this.depth < this.level) {
          if (c !== CLOSE) throw this.fail('it is not valid JSON (wrong nesting)');
          if (!this.done) {
            this.take(b, seg, i);
            this.flush();
          }
          if (this.level === 2) this.endItems();
          else this.ended = true;
          this.done = this.level === 1 && !this.ended;
          seg = i + 1;
        }
      } else if (this.depth === 0 || this.done) {
        if (!isSpace(c)) throw this.depth === 0 ? this.outside() : this.missingComma();
        seg = i + 1;
      }
      i++;
    }
    if (this.depth > 0 && !this.done) this.take(b, seg, n);
  }

  /** Ends the line: throws when it was cut short. */
  end(): void {
    if (!this.ended) {
      throw this.fail(
        this.started ? 'it is not valid JSON (the line ends inside it)' : 'it is not a line array',
      );
    }
  }

  /** The index in `b` of the closing quote of the current string from `from` on, or b.length. */
  private closingQuote(b: Buffer, from: number): number {
    const n = b.length;
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (;;) {
      if (i >= n) return n;
      if (this.nextQuote < i) {
        const q = b.indexOf(QUOTE, i);
        this.nextQuote = q < 0 ? n : q;
      }
      if (this.nextBackslash < i) {
        const s = b.indexOf(BACKSLASH, i);
        this.nextBackslash = s < 0 ? n : s;
      }
      if (this.nextBackslash >= this.nextQuote) return this.nextQuote;
      i = this.nextBackslash + 2;
      if (i > n) {
        this.escaped = true;
        return n;
      }
    }
  }

  /** True when the current string may be decoded on its own: a value of the line, or an item of an array value. */
  private streamable(): boolean {
    if (this.depth === this.level) return true;
    return this.level === 1 && this.depth === 2 && this.opener === OPEN;
  }

  /**
   * The current string grew longer than a piece (its bytes so far all in
   * acc): parses the values before it (when it is an item of an array value,
   * the line's values before that value, and the items before the string),
   * and decodes it from here on in slices.
   */
  private startText(): void {
    const all = this.acc.length === 1 ? (this.acc[0] as Buffer) : Buffer.concat(this.acc);
    let from = 0;
    if (this.depth === 2 && this.level === 1) {
      this.deliver(this.valuesBefore(all, 0, this.openAt));
      this.level = 2;
      this.items = [];
      from = this.openAt + 1;
    }
    this.deliver(this.valuesBefore(all, from, this.quoteAt));
    this.acc = [];
    this.accBytes = 0;
    this.comma = false;
    this.text = new TextBuilder(this.limit, this.fail);
    this.text.feed(all, this.quoteAt + 1, all.length);
  }

  /** The values in bytes `from` to `to` of `all`, which end with a comma unless there are none. */
  private valuesBefore(all: Buffer, from: number, to: number): unknown[] {
    let end = to;
    while (end > from && isSpace(all[end - 1] as number)) end--;
    if (end === from) return [];
    if (all[end - 1] !== COMMA) throw this.missingComma();
    const values = this.parse(all.toString('utf8', from, end - 1));
    if (values.length === 0)
      throw this.fail('it is not valid JSON (a value is missing before a comma)');
    return values;
  }

  private endText(): void {
    const text = (this.text as TextBuilder).finish();
    this.text = undefined;
    this.inString = false;
    this.done = true;
    this.deliver([text]);
  }

  /** The array value taken apart ended: hands it over as one value of the line. */
  private endItems(): void {
    const items = this.items;
    this.items = [];
    this.level = 1;
    this.sink([items]);
  }

  /** Parses all of acc as values of the active level and hands them over. */
  private flush(): void {
    const text =
      this.acc.length === 1
        ? (this.acc[0] as Buffer).toString('utf8')
        : Buffer.concat(this.acc).toString('utf8');
    this.acc = [];
    this.accBytes = 0;
    const values = this.parse(text);
    if (values.length === 0 && this.comma) {
      throw this.fail('it is not valid JSON (a value is missing after a comma)');
    }
    this.comma = false;
    this.deliver(values);
  }

  private parse(text: string): unknown[] {
    try {
      return JSON.parse(`[${text}]`) as unknown[];
    } catch (err) {
      throw this.fail('it is not valid JSON', err);
    }
  }

  private deliver(values: unknown[]): void {
    if (values.length === 0) return;
    if (this.level === 1) this.sink(values);
    else for (const v of values) this.items.push(v);
  }

  /** Copies bytes `from` to `to` of `b` into acc. */
  private take(b: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.acc.push(Buffer.from(b.subarray(from, to)));
    this.accBytes += to - from;
  }

  private refuseAfterValue(): void {
    if (this.done) throw this.missingComma();
    if (this.depth === 0) throw this.outside();
  }

  private missingComma(): Error {
    return this.fail('it is not valid JSON (a value follows another without a comma)');
  }

  private outside(): Error {
    return this.fail(
      this.started
        ? 'it is not valid JSON (something follows the line array)'
        : 'it is not a line array',
    );
  }
}
