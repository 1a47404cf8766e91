/*
 * SNAPSHOT FILE FORMAT (version 1)
 * ================================
 *
 * A snapshot holds the whole state of a system right after one journal action.
 *
 * File name
 *   snapshot-<seq>.snap, where <seq> is the sequence number of the last journal
 *   action the state includes, in decimal, zero-padded to 16 digits
 *   (e.g. snapshot-0000000000000042.snap). seq 0 is the initial state, before
 *   any action. Restore loads the newest valid snapshot and replays the journal
 *   records with a sequence number greater than its seq. Any other name in the
 *   directory (notably a leftover snapshot-<seq>.snap.tmp) is ignored.
 *
 * Encoding
 *   UTF-8 text made of lines. Every line ends with one LF byte (0x0A), the last
 *   line included; there is no CR. Every line is one JSON text, which never
 *   contains a raw LF (JSON escapes it inside strings).
 *
 * Line 1: header
 *   A JSON object with its keys sorted (written with fast-json-stable-stringify):
 *     {"created":"<ISO 8601>","format":"prevalent-snapshot","rootClass":"Wiki",
 *      "seed":"<32 hex>","seq":<N>,"ts":<ms>,"version":1}
 *   created    wall-clock time the file was written (informational only)
 *   format     always "prevalent-snapshot"
 *   rootClass  stored class name of the root object
 *   code       optional: 16 lowercase hex digits, the print of the domain
 *              code that wrote it (see codePrintOf); a replay after a
 *              snapshot without it, or with another, runs the store-time
 *              checks. Malformed: read as absent
 *   seed       optional: the data directory's random seed, 32 lowercase hex
 *              digits (128 bits), drawn once when the directory is
 *              initialised and copied into every later snapshot; the clock
 *              mixes it into each action's random seed. Absent in directories
 *              created before it existed, which keep seeding without it (and
 *              keep writing snapshots without it). Present but not 32
 *              lowercase hex digits: the header is invalid
 *   seq        same number as in the file name
 *   ts         time of the state (ms since the epoch), as given by the system
 *   version    1; a reader rejects any other value
 *   meta       optional: an object of extra metadata, present only when given
 *
 * Lines 2 .. n-1: body
 *   Zero or more lines whose content belongs to the object-graph codec (one
 *   JSON object per line). This module passes them on in order, unchanged.
 *
 * Line n: trailer
 *   {"bytes":<B>,"crc":"<hex>","digest":"<hex>","lines":<L>,"trailer":true}
 *   bytes    number of body bytes, each body line's LF included
 *   crc      CRC-32 (the zlib / IEEE 802.3 polynomial, as node's zlib.crc32)
 *            over the header line including its LF followed by all body bytes;
 *            8 lowercase hex digits
 *   digest   SHA-256 over the body bytes only, 64 lowercase hex digits; two
 *            snapshots of the same state have the same digest whatever their
 *            headers say
 *   lines    number of body lines
 *   trailer  always true
 *
 *   The file size is exactly: header line + B + trailer line (LFs included).
 *
 * Writing
 *   The file is written as snapshot-<seq>.snap.tmp, fsynced, closed, renamed
 *   over snapshot-<seq>.snap (an atomic replace) and the directory is fsynced.
 *   A failed write removes the .tmp file and never touches existing snapshots.
 *
 * Validity
 *   A snapshot is valid when its header parses with format "prevalent-snapshot",
 *   version 1, the seq of its file name and (when present) a well-formed seed,
 *   its last line is a trailer, and the trailer's bytes, lines, crc and digest
 *   match the file. Restore skips an invalid snapshot with a warning and falls
 *   back to the next older one plus the journal after it.
 */
import { createHash, type Hash } from 'node:crypto';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import stringify from 'fast-json-stable-stringify';
import { PrevalenceError } from '../errors';

/** The value of the header's `format` field. */
export const SNAPSHOT_FORMAT = 'prevalent-snapshot';
/** The format version this module writes and reads. */
export const SNAPSHOT_VERSION = 1;
/** Suffix of the temporary file a snapshot is written to before its rename. */
export const TEMP_SUFFIX = '.tmp';
/**
 * The same for a backup (`takeSnapshot({ into })`): an unfinished one is
 * told from a new directory's cut-short first open, which leaves
 * `snapshot-0000000000000000.snap.tmp` too.
 */
export const BACKUP_TEMP_SUFFIX = '.backup.tmp';
/** A header line longer than this is treated as garbage rather than read on. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** The line terminator byte. */
export const LF = 0x0a;

const NAME_PATTERN = /^snapshot-(\d{16})\.snap$/;
const SEED_PATTERN = /^[0-9a-f]{32}$/;
const CODE_PATTERN = /^[0-9a-f]{16}$/;

/** What the writer is told to put in a header. */
export interface HeaderInput {
  seq: number;
  ts: number;
  rootClass: string;
  /** The data directory's seed (32 lowercase hex digits); omitted for a directory without one. */
  seed?: string | undefined;
  /** The print of the code that wrote it (16 lowercase hex digits; see codePrintOf). */
  code?: string | undefined;
  meta?: Record<string, unknown>;
}

/** A parsed, checked header line. */
export interface SnapshotHeader extends HeaderInput {
  created: string;
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
}

/** A parsed, checked trailer line. */
export interface SnapshotTrailer {
  bytes: number;
  crc: string;
  digest: string;
  lines: number;
  trailer: true;
}

/** The file name of the snapshot taken after action `seq`. */
export function snapshotFileName(seq: number): string {
  return `snapshot-${String(seq).padStart(16, '0')}.snap`;
}

/** The seq a snapshot file name stands for, or undefined for any other name. */
export function seqOfFileName(name: string): number | undefined {
  const match = NAME_PATTERN.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The seq of an unfinished snapshot's temporary file `name`, and whether a
 * backup left it; undefined for any other name.
 */
export function unfinishedSnapshotOf(name: string): { seq: number; backup: boolean } | undefined {
  for (const [suffix, backup] of [
    [BACKUP_TEMP_SUFFIX, true],
    [TEMP_SUFFIX, false],
  ] as const) {
    if (!name.endsWith(suffix)) continue;
    const seq = seqOfFileName(name.slice(0, -suffix.length));
    if (seq !== undefined) return { seq, backup };
  }
  return undefined;
}

/** The seq in the last path segment of `file`, or undefined when it is not a snapshot name. */
export function seqOfPath(file: string): number | undefined {
  return seqOfFileName(basename(file));
}

/** Builds the SNAPSHOT_CORRUPT error for `file`, saying what failed and what happens next. */
export function corrupt(file: string, what: string): PrevalenceError {
  const err = new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `snapshot file ${file} is damaged: ${what}. Restore can use an older snapshot plus the ` +
      'journal instead; if no valid snapshot is left, restore this file from a backup',
  );
  damageOf.set(err, what);
  return err;
}

/** What each error of {@link corrupt} found wrong, without the file name and advice around it. */
const damageOf = new WeakMap<PrevalenceError, string>();

/**
 * What is wrong with a snapshot, for a message that names the file and gives
 * its own advice: the reason {@link corrupt} was given, or the message of any
 * other error (from a consumer) without its code.
 */
export function corruptReason(err: PrevalenceError): string {
  return damageOf.get(err) ?? err.message.replace(/^[A-Z_]+: /, '');
}

/** The header line (without its LF) for `input`; throws INVALID_OPTION for unusable input. */
export function makeHeaderLine(input: HeaderInput, created: Date): string {
  const { seq, ts, rootClass, seed, code, meta } = input;
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `snapshot seq must be a non-negative integer, got ${String(seq)}`,
    );
  }
  if (!Number.isFinite(ts) || typeof rootClass !== 'string' || rootClass === '') {
    throw new PrevalenceError(
      'INVALID_OPTION',
      'a snapshot header needs a finite ts and a non-empty rootClass name',
    );
  }
  if (seed !== undefined && !isSeed(seed)) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `a snapshot seed must be 32 lowercase hex digits, got ${JSON.stringify(seed)}`,
    );
  }
  const header: SnapshotHeader = {
    created: created.toISOString(),
    format: SNAPSHOT_FORMAT,
    rootClass,
    seq,
    ts,
    version: SNAPSHOT_VERSION,
    ...(seed === undefined ? {} : { seed }),
    ...(code === undefined ? {} : { code }),
    ...(meta === undefined ? {} : { meta }),
  };
  return stringify(header);
}

/** The trailer line (without its LF). */
export function makeTrailerLine(t: Omit<SnapshotTrailer, 'trailer'>): string {
  const trailer: SnapshotTrailer = { ...t, trailer: true };
  return stringify(trailer);
}

function parseObject(file: string, text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(file, `the ${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corrupt(file, `the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function isSeed(value: unknown): value is string {
  return typeof value === 'string' && SEED_PATTERN.test(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and checks a header line (without its LF) of `file`; throws SNAPSHOT_CORRUPT. */
export function parseHeader(file: string, text: string): SnapshotHeader {
  const h = parseObject(file, text, 'header (first line)');
  if (h.format !== SNAPSHOT_FORMAT) throw corrupt(file, 'the first line is not a snapshot header');
  if (h.version !== SNAPSHOT_VERSION) {
    throw corrupt(
      file,
      `format version ${JSON.stringify(h.version)} is not supported (this prevalent reads version ${SNAPSHOT_VERSION}; a newer prevalent may read it)`,
    );
  }
  if (!isCount(h.seq) || typeof h.ts !== 'number' || typeof h.rootClass !== 'string') {
    throw corrupt(file, 'the header lacks a valid seq, ts or rootClass');
  }
  // Absent means a directory from before seeds; present must be well-formed,
  // or a replay would silently draw other random values than the live run.
  if (Object.hasOwn(h, 'seed') && !isSeed(h.seed)) {
    throw corrupt(file, 'the header has a malformed seed (not 32 lowercase hex digits)');
  }
  // Only tells a replay whether to run the store-time checks: one not written
  // by this version reads as other code (the checks run), never as damage.
  if (Object.hasOwn(h, 'code') && !(typeof h.code === 'string' && CODE_PATTERN.test(h.code))) {
    delete h.code;
  }
  const expected = seqOfPath(file);
  if (expected !== undefined && h.seq !== expected) {
    throw corrupt(file, `the header says seq ${h.seq} but the file name says ${expected}`);
  }
  return h as unknown as SnapshotHeader;
}

/** True when `line` (LF included) is a well-formed trailer line: bytes after it were added, not lost. */
export function isTrailerLine(file: string, line: Buffer | undefined): boolean {
  if (line === undefined) return false;
  try {
    parseTrailer(file, lineText(line));
    return true;
  } catch {
    return false;
  }
}

/** Parses and checks a trailer line (without its LF) of `file`; throws SNAPSHOT_CORRUPT. */
export function parseTrailer(file: string, text: string): SnapshotTrailer {
  const t = parseObject(file, text, 'trailer (last line)');
  const hex = (v: unknown, len: number) =>
    typeof v === 'string' && v.length === len && /^[0-9a-f]+$/.test(v);
  if (t.trailer !== true || !isCount(t.bytes) || !isCount(t.lines)) {
    throw corrupt(file, 'the last line is not a snapshot trailer (the file is probably truncated)');
  }
  if (!hex(t.crc, 8) || !hex(t.digest, 64)) {
    throw corrupt(file, 'the trailer has a malformed crc or digest');
  }
  return t as unknown as SnapshotTrailer;
}

/**
 * Running checksums over a snapshot: CRC-32 over header + body, and unless
 * told not to, SHA-256 over the body.
 */
export class SnapshotSums {
  private crc = 0;
  private readonly sha: Hash | undefined;

  constructor(withDigest = true) {
    this.sha = withDigest ? createHash('sha256') : undefined;
  }
  /** Body bytes seen so far. */
  bytes = 0;
  /** Body lines seen so far (counted by the caller through {@link addLine}). */
  lines = 0;

  /** Adds the header line bytes (LF included). */
  addHeader(bytes: Uint8Array): void {
    this.crc = crc32(bytes, this.crc);
  }

  /** Adds body bytes (any run of whole or partial lines). */
  addBody(bytes: Uint8Array): void {
    this.crc = crc32(bytes, this.crc);
    this.sha?.update(bytes);
    this.bytes += bytes.length;
  }

  /** Counts one more body line. */
  addLine(): void {
    this.lines += 1;
  }

  /** The CRC-32 so far as 8 lowercase hex digits. */
  crcHex(): string {
    return this.crc.toString(16).padStart(8, '0');
  }

  /** True when the SHA-256 is computed (see the constructor). */
  get computesDigest(): boolean {
    return this.sha !== undefined;
  }

  /** Ends the SHA-256 and returns it as lowercase hex; call once, and only when it is computed. */
  digestHex(): string {
    if (this.sha === undefined) throw new Error('SnapshotSums: no digest was computed');
    return this.sha.digest('hex');
  }
}

/** What a snapshot's header and trailer say about it. */
export interface SnapshotInfo {
  seq: number;
  ts: number;
  rootClass: string;
  /** The data directory's seed, when the header has one. */
  seed?: string;
  /** The print of the code that wrote it, when the header has one. */
  code?: string;
  /** SHA-256 of the body, lowercase hex. */
  digest: string;
  /** Body bytes. */
  bytes: number;
  /** Body lines. */
  lines: number;
}

/** Combines a parsed header and trailer into a {@link SnapshotInfo}. */
export function infoOf(header: SnapshotHeader, trailer: SnapshotTrailer): SnapshotInfo {
  const { seq, ts, rootClass, seed, code } = header;
  const { digest, bytes, lines } = trailer;
  return {
    seq,
    ts,
    rootClass,
    ...(seed === undefined ? {} : { seed }),
    ...(code === undefined ? {} : { code }),
    digest,
    bytes,
    lines,
  };
}

/** The text of a line's bytes, without its LF. */
export function lineText(bytes: Buffer): string {
  return bytes.toString('utf8', 0, bytes.length - 1);
}
