import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPrevalenceError } from '../../lib/errors';
import type { FileSystem } from '../../lib/fs/seam';
import { realFs } from '../../lib/fs/seam';
import { journalFileName, listJournalFiles } from '../../lib/journal/files';
import type { JournalRecord, ReplayOptions } from '../../lib/journal/reader';
import { replayJournal } from '../../lib/journal/reader';
import { encodeRecordLine } from '../../lib/journal/record';
import type { JournalWriterOptions } from '../../lib/journal/writer';
import { JournalWriter } from '../../lib/journal/writer';

const made: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'prevalent-journal-'));
  made.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) nodeFs.rmSync(dir, { recursive: true, force: true });
}

/** Opens a writer with test defaults ('batch', a long interval, no rotation). */
export function openWriter(
  dir: string,
  over: Partial<JournalWriterOptions> = {},
  nextSeq = 1,
): JournalWriter {
  return JournalWriter.open(
    {
      fs: realFs,
      dir,
      durability: 'batch',
      batchIntervalMs: 60_000,
      journalMaxBytes: 1 << 30,
      ...over,
    },
    nextSeq,
  );
}

/** The arguments the test records of `seq` carry. */
export function argsOf(seq: number): unknown[] {
  return [seq, `item ${seq}`, { nested: [seq % 7 === 0, null] }];
}

/** Appends records `from … from + count - 1` with {@link argsOf} arguments. */
export function appendRange(w: JournalWriter, from: number, count: number): void {
  for (let seq = from; seq < from + count; seq++) {
    w.append(seq, 1_700_000_000_000 + seq, 'add', JSON.stringify(argsOf(seq)), seq % 5 === 0);
  }
}

/** The line the writer writes for `seq` in {@link appendRange}. */
export function lineOf(seq: number): Buffer {
  return encodeRecordLine(
    seq,
    1_700_000_000_000 + seq,
    'add',
    JSON.stringify(argsOf(seq)),
    seq % 5 === 0,
  );
}

/** Writes a journal file named for `firstSeq` holding the lines of `seqs` (in that order). */
export function writeJournalFile(dir: string, firstSeq: number, seqs: number[]): string {
  const file = path.join(dir, journalFileName(firstSeq));
  nodeFs.writeFileSync(file, Buffer.concat(seqs.map(lineOf)));
  return file;
}

/** Byte offset of the line of the `index`-th record (0-based) in a file of {@link lineOf} lines. */
export function offsetOfLine(firstSeq: number, index: number): number {
  let off = 0;
  for (let k = 0; k < index; k++) off += lineOf(firstSeq + k).length;
  return off;
}

/** Replays `dir` and collects records and warnings. */
export function readBack(
  dir: string,
  over: Partial<ReplayOptions> = {},
): { records: JournalRecord[]; warnings: string[]; lastSeq: number; replayed: number } {
  const records: JournalRecord[] = [];
  const warnings: string[] = [];
  const result = replayJournal(
    { fs: realFs, dir, afterSeq: 0, warn: (m) => warnings.push(m), ...over },
    (rec) => records.push(rec),
  );
  return { records, warnings, ...result };
}

/** The seqs `from … to`. */
export function seqRange(from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s <= to; s++) out.push(s);
  return out;
}

/** Paths of the journal files of `dir`, oldest first. */
export function journalPaths(dir: string): string[] {
  return listJournalFiles(realFs, dir).map((f) => f.path);
}

/** Runs `fn` and returns what it threw (failing the test when it returns). */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}

/** Counts calls per method of a wrapped file system. */
export function countingFs(inner: FileSystem = realFs): {
  fs: FileSystem;
  calls: Record<string, number>;
  readLengths: number[];
} {
  const calls: Record<string, number> = {};
  const readLengths: number[] = [];
  const fs = {} as Record<string, unknown>;
  for (const key of Object.keys(realFs) as (keyof FileSystem)[]) {
    fs[key] = (...args: unknown[]) => {
      calls[key] = (calls[key] ?? 0) + 1;
      if (key === 'readSync') readLengths.push(args[3] as number);
      return (inner[key] as (...a: unknown[]) => unknown).apply(inner, args);
    };
  }
  return { fs: fs as unknown as FileSystem, calls, readLengths };
}

/**
 * A file system whose asynchronous fdatasync waits until the test releases
 * it (or fails it with EIO), and which records any close of an fd with an
 * fdatasync in flight.
 */
export function gatedFs(inner: FileSystem = realFs): {
  fs: FileSystem;
  release: () => void;
  /** Fails the oldest waiting fdatasync with EIO (the inner one is not called). */
  fail: () => void;
  pending: () => number;
  syncedFds: number[];
  closedFds: number[];
  closedWhileInFlight: number[];
} {
  const gates: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const inFlight = new Map<number, number>();
  const syncedFds: number[] = [];
  const closedFds: number[] = [];
  const closedWhileInFlight: number[] = [];
  const fs: FileSystem = {
    ...inner,
    fdatasync: async (fd) => {
      syncedFds.push(fd);
      inFlight.set(fd, (inFlight.get(fd) ?? 0) + 1);
      try {
        await new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
        await inner.fdatasync(fd);
      } finally {
        inFlight.set(fd, (inFlight.get(fd) ?? 1) - 1);
      }
    },
    closeSync: (fd) => {
      if ((inFlight.get(fd) ?? 0) > 0) closedWhileInFlight.push(fd);
      closedFds.push(fd);
      inner.closeSync(fd);
    },
  };
  return {
    fs,
    release: () => gates.shift()?.resolve(),
    fail: () =>
      gates.shift()?.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
    pending: () => gates.length,
    syncedFds,
    closedFds,
    closedWhileInFlight,
  };
}

/**
 * Asserts that reading `dir` throws JOURNAL_CORRUPT naming `file`, `offset`
 * and `expectedSeq`, leaving the file untouched; returns the message.
 */
export function expectCorrupt(
  dir: string,
  file: string,
  offset: number,
  expectedSeq: number,
): string {
  const before = nodeFs.readFileSync(file);
  const err = thrown(() => readBack(dir));
  expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
  expect(err.message).toContain(file);
  expect(err.message).toContain(`byte offset ${offset} `);
  expect(err.message).toContain(`expected seq ${expectedSeq})`);
  expect(err.message).toContain("recover: 'truncate'");
  expect(nodeFs.readFileSync(file).equals(before)).toBe(true);
  return err.message;
}
