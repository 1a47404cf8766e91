import type { JournalRecord } from './record';
import { decodeLatin1, decodeUtf8 } from './raw-buffer';

/**
 * A parser for the common journal record, straight from its bytes: the
 * arguments are strings without escapes, numbers, booleans or null, as the
 * writer lays them out (`{"args":[…],"method":"…","seq":…,"threw":…,"ts":…,"v":2}`,
 * or without `v` as earlier versions wrote them).
 * It gives exactly what `JSON.parse` gives for such a record, at a fraction
 * of the cost on Node 20, and builds each string once from the bytes. For
 * anything else (objects, arrays, escapes, an unexpected layout) it returns
 * undefined and the caller falls back to `JSON.parse`. Only used on bytes
 * whose CRC has been checked.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const ARGS_OPEN = ascii('{"args":[');
const METHOD_KEY = ascii('],"method":"');
const SEQ_KEY = ascii('","seq":');
const THREW_KEY = ascii(',"threw":');
const TS_KEY = ascii(',"ts":');
const VERSION_KEY = ascii(',"v":');
const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');

function matches(buf: Uint8Array, at: number, end: number, lit: Uint8Array): boolean {
  if (at + lit.length > end) return false;
  for (let k = 0; k < lit.length; k++) if (buf[at + k] !== lit[k]) return false;
  return true;
}

function isNumberByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45
  );
}

/** Whether the string stringEnd() last scanned has a byte >= 0x80 (so it is UTF-8, not ASCII). */
let sawHighByte = false;

/** Index of the closing quote of the string whose content starts at `i`, or -1 (escape, control character, no end). */
function stringEnd(buf: Uint8Array, i: number, end: number): number {
  let all = 0;
  for (; i < end; i++) {
    const b = buf[i] as number;
    if (b === QUOTE) {
      sawHighByte = all >= 0x80;
      return i;
    }
    if (b === BACKSLASH || b < 0x20) return -1;
    all |= b;
  }
  return -1;
}

/** The string stringEnd() just scanned, decoded (ASCII as latin1: the same characters, decoded faster). */
function text(buf: Buffer, from: number, to: number): string {
  return sawHighByte ? decodeUtf8(buf, from, to) : decodeLatin1(buf, from, to);
}

/** End index of the JSON number starting at `i`. */
function numberEnd(buf: Uint8Array, i: number, end: number): number {
  while (i < end && isNumberByte(buf[i] as number)) i++;
  return i;
}

/**
 * The integer at [from, to) when it is a safe integer in JSON syntax
 * (`-?(0|[1-9][0-9]*)`), else undefined: other numbers (fractions,
 * exponents, integers past 2^53, where summing digits would round) are left
 * to JSON.parse.
 */
function numberAt(buf: Buffer, from: number, to: number): number | undefined {
  const negative = buf[from] === 0x2d;
  const first = negative ? from + 1 : from;
  const digits = to - first;
  if (digits < 1 || digits > 16 || (digits > 1 && buf[first] === 0x30)) return undefined;
  let n = 0;
  for (let i = first; i < to; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -n : n;
}

/**
 * The method name of the last record parsed, as bytes and as the string made
 * from them: a journal calls few methods, mostly the same one in a row, and
 * reusing the string saves building and hashing it again for every record.
 */
let lastMethodBytes = new Uint8Array(64);
let lastMethodLength = -1;
let lastMethod = '';

/** The method name at buf[from, to): the last one when the bytes are the same. */
function methodName(buf: Buffer, from: number, to: number): string {
  const length = to - from;
  if (length === lastMethodLength) {
    let k = 0;
    while (k < length && buf[from + k] === lastMethodBytes[k]) k++;
    if (k === length) return lastMethod;
  }
  const name = text(buf, from, to);
  if (length > lastMethodBytes.length) lastMethodBytes = new Uint8Array(length);
  lastMethodBytes.set(buf.subarray(from, to));
  lastMethodLength = length;
  lastMethod = name;
  return name;
}

/** Parses the record at buf[start, end) (without the envelope), or returns undefined. */
export function parsePlainRecord(
  buf: Buffer,
  start: number,
  end: number,
): JournalRecord | undefined {
  if (!matches(buf, start, end, ARGS_OPEN)) return undefined;
  let i = start + ARGS_OPEN.length;
  const args: unknown[] = [];
  if (buf[i] !== CLOSE_BRACKET) {
    for (;;) {
      const b = buf[i];
      if (b === QUOTE) {
        const close = stringEnd(buf, i + 1, end);
        if (close < 0) return undefined;
        args.push(text(buf, i + 1, close));
        i = close + 1;
      } else if (b === 0x74 && matches(buf, i, end, TRUE)) {
        args.push(true);
        i += TRUE.length;
      } else if (b === 0x66 && matches(buf, i, end, FALSE)) {
        args.push(false);
        i += FALSE.length;
      } else if (b === 0x6e && matches(buf, i, end, NULL)) {
        args.push(null);
        i += NULL.length;
      } else {
        const to = numberEnd(buf, i, end);
        const value = numberAt(buf, i, to);
        if (value === undefined) return undefined;
        args.push(value);
        i = to;
      }
      if (buf[i] === COMMA) i++;
      else if (buf[i] === CLOSE_BRACKET) break;
      else return undefined;
    }
  }
  if (!matches(buf, i, end, METHOD_KEY)) return undefined;
  const methodStart = i + METHOD_KEY.length;
  const methodEnd = stringEnd(buf, methodStart, end);
  if (methodEnd < 0) return undefined;
  const method = methodName(buf, methodStart, methodEnd);
  i = methodEnd;
  if (!matches(buf, i, end, SEQ_KEY)) return undefined;
  i += SEQ_KEY.length;
  let to = numberEnd(buf, i, end);
  const seq = numberAt(buf, i, to);
  i = to;
  if (!matches(buf, i, end, THREW_KEY)) return undefined;
  i += THREW_KEY.length;
  let threw: boolean;
  if (matches(buf, i, end, TRUE)) {
    threw = true;
    i += TRUE.length;
  } else if (matches(buf, i, end, FALSE)) {
    threw = false;
    i += FALSE.length;
  } else return undefined;
  if (!matches(buf, i, end, TS_KEY)) return undefined;
  i += TS_KEY.length;
  to = numberEnd(buf, i, end);
  const ts = numberAt(buf, i, to);
  let version: number | undefined = 1;
  if (matches(buf, to, end, VERSION_KEY)) {
    i = to + VERSION_KEY.length;
    to = numberEnd(buf, i, end);
    version = numberAt(buf, i, to);
  }
  if (to !== end - 1 || buf[to] !== 0x7d) return undefined;
  if (seq === undefined || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (ts === undefined || !Number.isSafeInteger(ts)) return undefined;
  if (version === undefined || version < 1) return undefined;
  return { args, method, seq, threw, ts, version };
}
