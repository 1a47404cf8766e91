import * as nodeFs from 'node:fs';
import { isPrevalenceError } from '../../lib/errors';
import { FaultyFs } from '../../lib/fs/faulty';
import { journalFileName } from '../../lib/journal/files';
import { RESERVE_BYTES } from '../../lib/journal/writer';
import {
  appendRange,
  countingFs,
  journalPaths,
  lineOf,
  openWriter,
  readBack,
  removeTempDirs,
  seqRange,
  tempDir,
  thrown,
  writeJournalFile,
} from './helpers';

afterAll(removeTempDirs);

describe('JournalWriter files', () => {
  it('continues the newest file when reopened at the next seq', async () => {
    const dir = tempDir();
    const w = openWriter(dir);
    appendRange(w, 1, 5);
    await w.close();
    const { lastSeq } = readBack(dir);
    const again = openWriter(dir, {}, lastSeq + 1);
    appendRange(again, 6, 5);
    await again.close();
    expect(journalPaths(dir)).toEqual([`${dir}/${journalFileName(1)}`]);
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 10));
  });

  it('starts a new file at nextSeq when the journal ends before it (a snapshot covers the rest)', async () => {
    const dir = tempDir();
    writeJournalFile(dir, 1, seqRange(1, 3));
    const w = openWriter(dir, {}, 11);
    appendRange(w, 11, 2);
    await w.close();
    expect(journalPaths(dir)).toEqual([1, 11].map((s) => `${dir}/${journalFileName(s)}`));
    expect(readBack(dir, { afterSeq: 10 }).records.map((r) => r.seq)).toEqual([11, 12]);
  });

  it('refuses to open behind the journal or on an unrepaired torn tail', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 3));
    expect(thrown(() => openWriter(dir, {}, 3)).code).toBe('INVALID_OPTION');
    nodeFs.appendFileSync(file, lineOf(4).subarray(0, 10));
    expect(thrown(() => openWriter(dir, {}, 4)).code).toBe('JOURNAL_CORRUPT');
    readBack(dir);
    const w = openWriter(dir, {}, 4);
    appendRange(w, 4, 1);
    return w.close();
  });

  it('refuses out-of-order seqs and non-integer timestamps', async () => {
    const w = openWriter(tempDir());
    appendRange(w, 1, 2);
    expect(thrown(() => w.append(4, 1, 'm', '[]', false)).code).toBe('INVALID_OPTION');
    expect(thrown(() => w.append(2, 1, 'm', '[]', false)).code).toBe('INVALID_OPTION');
    expect(thrown(() => w.append(3, 1.5, 'm', '[]', false)).code).toBe('INVALID_OPTION');
    w.append(3, 1, 'm', '[]', false);
    expect(w.stats.appends).toBe(3);
    return w.close();
  });

  it('rotates before a file would pass journalMaxBytes, keeping seqs contiguous', async () => {
    const dir = tempDir();
    const max = lineOf(1).length * 3 + 5;
    const w = openWriter(dir, { journalMaxBytes: max });
    appendRange(w, 1, 20);
    await w.close();
    const files = journalPaths(dir);
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(nodeFs.statSync(f).size).toBeLessThanOrEqual(max);
    const { records, warnings } = readBack(dir);
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual(seqRange(1, 20));
    expect(files[1]).toBe(`${dir}/${journalFileName(4)}`);
  });

  it('puts a record larger than journalMaxBytes alone into a fresh file', async () => {
    const dir = tempDir();
    const w = openWriter(dir, { journalMaxBytes: 200 });
    appendRange(w, 1, 1);
    w.append(2, 2, 'big', JSON.stringify(['z'.repeat(500)]), false);
    appendRange(w, 3, 1);
    await w.close();
    expect(journalPaths(dir)).toEqual([1, 2, 3].map((s) => `${dir}/${journalFileName(s)}`));
    expect(readBack(dir).lastSeq).toBe(3);
  });

  it('rotate() starts a file at the next seq so older files can be pruned, and is a no-op on an empty file', async () => {
    const dir = tempDir();
    const w = openWriter(dir);
    appendRange(w, 1, 4);
    w.rotate();
    w.rotate();
    appendRange(w, 5, 2);
    await w.close();
    const files = journalPaths(dir);
    expect(files).toEqual([1, 5].map((s) => `${dir}/${journalFileName(s)}`));
    nodeFs.unlinkSync(files[0] as string);
    expect(readBack(dir, { afterSeq: 4 }).records.map((r) => r.seq)).toEqual([5, 6]);
  });
});

describe('JournalWriter failures', () => {
  it('cuts a record torn by ENOSPC off, refuses later appends and rejects sync()', async () => {
    const dir = tempDir();
    const ffs = new FaultyFs();
    const w = openWriter(dir, { fs: ffs });
    appendRange(w, 1, 3);
    const file = journalPaths(dir)[0] as string;
    // The three records, without the zeros reserved after them.
    const records = nodeFs.readFileSync(file).subarray(0, nodeFs.readFileSync(file).indexOf(0));
    const writtenBefore = ffs.bytesWritten;
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + 25;
    const err = thrown(() => appendRange(w, 4, 1));
    expect(isPrevalenceError(err, 'JOURNAL_WRITE_FAILED')).toBe(true);
    expect(err.message).toContain('ENOSPC');
    expect(err.message).toContain('the action was not recorded');
    expect(err.message).toContain('reopen the system once the disk problem is fixed');
    expect(ffs.bytesWritten - writtenBefore).toBe(25);
    // The torn record is cut off, and the reserved space with it.
    expect(nodeFs.readFileSync(file).equals(records)).toBe(true);
    expect(w.failure?.code).toBe('JOURNAL_WRITE_FAILED');
    ffs.plan = {};
    expect(thrown(() => appendRange(w, 4, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await expect(w.sync()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    await w.close();
    expect(readBack(dir)).toMatchObject({ lastSeq: 3, warnings: [] });
  });

  it('still writes a valid journal when every write is short', async () => {
    const dir = tempDir();
    const counting = countingFs();
    const w = openWriter(dir, { fs: new FaultyFs({ maxBytesPerWrite: 7 }, counting.fs) });
    appendRange(w, 1, 20);
    await w.close();
    expect(counting.calls.writeSync).toBeGreaterThan(20 * 10);
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 20));
  });

  it("fails an 'always' append whose fdatasync fails, and cuts the record off", async () => {
    const dir = tempDir();
    const ffs = new FaultyFs();
    const w = openWriter(dir, { fs: ffs, durability: 'always' });
    appendRange(w, 1, 2);
    ffs.plan.failSync = true;
    const err = thrown(() => appendRange(w, 3, 1));
    expect(isPrevalenceError(err, 'JOURNAL_WRITE_FAILED')).toBe(true);
    expect(err.message).toContain('EIO');
    ffs.plan = {};
    expect(thrown(() => appendRange(w, 3, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await w.close();
    expect(readBack(dir).lastSeq).toBe(2);
  });

  it('fails the writer when a background fdatasync fails', async () => {
    const dir = tempDir();
    const ffs = new FaultyFs();
    const w = openWriter(dir, { fs: ffs });
    appendRange(w, 1, 2);
    ffs.plan.failSync = true;
    await expect(w.sync()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    expect(w.failure?.message).toContain('EIO');
    expect(thrown(() => appendRange(w, 3, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await expect(w.sync()).rejects.toBe(w.failure);
    ffs.plan = {};
    await w.close();
  });

  it('rejects a sync() that was waiting when a later write failed', async () => {
    const dir = tempDir();
    const ffs = new FaultyFs({}, countingFs().fs);
    let releaseFlush = (): void => {};
    const gate = new Promise<void>((resolve) => (releaseFlush = resolve));
    const inner = ffs.fdatasync.bind(ffs);
    ffs.fdatasync = async (fd: number) => {
      await gate;
      return inner(fd);
    };
    const w = openWriter(dir, { fs: ffs });
    appendRange(w, 1, 1);
    const waiting = w.sync();
    appendRange(w, 2, 1);
    const waitingLater = w.sync();
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + 3;
    expect(thrown(() => appendRange(w, 3, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await expect(waitingLater).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    await expect(waiting).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    releaseFlush();
    await w.close();
    expect(readBack(dir).lastSeq).toBe(2);
  });

  it('refuses appends after close() with CLOSED', async () => {
    const w = openWriter(tempDir());
    appendRange(w, 1, 1);
    await w.close();
    await w.close();
    expect(thrown(() => appendRange(w, 2, 1)).code).toBe('CLOSED');
    expect(thrown(() => w.rotate()).code).toBe('CLOSED');
    await expect(w.sync()).resolves.toBeUndefined();
  });
});

describe('JournalWriter reserved space', () => {
  it('writes records over zeros reserved ahead, then cuts the reserve when it closes a file', async () => {
    const dir = tempDir();
    const w = openWriter(dir, { durability: 'always', journalMaxBytes: 4 * RESERVE_BYTES });
    appendRange(w, 1, 3);
    const first = journalPaths(dir)[0] as string;
    const reservedSize = nodeFs.statSync(first).size;
    expect(reservedSize).toBeGreaterThan(RESERVE_BYTES);
    appendRange(w, 4, 10);
    // Filling the reserve does not grow the file (so fdatasync has no new size to commit).
    expect(nodeFs.statSync(first).size).toBe(reservedSize);
    w.rotate();
    // The finished file holds its records only; the new one reserves again on its first record.
    expect(nodeFs.readFileSync(first).includes(0)).toBe(false);
    appendRange(w, 14, 1);
    const second = journalPaths(dir)[1] as string;
    expect(nodeFs.statSync(second).size).toBeGreaterThan(RESERVE_BYTES);
    await w.close();
    expect(nodeFs.readFileSync(second).includes(0)).toBe(false);
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 14));
  });

  it('never reserves past journalMaxBytes unless one record needs it', async () => {
    const dir = tempDir();
    const w = openWriter(dir, { journalMaxBytes: 300 });
    appendRange(w, 1, 1);
    const file = journalPaths(dir)[0] as string;
    expect(nodeFs.statSync(file).size).toBeLessThanOrEqual(Math.max(300, lineOf(1).length));
    await w.close();
  });
});
