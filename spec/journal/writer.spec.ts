import * as nodeFs from 'node:fs';
import { isPrevalenceError } from '../../lib/errors';
import { FaultyFs } from '../../lib/fs/faulty';
import { journalFileName } from '../../lib/journal/files';
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

  it.each(['batch', 'none'] as const)(
    '%s: makes the file it continues durable before the first append, so sync() and close() cover the records a crashed process left (regression (durability review): they resolved without any fdatasync)',
    async (durability) => {
      const dir = tempDir();
      // A process that wrote five records and died before any fdatasync (never closed).
      const dead = openWriter(dir, { durability });
      appendRange(dead, 1, 5);
      expect(dead.stats.fsyncs).toBe(0);
      const { fs, calls } = countingFs();
      const again = openWriter(dir, { fs, durability }, 6);
      expect(calls['fdatasyncSync']).toBe(1);
      await again.sync();
      await again.close();
      expect(calls['fdatasyncSync']).toBe(1);
      expect(calls['fdatasync'] ?? 0).toBe(0);
      // The dead one's batch timer must not keep the test process alive.
      await dead.close();
    },
  );

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
  it.each([
    [
      'EFBIG',
      'reopen the system once the file-size limit (raise it: ulimit -f, or lower journalMaxBytes) is fixed',
    ],
    [
      'EMFILE',
      'reopen the system once the open-file limit (close files the process holds, or raise it: ulimit -n) is fixed',
    ],
  ])(
    'names the process limit a failed write hit (%s), not the disk (regression (deployment review): "once the disk problem is fixed")',
    async (code, advice) => {
      const dir = tempDir();
      const ffs = new FaultyFs();
      const w = openWriter(dir, { fs: ffs });
      appendRange(w, 1, 2);
      ffs.plan.failWritesAfterBytes = ffs.bytesWritten;
      ffs.plan.writeErrorCode = code;
      const err = thrown(() => appendRange(w, 3, 1));
      expect(err.message).toContain(advice);
      expect(thrown(() => appendRange(w, 3, 1)).message).toContain(advice);
      // Its pending flush timer (60 s here) must not outlive the test (regression: jest did not exit).
      ffs.plan = {};
      await w.close();
    },
  );

  it('cuts a record torn by ENOSPC off and refuses later appends; sync() still makes the records before it durable', async () => {
    const dir = tempDir();
    const ffs = new FaultyFs();
    const w = openWriter(dir, { fs: ffs });
    appendRange(w, 1, 3);
    const file = journalPaths(dir)[0] as string;
    const records = nodeFs.readFileSync(file);
    const writtenBefore = ffs.bytesWritten;
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + 25;
    const err = thrown(() => appendRange(w, 4, 1));
    expect(isPrevalenceError(err, 'JOURNAL_WRITE_FAILED')).toBe(true);
    expect(err.message).toContain('ENOSPC');
    expect(err.message).toContain('the action was not recorded');
    expect(err.message).toContain('reopen the system once the disk problem is fixed');
    expect(ffs.bytesWritten - writtenBefore).toBe(25);
    // The torn record is cut off.
    expect(nodeFs.readFileSync(file).equals(records)).toBe(true);
    expect(w.failure?.code).toBe('JOURNAL_WRITE_FAILED');
    ffs.plan = {};
    expect(thrown(() => appendRange(w, 4, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await expect(w.sync()).resolves.toBeUndefined();
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

  it('fails the writer when a background fdatasync fails, warns, and rejects close() (regression: close() resolved as if the records were durable)', async () => {
    const dir = tempDir();
    const ffs = new FaultyFs();
    const warnings: string[] = [];
    const w = openWriter(dir, { fs: ffs, warn: (message) => warnings.push(message) });
    appendRange(w, 1, 2);
    ffs.plan.failSync = true;
    await expect(w.sync()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    expect(w.failure?.message).toContain('EIO');
    expect(thrown(() => appendRange(w, 3, 1)).code).toBe('JOURNAL_WRITE_FAILED');
    await expect(w.sync()).rejects.toBe(w.failure);
    expect(warnings).toEqual([w.failure?.message]);
    // Never retried (fsyncgate): close() says the records may not be on disk.
    ffs.plan = {};
    await expect(w.close()).rejects.toThrow(
      /^JOURNAL_WRITE_FAILED: closed without making actions after seq 0 durable: /,
    );
  });

  it('resolves a sync() that was waiting when a later write failed, once the records it waits for are durable (regression: it was rejected though they were)', async () => {
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
    releaseFlush();
    await expect(waiting).resolves.toBeUndefined();
    await expect(waitingLater).resolves.toBeUndefined();
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

describe('JournalWriter file growth', () => {
  it('only ever adds bytes at the end of a file (regression: records written over zeros reserved ahead made a copy taken while running unopenable)', async () => {
    const dir = tempDir();
    const w = openWriter(dir, { durability: 'always' });
    const file = (): string => journalPaths(dir)[0] as string;
    let expected = 0;
    for (let seq = 1; seq <= 20; seq++) {
      appendRange(w, seq, 1);
      expected += lineOf(seq).length;
      expect(nodeFs.statSync(file()).size).toBe(expected);
    }
    await w.close();
    expect(readBack(dir).records.map((r) => r.seq)).toEqual(seqRange(1, 20));
  });

  it('cuts zero bytes after the last record before it continues a file', async () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 3));
    const size = nodeFs.statSync(file).size;
    nodeFs.appendFileSync(file, Buffer.alloc(10_000));
    const w = openWriter(dir, {}, 4);
    expect(nodeFs.statSync(file).size).toBe(size);
    appendRange(w, 4, 1);
    await w.close();
    expect(nodeFs.statSync(file).size).toBe(size + lineOf(4).length);
  });
});

describe('JournalWriter.open on a file with zeros after its last record', () => {
  it('fails with JOURNAL_WRITE_FAILED when it cannot cut them (regression: a raw EIO escaped and the file stayed open)', () => {
    const dir = tempDir();
    const file = writeJournalFile(dir, 1, seqRange(1, 2));
    nodeFs.appendFileSync(file, Buffer.alloc(1000));
    const err = thrown(() => openWriter(dir, { fs: new FaultyFs({ failSync: true }) }, 3));
    expect(isPrevalenceError(err, 'JOURNAL_WRITE_FAILED')).toBe(true);
    expect(err.message).toContain('fix the disk problem and open again');
  });
});

describe('a copy taken while the writer runs', () => {
  it('opens cleanly when read piece by piece between appends (regression: records written over reserved zeros left holes in such copies)', async () => {
    const dir = tempDir();
    const w = openWriter(dir, { durability: 'none' });
    appendRange(w, 1, 5);
    const file = journalPaths(dir)[0] as string;
    const pieces: Buffer[] = [];
    let copied = 0;
    const PIECE = 700;
    // A slow copier: reads one piece (up to what the file holds now), the writer appends, and so on.
    for (let seq = 6; seq <= 60; seq++) {
      const fd = nodeFs.openSync(file, 'r');
      const buf = Buffer.alloc(PIECE);
      const got = nodeFs.readSync(fd, buf, 0, PIECE, copied);
      nodeFs.closeSync(fd);
      pieces.push(buf.subarray(0, got));
      copied += got;
      appendRange(w, seq, 1);
    }
    await w.close();
    const copyDir = tempDir();
    nodeFs.writeFileSync(`${copyDir}/${journalFileName(1)}`, Buffer.concat(pieces));
    const { records } = readBack(copyDir);
    expect(records.length).toBeGreaterThan(5);
    expect(records.map((r) => r.seq)).toEqual(seqRange(1, records.length));
  });
});
