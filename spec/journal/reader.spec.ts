import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { isPrevalenceError } from '../../lib/errors';
import { journalFileName } from '../../lib/journal/files';
import { replayJournal } from '../../lib/journal/reader';
import { encodeRecordLine } from '../../lib/journal/record';
import {
  appendRange,
  argsOf,
  countingFs,
  journalPaths,
  lineOf,
  offsetOfLine,
  openWriter,
  readBack,
  removeTempDirs,
  seqRange,
  tempDir,
  thrown,
  writeJournalFile,
} from './helpers';

afterAll(removeTempDirs);

function expectCorrupt(dir: string, file: string, offset: number, expectedSeq: number): string {
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

describe('replayJournal on a healthy journal', () => {
  it('returns what the writer wrote, in order, with decoded fields', async () => {
    const dir = tempDir();
    const w = openWriter(dir);
    appendRange(w, 1, 30);
    await w.close();
    const { records, warnings, lastSeq, replayed } = readBack(dir);
    expect(warnings).toEqual([]);
    expect(lastSeq).toBe(30);
    expect(replayed).toBe(30);
    expect(records.map((r) => r.seq)).toEqual(seqRange(1, 30));
    expect(records[9]).toEqual({
      seq: 10,
      ts: 1_700_000_000_010,
      method: 'add',
      args: argsOf(10),
      threw: true,
    });
  });

  it('passes on only records after afterSeq and skips files that end before it', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 10));
    writeJournalFile(dir, 11, seqRange(11, 20));
    writeJournalFile(dir, 21, seqRange(21, 25));
    const spy = countingFs();
    const records: number[] = [];
    const result = replayJournal({ fs: spy.fs, dir, afterSeq: 12, warn: () => {} }, (r) =>
      records.push(r.seq),
    );
    expect(records).toEqual(seqRange(13, 25));
    expect(result).toEqual({ lastSeq: 25, replayed: 13 });
    expect(spy.calls.openSync).toBe(2); // the first file is never opened
  });

  it('still validates records up to afterSeq in a file it reads', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 6));
    const bytes = nodeFs.readFileSync(file);
    const at = offsetOfLine(1, 1) + 40;
    bytes[at] = (bytes[at] as number) ^ 1;
    nodeFs.writeFileSync(file, bytes);
    const err = thrown(() => readBack(dir, { afterSeq: 4 }));
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect(err.message).toContain('expected seq 2)');
  });

  it('reports an empty or missing directory as ending at afterSeq', () => {
    expect(readBack(tempDir(), { afterSeq: 7 })).toMatchObject({ lastSeq: 7, replayed: 0 });
    const missing = path.join(tempDir(), 'nope');
    expect(readBack(missing, { afterSeq: 0 })).toMatchObject({ lastSeq: 0, replayed: 0 });
  });

  it('keeps afterSeq as lastSeq when the journal ends before the snapshot', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 5));
    expect(readBack(dir, { afterSeq: 9 })).toMatchObject({ lastSeq: 9, replayed: 0 });
  });

  it('lets an error thrown by onRecord through unchanged', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const boom = new Error('domain says no');
    const onRecord = (r: { seq: number }): void => {
      if (r.seq === 2) throw boom;
    };
    const spy = countingFs();
    expect(() => replayJournal({ fs: spy.fs, dir, afterSeq: 0, warn: () => {} }, onRecord)).toThrow(
      boom,
    );
    expect(spy.calls.closeSync).toBe(spy.calls.openSync);
  });

  it('streams big files in bounded reads, with records spanning chunks', () => {
    const dir = tempDir();
    const w = openWriter(dir);
    const pad = 'x'.repeat(1000);
    for (let seq = 1; seq <= 5000; seq++)
      w.append(seq, seq, 'put', JSON.stringify([seq, pad]), false);
    const huge = 'y'.repeat(3 * 1024 * 1024);
    w.append(5001, 5001, 'put', JSON.stringify([huge]), false);
    w.append(5002, 5002, 'put', '[]', false);
    const size = nodeFs.statSync(journalPaths(dir)[0] as string).size;
    const lineOfHuge = encodeRecordLine(5001, 5001, 'put', JSON.stringify([huge]), false).length;
    const spy = countingFs();
    const progress: [number, number][] = [];
    let count = 0;
    let hugeSeen = false;
    replayJournal(
      { fs: spy.fs, dir, afterSeq: 0, warn: () => {}, onProgress: (d, t) => progress.push([d, t]) },
      (r) => {
        count++;
        if (r.seq === 5001) hugeSeen = (r.args[0] as string).length === huge.length;
      },
    );
    expect(count).toBe(5002);
    expect(hugeSeen).toBe(true);
    // Reads are chunk-sized, or as large as the one huge record, never the whole file.
    expect(Math.max(...spy.readLengths)).toBeLessThanOrEqual(lineOfHuge);
    expect(lineOfHuge).toBeLessThan(size / 2);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.every(([, t]) => t === size)).toBe(true);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual([size, size]);
  });
});

describe('torn tail of the newest file', () => {
  it('is cut off at every byte offset of the last record, losing only that record', async () => {
    const dir = tempDir();
    const w = openWriter(dir);
    appendRange(w, 1, 4);
    w.append(5, 5, 'rename', JSON.stringify(['Zoë ✓ 🎉']), false);
    await w.close();
    const file = journalPaths(dir)[0] as string;
    const full = nodeFs.readFileSync(file);
    const start = offsetOfLine(1, 4);
    expect(full.length - start).toBeGreaterThan(60);
    for (let kept = 0; kept < full.length - start; kept++) {
      nodeFs.writeFileSync(file, full.subarray(0, start + kept));
      const { records, warnings, lastSeq } = readBack(dir);
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(lastSeq).toBe(4);
      expect(nodeFs.statSync(file).size).toBe(start);
      if (kept === 0) {
        expect(warnings).toEqual([]);
      } else {
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(file);
        expect(warnings[0]).toContain(`byte offset ${start} (${kept} bytes`);
      }
    }
    const again = openWriter(dir, {}, 5);
    appendRange(again, 5, 1);
    await again.close();
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 5));
    expect(journalPaths(dir)).toHaveLength(1);
  });

  it('drops trailing zero bytes (a file extended but never written)', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 3));
    const size = nodeFs.statSync(file).size;
    nodeFs.appendFileSync(file, Buffer.alloc(4096));
    const { records, warnings } = readBack(dir);
    expect(records).toHaveLength(3);
    expect(warnings[0]).toContain('4096 bytes');
    expect(nodeFs.statSync(file).size).toBe(size);
  });

  it('is repaired in the newest of several files', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const second = writeJournalFile(dir, 4, seqRange(4, 6));
    nodeFs.truncateSync(second, nodeFs.statSync(second).size - 5);
    expect(readBack(dir).lastSeq).toBe(5);
  });

  it('is corruption when it is in an older file', () => {
    const dir = tempDir();
    const first = writeJournalFile(dir, 1, seqRange(1, 3));
    writeJournalFile(dir, 4, seqRange(4, 6));
    const start = offsetOfLine(1, 2);
    nodeFs.truncateSync(first, start + 10);
    const message = expectCorrupt(dir, first, start, 3);
    expect(message).toContain('not the newest');
  });
});

describe('damage other than a torn tail', () => {
  it('reports a flipped byte anywhere in a middle record with its file, offset and seq', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 3));
    const good = nodeFs.readFileSync(file);
    const start = offsetOfLine(1, 1);
    const end = offsetOfLine(1, 2);
    for (let at = start; at < end; at++) {
      const bytes = Buffer.from(good);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      nodeFs.writeFileSync(file, bytes);
      expectCorrupt(dir, file, start, 2);
    }
  });

  it('reports a zeroed record followed by valid ones instead of dropping them', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 4));
    const bytes = nodeFs.readFileSync(file);
    bytes.fill(0, offsetOfLine(1, 2), offsetOfLine(1, 3));
    nodeFs.writeFileSync(file, bytes);
    const message = expectCorrupt(dir, file, offsetOfLine(1, 2), 3);
    expect(message).toContain(`valid record follows at byte offset ${offsetOfLine(1, 3)}`);
  });

  it('reports a garbage line between records', () => {
    const dir = tempDir();
    const file = path.join(dir, journalFileName(1));
    nodeFs.writeFileSync(file, Buffer.concat([lineOf(1), Buffer.from('oops\n'), lineOf(2)]));
    expectCorrupt(dir, file, lineOf(1).length, 2);
  });

  it('reports a gap and a repeat inside a file', () => {
    const gapDir = tempDir();
    const gap = writeJournalFile(gapDir, 1, [1, 2, 4]);
    expect(expectCorrupt(gapDir, gap, offsetOfLine(1, 2), 3)).toContain('found seq 4 (a gap)');
    const repeatDir = tempDir();
    const repeat = writeJournalFile(repeatDir, 1, [1, 2, 2, 3]);
    const message = expectCorrupt(repeatDir, repeat, offsetOfLine(1, 2), 3);
    expect(message).toContain('found seq 2 (a repeat)');
  });

  it('reports a gap between files', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const later = writeJournalFile(dir, 5, [5, 6]);
    expect(expectCorrupt(dir, later, 0, 4)).toContain('found seq 5');
  });

  it('reports a file whose name disagrees with its first record', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const misnamed = path.join(dir, journalFileName(4));
    nodeFs.writeFileSync(misnamed, Buffer.concat([lineOf(5), lineOf(6)]));
    expect(expectCorrupt(dir, misnamed, 0, 4)).toContain('found seq 5');
  });

  it('reports a journal that starts after the first seq needed', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 5, [5, 6]);
    expectCorrupt(dir, file, 0, 1);
    expect(readBack(dir, { afterSeq: 4 }).records.map((r) => r.seq)).toEqual([5, 6]);
  });
});

describe("recover: 'truncate'", () => {
  function damagedJournal(): { dir: string; files: string[]; originals: Buffer[]; bad: number } {
    const dir = tempDir();
    const files = [
      writeJournalFile(dir, 1, seqRange(1, 4)),
      writeJournalFile(dir, 5, seqRange(5, 8)),
      writeJournalFile(dir, 9, seqRange(9, 10)),
    ];
    const bytes = nodeFs.readFileSync(files[1] as string);
    const originals = files.map((f) => nodeFs.readFileSync(f));
    const bad = offsetOfLine(5, 2);
    bytes[bad + 50] = (bytes[bad + 50] as number) ^ 0x04;
    nodeFs.writeFileSync(files[1] as string, bytes);
    originals[1] = bytes;
    return { dir, files, originals, bad };
  }

  it('keeps the good prefix and sets the damaged file and later files aside', async () => {
    const { dir, files, originals, bad } = damagedJournal();
    const { records, warnings, lastSeq } = readBack(dir, { recover: 'truncate' });
    expect(records.map((r) => r.seq)).toEqual(seqRange(1, 6));
    expect(lastSeq).toBe(6);
    expect(journalPaths(dir)).toEqual(files.slice(0, 2));
    expect(nodeFs.statSync(files[1] as string).size).toBe(bad);
    const names = nodeFs.readdirSync(dir);
    const copyOf = (file: string): string => {
      const base = path.basename(file);
      const copy = names.find((n) => n.startsWith(`${base}.damaged-`));
      if (copy === undefined) throw new Error(`no copy of ${base} in ${names.join(', ')}`);
      return path.join(dir, copy);
    };
    expect(nodeFs.readFileSync(copyOf(files[1] as string)).equals(originals[1] as Buffer)).toBe(
      true,
    );
    expect(nodeFs.readFileSync(copyOf(files[2] as string)).equals(originals[2] as Buffer)).toBe(
      true,
    );
    expect(names.some((n) => n.startsWith(`${path.basename(files[0] as string)}.damaged`))).toBe(
      false,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('before seq 7');
    expect(warnings[0]).toContain(copyOf(files[2] as string));
    expect(readBack(dir)).toMatchObject({ lastSeq: 6, warnings: [] });
    const w = openWriter(dir, {}, 7);
    appendRange(w, 7, 2);
    await w.close();
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 8));
  });

  it('renames a file aside whole when nothing in it can be kept', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const later = writeJournalFile(dir, 5, [5, 6]);
    const { lastSeq, warnings } = readBack(dir, { recover: 'truncate' });
    expect(lastSeq).toBe(3);
    expect(nodeFs.existsSync(later)).toBe(false);
    expect(nodeFs.readdirSync(dir).filter((n) => n.includes('.damaged-'))).toHaveLength(1);
    expect(warnings[0]).toContain('before seq 4');
  });
});
