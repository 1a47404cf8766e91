/**
 * Node's own encoders and decoders on Buffer.prototype, called directly:
 * `write` and `toString` reach them through wrappers that check their
 * arguments on every call, which shows on a path that runs once per record.
 * Where a Node version lacks them, the public methods stand in.
 */

interface RawBufferMethods {
  utf8Write?: (s: string, offset: number) => number;
  latin1Slice?: (from: number, to: number) => string;
  utf8Slice?: (from: number, to: number) => string;
}

const raw = Buffer.prototype as unknown as RawBufferMethods;
type Raw = Required<RawBufferMethods>;

/** Writes `s` as UTF-8 at `at` (the buffer must have room); returns the byte count. */
export const writeUtf8: (buf: Buffer, s: string, at: number) => number =
  typeof raw.utf8Write === 'function'
    ? (buf, s, at) => (buf as unknown as Raw).utf8Write(s, at)
    : (buf, s, at) => buf.write(s, at, 'utf8');

/** Bytes [from, to) decoded as latin1 (for ASCII, the same text as UTF-8). */
export const decodeLatin1: (buf: Buffer, from: number, to: number) => string =
  typeof raw.latin1Slice === 'function'
    ? (buf, from, to) => (buf as unknown as Raw).latin1Slice(from, to)
    : (buf, from, to) => buf.toString('latin1', from, to);

/** Bytes [from, to) decoded as UTF-8. */
export const decodeUtf8: (buf: Buffer, from: number, to: number) => string =
  typeof raw.utf8Slice === 'function'
    ? (buf, from, to) => (buf as unknown as Raw).utf8Slice(from, to)
    : (buf, from, to) => buf.toString('utf8', from, to);
