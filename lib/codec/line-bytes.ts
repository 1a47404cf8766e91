/**
 * Reading a line of the graph encoding from its UTF-8 bytes in parts, for a
 * line too long to be decoded into one string (see line-pieces.ts): the
 * line's JSON array is cut into its values by scanning the bytes (strings,
 * escapes, nesting depth), and runs of values are parsed by JSON.parse
 * together, about {@link linePieces}.read bytes at a time. A string longer
 * than {@link ALONE_BYTES} (or than that size, when smaller), a value of the
 * line itself or an item of an array value (a leaf's base64, a BigInt's
 * digits), is decoded on its own, in slices of at most that size, into a
 * {@link LongText}; the other items of such an array are parsed a run at a
 * time around it.
 */
import { isAscii } from 'node:buffer';
import { linePieces } from './line-pieces';

/**
 * A string value longer than this is decoded on its own: without JSON.parse
 * when it holds no escape (its bytes are its text then), several times
 * faster than parsing it among other values.
 */
const ALONE_BYTES = 64 * 1024;

/** Raw control characters, which a JSON string may not hold. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;

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

/**
 * A growing run of bytes whose first byte is fixed (`[` or `"`), with room
 * for one more at its end: a run of values or a string's content, closed in
 * place (`]`, `"`) and parsed as it lies.
 */
class ByteRun {
  buf: Buffer;
  /** Bytes used, the first one included. */
  length = 1;

  constructor(first: number) {
    this.buf = Buffer.allocUnsafe(4096);
    this.buf[0] = first;
  }

  /** Appends bytes `from` to `to` of `src`. */
  append(src: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    const need = this.length + (to - from) + 1;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.buf.set(src.subarray(from, to), this.length);
    this.length += to - from;
  }

  clear(): void {
    this.length = 1;
  }
}

/** The text of bytes `from` to `to` of `buf`: UTF-8, read as Latin-1 (the same, faster) when all ASCII. */
function textOf(buf: Buffer, from: number, to: number): string {
  return isAscii(buf.subarray(from, to))
    ? buf.toString('latin1', from, to)
    : buf.toString('utf8', from, to);
}

/** Decodes a JSON string's content bytes in slices into a {@link LongText}. */
class TextBuilder {
  private readonly pieces: string[] = [];
  private length = 0;
  private readonly raw = new ByteRun(QUOTE);

  constructor(
    private readonly size: number,
    private readonly fail: LineFailure,
  ) {}

  /** Takes content bytes `from` to `to` of `b` (copied). */
  feed(b: Uint8Array, from: number, to: number): void {
    let at = from;
    while (at < to) {
      const end = Math.min(to, at + this.size - (this.raw.length - 1));
      this.raw.append(b, at, end);
      at = end;
      if (this.raw.length - 1 >= this.size) this.decode(false);
    }
  }

  /** The text, once the closing quote was read. */
  finish(): LongText {
    this.decode(true);
    return new LongText(this.pieces, this.length);
  }

  private decode(all: boolean): void {
    const raw = this.raw;
    const end = raw.length;
    const cut = all ? end : 1 + safeCut(raw.buf.subarray(1, end));
    const rest = cut < end ? Buffer.from(raw.buf.subarray(cut, end)) : undefined;
    if (cut > 1 || all) {
      const piece = this.text(raw.buf, cut);
      this.pieces.push(piece);
      this.length += piece.length;
    }
    raw.clear();
    if (rest !== undefined) raw.append(rest, 0, rest.length);
  }

  /** The text of the string content in bytes 1 to `end` of `buf` (whose byte 0 is a quote). */
  private text(buf: Buffer, end: number): string {
    const text = textOf(buf, 1, end);
    if (buf.subarray(1, end).indexOf(BACKSLASH) < 0 && !CONTROL.test(text)) return text;
    buf[end] = QUOTE;
    try {
      return JSON.parse(textOf(buf, 0, end + 1)) as string;
    } catch (err) {
      throw this.fail('it is not valid JSON', err);
    }
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
  /** Bytes of the active level's values not yet parsed (copies), after a `[`. */
  private readonly acc = new ByteRun(OPEN);
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
  /** A string longer than this, where one may be, is decoded on its own. */
  private readonly alone: number;
  // The next quote and backslash at or after a position of the current part.
  private nextQuote = -1;
  private nextBackslash = -1;

  constructor(
    private readonly sink: (values: unknown[]) => void,
    private readonly fail: LineFailure,
    private readonly limit: number = linePieces.read,
  ) {
    this.alone = Math.min(limit, ALONE_BYTES);
  }

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
        } else if (
          this.acc.length + (q - seg) - this.quoteAt - 1 > this.alone &&
          this.streamable()
        ) {
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
        this.quoteAt = this.acc.length + (i - seg);
      } else if (c === COMMA) {
        if (this.depth === this.level) {
          if (this.done) {
            this.done = false;
            this.comma = true;
            seg = i + 1;
          } else if (this.acc.length - 1 + (i - seg) >= this.limit) {
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
            this.openAt = this.acc.length + (i - seg);
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
   * The current string is long (its bytes so far all in acc): parses the
   * values before it (when it is an item of an array value, the line's
   * values before that value, and the items before the string), and decodes
   * it on its own from here on.
   */
  private startText(): void {
    let from = 1;
    if (this.depth === 2 && this.level === 1) {
      this.deliver(this.valuesBefore(1, this.openAt));
      this.level = 2;
      this.items = [];
      from = this.openAt + 1;
    }
    this.deliver(this.valuesBefore(from, this.quoteAt));
    this.comma = false;
    this.text = new TextBuilder(this.limit, this.fail);
    this.text.feed(this.acc.buf, this.quoteAt + 1, this.acc.length);
    this.acc.clear();
  }

  /**
   * The values in acc from `from` (just after a `[`) to `to`, which end with
   * a comma unless there are none. Closes them in place with a `]`.
   */
  private valuesBefore(from: number, to: number): unknown[] {
    const buf = this.acc.buf;
    let end = to;
    while (end > from && isSpace(buf[end - 1] as number)) end--;
    if (end === from) return [];
    if (buf[end - 1] !== COMMA) throw this.missingComma();
    buf[end - 1] = CLOSE;
    const values = this.parse(from - 1, end);
    if (values.length === 0) {
      throw this.fail('it is not valid JSON (a value is missing before a comma)');
    }
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
    const acc = this.acc;
    acc.buf[acc.length] = CLOSE;
    const values = this.parse(0, acc.length + 1);
    acc.clear();
    if (values.length === 0 && this.comma) {
      throw this.fail('it is not valid JSON (a value is missing after a comma)');
    }
    this.comma = false;
    this.deliver(values);
  }

  /** The values of the JSON array in acc from `from` to `to`. */
  private parse(from: number, to: number): unknown[] {
    try {
      return JSON.parse(textOf(this.acc.buf, from, to)) as unknown[];
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
    this.acc.append(b, from, to);
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
