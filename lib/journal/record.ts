import { PrevalenceError } from '../errors';
import { crc32 } from './crc';
import { parsePlainRecord } from './plain-record';
import { writeUtf8 } from './raw-buffer';

/**
 * One journaled action as read back from the journal. `args` is the parsed
 * JSON of the encoded arguments (still in the codec's encoded form).
 */
export interface JournalRecord {
  seq: number;
  ts: number;
  method: string;
  args: unknown[];
  threw: boolean;
  /**
   * The record format version: 1 when the record has no `v` (see
   * RECORD_VERSION); NaN when its `v` is not a positive integer.
   */
  version: number;
}

/**
 * The version of the records this prevalent writes (`"v":2`). Version 2
 * records come from a version whose live actions fail whole on any
 * store-time refusal (NOT_SERIALIZABLE, even if the action catches it), so
 * every value they stored passed the check and a replay runs none. A record
 * without `v` (version 1: every record of earlier versions, and one whose
 * store-time check may have run the program's own code, see
 * UndoLog.replayMustCheckStores) has its replay run the check's walk, so
 * it ends as it ran. See docs/FORMAT.md.
 */
export const RECORD_VERSION = 2;

/** The versions this prevalent writes: 2, or 1 for an action whose replay must run the store-time check. */
export type RecordVersion = 1 | typeof RECORD_VERSION;

/** What {@link decodeRecordAt} found at a position. */
export type DecodeResult =
  | { ok: true; record: JournalRecord; length: number }
  | {
      ok: false;
      reason: string;
      /** Set when the header was readable but the line extends past `end`: its full length. */
      needed?: number;
    };

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const CRC_KEY = ascii('{"crc":"');
const LEN_KEY = ascii('","len":');
const REC_KEY = ascii(',"rec":');
const CRC_AT = CRC_KEY.length;
const LEN_AT = CRC_AT + 8 + LEN_KEY.length;
const MAX_LEN_DIGITS = 15;

/** The longest possible header (`{"crc":"…","len":…,"rec":`), in bytes. */
export const MAX_HEADER_BYTES = LEN_AT + MAX_LEN_DIGITS + REC_KEY.length;

/** The byte sequence every record line starts with. */
export const RECORD_START: Uint8Array = CRC_KEY;

/**
 * Encodes one action as a journal line:
 * `{"crc":"<8 hex>","len":<bytes of REC>,"rec":REC}\n` with
 * REC = `{"args":…,"method":…,"seq":…,"threw":…,"ts":…,"v":2}` (sorted keys) and
 * the CRC-32 taken over exactly the UTF-8 bytes of REC. `argsJson` must
 * already be JSON (the `JSON.stringify` of the encoded argument array).
 * `version` 1 writes a record as earlier versions did, without `v` (tests).
 */
export function encodeRecordLine(
  seq: number,
  ts: number,
  method: string,
  argsJson: string,
  threw: boolean,
  version: RecordVersion = RECORD_VERSION,
): Buffer {
  const rec =
    '{"args":' +
    argsJson +
    ',"method":' +
    JSON.stringify(method) +
    ',"seq":' +
    seq +
    ',"threw":' +
    threw +
    ',"ts":' +
    ts +
    (version === 1 ? '}' : ',"v":' + version + '}');
  const recLen = Buffer.byteLength(rec, 'utf8');
  const head = '{"crc":"00000000","len":' + recLen + ',"rec":';
  const headLen = head.length;
  const line = Buffer.allocUnsafe(headLen + recLen + 2);
  line.write(head, 0, headLen, 'latin1');
  line.write(rec, headLen, recLen, 'utf8');
  line[headLen + recLen] = 0x7d; // }
  line[headLen + recLen + 1] = 0x0a; // \n
  writeHex(line, CRC_AT, crc32(line.subarray(headLen, headLen + recLen)));
  return line;
}

/** Records up to this size are encoded into the encoder's reused buffer; larger ones get their own. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Encodes record lines exactly as {@link encodeRecordLine} does, into one
 * reused buffer: the record is written first, right after room for the
 * longest header, and the header then in front of it, so a line costs no
 * allocation and no separate UTF-8 length pass. The returned bytes are only
 * valid until the next call.
 */
export class RecordEncoder {
  readonly #scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /** The bytes of `],"method":<json>,"seq":` per method name. */
  readonly #methodParts = new Map<string, Uint8Array>();

  encode(
    seq: number,
    ts: number,
    method: string,
    argsJson: string,
    threw: boolean,
    version: RecordVersion = RECORD_VERSION,
  ): Buffer {
    let methodPart = this.#methodParts.get(method);
    if (methodPart === undefined) {
      methodPart = Buffer.from(',"method":' + JSON.stringify(method) + ',"seq":', 'utf8');
      this.#methodParts.set(method, methodPart);
    }
    // A UTF-16 code unit of argsJson takes at most 3 UTF-8 bytes; 96 covers the rest (two integers and the fixed parts).
    if (MAX_HEADER_BYTES + argsJson.length * 3 + methodPart.length + 96 > SCRATCH_BYTES) {
      return encodeRecordLine(seq, ts, method, argsJson, threw, version);
    }
    // The record goes right after room for the longest header, piece by
    // piece (no record string is built), then the header in front of it.
    const buf = this.#scratch;
    let p = copyBytes(buf, MAX_HEADER_BYTES, ARGS_OPEN);
    p += writeUtf8(buf, argsJson, p);
    p = copyBytes(buf, p, methodPart);
    p = writeInteger(buf, p, seq);
    p = copyBytes(buf, p, threw ? THREW_TRUE : THREW_FALSE);
    p = writeInteger(buf, p, ts);
    p = copyBytes(buf, p, version === 1 ? RECORD_END : VERSION_END);
    const end = p;
    const recLen = end - MAX_HEADER_BYTES;
    const start = MAX_HEADER_BYTES - REC_KEY.length - String(recLen).length - LEN_AT;
    copyBytes(buf, start, CRC_KEY);
    copyBytes(buf, start + CRC_AT + 8, LEN_KEY);
    copyBytes(buf, writeInteger(buf, start + LEN_AT, recLen), REC_KEY);
    buf[end] = 0x7d; // }
    buf[end + 1] = 0x0a; // \n
    writeHex(buf, start + CRC_AT, crc32(buf.subarray(MAX_HEADER_BYTES, end)));
    return buf.subarray(start, end + 2);
  }
}

const ARGS_OPEN = ascii('{"args":');
const THREW_TRUE = ascii(',"threw":true,"ts":');
const THREW_FALSE = ascii(',"threw":false,"ts":');
const VERSION_END = ascii(`,"v":${RECORD_VERSION}}`);
const RECORD_END = ascii('}');

function copyBytes(buf: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) buf[at + k] = bytes[k] as number;
  return at + bytes.length;
}

/** Writes a safe integer in decimal, as JSON writes it; returns the index after it. */
function writeInteger(buf: Uint8Array, at: number, n: number): number {
  const digits = String(n);
  for (let k = 0; k < digits.length; k++) buf[at + k] = digits.charCodeAt(k);
  return at + digits.length;
}

function writeHex(buf: Uint8Array, at: number, value: number): void {
  for (let i = 0; i < 8; i++) {
    const nibble = (value >>> (28 - 4 * i)) & 0xf;
    buf[at + i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble;
  }
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Matches `lit` at `i`; returns the index after it, or a reason. */
function literal(buf: Uint8Array, i: number, end: number, lit: Uint8Array): number | string {
  for (let k = 0; k < lit.length; k++) {
    if (i + k >= end) return 'incomplete record header (the data ends inside it)';
    if (buf[i + k] !== lit[k]) return 'malformed record header';
  }
  return i + lit.length;
}

interface Header {
  crc: number;
  len: number;
  recStart: number;
}

function parseHeader(buf: Uint8Array, start: number, end: number): Header | string {
  const afterCrcKey = literal(buf, start, end, CRC_KEY);
  if (typeof afterCrcKey === 'string') return afterCrcKey;
  if (end - afterCrcKey < 8) return 'incomplete record header (the data ends inside it)';
  let crc = 0;
  for (let k = 0; k < 8; k++) {
    const v = hexValue(buf[afterCrcKey + k]);
    if (v < 0) return 'malformed record header (crc is not 8 lowercase hex digits)';
    crc = crc * 16 + v;
  }
  const afterLenKey = literal(buf, afterCrcKey + 8, end, LEN_KEY);
  if (typeof afterLenKey === 'string') return afterLenKey;
  let i = afterLenKey;
  let len = 0;
  while (i < end && i - afterLenKey <= MAX_LEN_DIGITS) {
    const b = buf[i] as number;
    if (b < 0x30 || b > 0x39) break;
    len = len * 10 + (b - 0x30);
    i++;
  }
  const digits = i - afterLenKey;
  if (i >= end) return 'incomplete record header (the data ends inside it)';
  if (digits === 0 || digits > MAX_LEN_DIGITS || (digits > 1 && buf[afterLenKey] === 0x30)) {
    return 'malformed record header (bad "len")';
  }
  const recStart = literal(buf, i, end, REC_KEY);
  if (typeof recStart === 'string') return recStart;
  return { crc, len, recStart };
}

function toRecord(parsed: unknown): JournalRecord | string {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'the record is not a JSON object';
  }
  const o = parsed as Record<string, unknown>;
  const { seq, ts, method, args, threw } = o;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return 'the record has no valid "seq"';
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return 'the record has no valid "ts"';
  if (typeof method !== 'string') return 'the record has no valid "method"';
  if (!Array.isArray(args)) return 'the record has no valid "args"';
  if (typeof threw !== 'boolean') return 'the record has no valid "threw"';
  // Any "v" decodes: the replay refuses a version it does not know (a newer
  // prevalent's; NaN when not a positive integer) instead of taking a record
  // whose CRC holds for damage, which a torn-tail cut would remove.
  const v = o.v;
  const version =
    v === undefined ? 1 : typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : NaN;
  return { seq, ts, method, args, threw, version };
}

const bad = (reason: string): DecodeResult => ({ ok: false, reason });

/**
 * Decodes and fully validates the record line starting at `buf[start]`,
 * looking no further than `end`: header syntax, length, the `}\n` ending,
 * CRC and JSON shape. Bytes after the line are ignored.
 */
export function decodeRecordAt(buf: Buffer, start: number, end: number): DecodeResult {
  const h = parseHeader(buf, start, end);
  if (typeof h === 'string') return bad(h);
  const length = h.recStart - start + h.len + 2;
  if (end - start < length) {
    return {
      ok: false,
      reason: `incomplete record (its header announces ${length} bytes, only ${end - start} are there)`,
      needed: length,
    };
  }
  const recEnd = h.recStart + h.len;
  if (buf[recEnd] !== 0x7d || buf[recEnd + 1] !== 0x0a) {
    return bad('the record does not end with "}" and a newline where its "len" says it should');
  }
  const actual = crc32(buf.subarray(h.recStart, recEnd));
  if (actual !== h.crc) {
    return bad(`checksum mismatch (stored ${hex(h.crc)}, computed ${hex(actual)})`);
  }
  const plain = parsePlainRecord(buf, h.recStart, recEnd);
  if (plain !== undefined) return { ok: true, record: plain, length };
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', h.recStart, recEnd));
  } catch (err) {
    return bad(`the record is not valid JSON (${(err as Error).message})`);
  }
  const record = toRecord(parsed);
  if (typeof record === 'string') return bad(record);
  return { ok: true, record, length };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Parses exactly one complete journal line (with its trailing newline).
 * Throws `JOURNAL_CORRUPT` when it is not a valid record line.
 */
export function parseRecordLine(line: Uint8Array | string): JournalRecord {
  const buf = typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line);
  const r = decodeRecordAt(buf, 0, buf.length);
  if (r.ok && r.length === buf.length) return r.record;
  const reason = r.ok ? `${buf.length - r.length} unexpected bytes after the record` : r.reason;
  throw new PrevalenceError(
    'JOURNAL_CORRUPT',
    `not a valid journal line: ${reason}; a line must be {"crc":"<8 hex>","len":<n>,"rec":{...}} followed by a newline`,
  );
}
