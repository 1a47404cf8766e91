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
  expectCorrupt,
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
      version: 2,
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

  it('passes over damage in records the snapshot holds, with a warning, and leaves the file as it is (regression (durability review): the open was refused, and recover truncate cut every later record)', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 6));
    const bytes = nodeFs.readFileSync(file);
    const at = offsetOfLine(1, 1) + 40;
    bytes[at] = (bytes[at] as number) ^ 1;
    nodeFs.writeFileSync(file, bytes);
    const back = readBack(dir, { afterSeq: 4 });
    expect(back.records.map((r) => r.seq)).toEqual([5, 6]);
    expect(back.lastSeq).toBe(6);
    expect(back.warnings).toEqual([
      expect.stringContaining(
        `journal file ${file} is damaged at byte offset ${offsetOfLine(1, 1)} (checksum mismatch`,
      ),
    ]);
    expect(back.warnings[0]).toContain('in records (seq 2) the snapshot at seq 4 already holds');
    expect(nodeFs.readFileSync(file).equals(bytes)).toBe(true);
    // A restore that needs them still refuses.
    expectCorrupt(dir, file, offsetOfLine(1, 1), 2);
  });

  it('passes over several covered records spoiled at once, and covered missing records', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 8));
    const bytes = nodeFs.readFileSync(file);
    bytes.fill(0x41, offsetOfLine(1, 2), offsetOfLine(1, 5));
    nodeFs.writeFileSync(file, bytes);
    const back = readBack(dir, { afterSeq: 5 });
    expect(back.records.map((r) => r.seq)).toEqual([6, 7, 8]);
    expect(back.warnings[0]).toContain(
      'in records (seq 3 to 5) the snapshot at seq 5 already holds',
    );
    const gapDir = tempDir();
    writeJournalFile(gapDir, 1, [1, 4, 5, 6]);
    expect(readBack(gapDir, { afterSeq: 3 }).records.map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(thrown(() => readBack(gapDir, { afterSeq: 2 })).message).toContain(
      'found seq 4 (a gap)',
    );
  });

  it('passes over a record repeated among those the snapshot holds, but not damage followed by a repeat that would hide records after it (regression (review): a repeat was refused, and damage then a lower seq skipped a needed record)', () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, [1, 2, 3, 3, 4, 5, 6, 7]);
    const back = readBack(dir, { afterSeq: 5 });
    expect(back.records.map((r) => r.seq)).toEqual([6, 7]);
    expect(back.warnings[0]).toContain('(seq 3 again)');
    const hiding = tempDir();
    const file = writeJournalFile(hiding, 1, [1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6]);
    const bytes = nodeFs.readFileSync(file);
    bytes.fill(0x41, offsetOfLine(1, 5), offsetOfLine(1, 7));
    nodeFs.writeFileSync(file, bytes);
    const err = thrown(() => readBack(hiding, { afterSeq: 6 }));
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect(err.message).toContain('expected seq 6)');
  });

  it('still refuses damage that spoils a record after the snapshot too', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 6));
    const bytes = nodeFs.readFileSync(file);
    // Records 4 and 5 spoiled; the snapshot holds up to 4.
    bytes.fill(0x41, offsetOfLine(1, 3), offsetOfLine(1, 5));
    nodeFs.writeFileSync(file, bytes);
    const err = thrown(() => readBack(dir, { afterSeq: 4 }));
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect(err.message).toContain('expected seq 4)');
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

  // (Regression: the writer was left open, and its batch flusher's 60 s timer kept jest from
  // exiting for up to a minute after the run.)
  it('streams big files in bounded reads, with records spanning chunks', async () => {
    const dir = tempDir();
    const w = openWriter(dir);
    const pad = 'x'.repeat(1000);
    for (let seq = 1; seq <= 5000; seq++)
      w.append(seq, seq, 'put', JSON.stringify([seq, pad]), false);
    const huge = 'y'.repeat(3 * 1024 * 1024);
    w.append(5001, 5001, 'put', JSON.stringify([huge]), false);
    w.append(5002, 5002, 'put', '[]', false);
    await w.close();
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
    // Strictly growing (regression: the walk's closing report repeated the last figure).
    const dones = progress.map(([d]) => d);
    expect(new Set(dones).size).toBe(dones.length);
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
    expect(expectCorrupt(dir, misnamed, 0, 4)).toContain(
      'its first record is seq 5 but its name says seq 4',
    );
  });

  it('reports a journal that starts after the first seq needed', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 5, [5, 6]);
    expectCorrupt(dir, file, 0, 1);
    expect(readBack(dir, { afterSeq: 4 }).records.map((r) => r.seq)).toEqual([5, 6]);
  });
});
