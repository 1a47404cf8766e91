import * as nodeFs from 'node:fs';
import { PrevalenceError, isPrevalenceError } from '../../lib/errors';
import { realFs } from '../../lib/fs/seam';
import { type SnapshotConsumer, loadNewestSnapshot, readSnapshot } from '../../lib/snapshot/loader';
import { removeTempDirs, sampleLines, spyFs, tempDir, thrown, writeLines } from './helpers';

afterEach(removeTempDirs);

/** A consumer factory that collects lines; `made` keeps every consumer's lines. */
function collecting(check: (line: string) => void = () => undefined): {
  make: () => SnapshotConsumer<string[]>;
  made: string[][];
} {
  const made: string[][] = [];
  const make = () => {
    const lines: string[] = [];
    made.push(lines);
    return {
      consume: (line: string) => {
        check(line);
        lines.push(line);
      },
      finish: () => lines,
    };
  };
  return { make, made };
}

/** A directory with good snapshots at seq 2 and seq 9; returns their paths and lines. */
function twoSnapshots(): { dir: string; older: string; newer: string; olderLines: string[] } {
  const dir = tempDir();
  const olderLines = sampleLines(6);
  const older = writeLines(dir, 2, olderLines).path;
  const newer = writeLines(dir, 9, ['{"newest":true}', ...sampleLines(4)]).path;
  return { dir, older, newer, olderLines };
}

function truncate(file: string, by: number): void {
  nodeFs.truncateSync(file, nodeFs.statSync(file).size - by);
}

function cutAfterLine(file: string, lines: number): void {
  const raw = nodeFs.readFileSync(file);
  let end = 0;
  for (let i = 0; i < lines; i++) end = raw.indexOf(0x0a, end) + 1;
  nodeFs.truncateSync(file, end);
}

function flipByte(file: string, at: number): void {
  const raw = nodeFs.readFileSync(file);
  raw[at] = raw[at]! ^ 0x20;
  nodeFs.writeFileSync(file, raw);
}

describe('loadNewestSnapshot', () => {
  it('returns undefined when there is no snapshot, even with leftovers around', () => {
    const dir = tempDir();
    nodeFs.writeFileSync(`${dir}/snapshot-0000000000000003.snap.tmp`, 'partial');
    const warn = jest.fn();
    expect(loadNewestSnapshot(realFs, dir, collecting().make, warn)).toBeUndefined();
    expect(loadNewestSnapshot(realFs, `${dir}/absent`, collecting().make, warn)).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it('loads the newest snapshot and ignores a newer leftover .tmp', () => {
    const { dir, newer } = twoSnapshots();
    nodeFs.writeFileSync(`${dir}/snapshot-0000000000000011.snap.tmp`, 'partial');
    const warn = jest.fn();
    const loaded = loadNewestSnapshot(realFs, dir, collecting().make, warn);
    expect(loaded).toEqual({
      seq: 9,
      ts: 1_700_000_000_009,
      value: ['{"newest":true}', ...sampleLines(4)],
      path: newer,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('checks sizes and the CRC-32 but not the SHA-256 digest, which readSnapshot (verifyReplay) still checks', () => {
    const { dir, newer } = twoSnapshots();
    const raw = nodeFs.readFileSync(newer, 'utf8');
    const digestAt = raw.lastIndexOf('"digest":"') + '"digest":"'.length;
    const flipped = raw[digestAt] === 'a' ? 'b' : 'a';
    nodeFs.writeFileSync(newer, raw.slice(0, digestAt) + flipped + raw.slice(digestAt + 1));
    const warn = jest.fn();
    const loaded = loadNewestSnapshot(realFs, dir, collecting().make, warn);
    expect(loaded?.seq).toBe(9); // the body, which the CRC-32 covers, is intact
    expect(warn).not.toHaveBeenCalled();
    const err = thrown(() => readSnapshot(realFs, newer, () => undefined));
    expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain('SHA-256 digest mismatch');
  });

  it.each([
    ['truncated', (file: string) => truncate(file, 30)],
    ['cut right after its second body line', (file: string) => cutAfterLine(file, 3)],
    ['corrupted in the body', (file: string) => flipByte(file, 150)],
  ])('falls back to the previous snapshot with a warning when the newest is %s', (_how, damage) => {
    const { dir, older, newer, olderLines } = twoSnapshots();
    damage(newer);
    const warn = jest.fn();
    const { make, made } = collecting();
    const loaded = loadNewestSnapshot(realFs, dir, make, warn);
    expect(loaded?.seq).toBe(2);
    expect(loaded?.path).toBe(older);
    expect(loaded?.value).toEqual(olderLines);
    expect(made).toHaveLength(2);
    expect(made[1]).toBe(loaded?.value);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain(newer);
    expect(message).toContain('falls back to the previous snapshot plus the journal after it');
  });

  it('falls back when the consumer reports SNAPSHOT_CORRUPT, using a fresh consumer', () => {
    const { dir, olderLines } = twoSnapshots();
    const warn = jest.fn();
    const { make, made } = collecting((line) => {
      if (line.includes('newest')) throw new PrevalenceError('SNAPSHOT_CORRUPT', 'bad object');
    });
    const loaded = loadNewestSnapshot(realFs, dir, make, warn);
    expect(loaded?.seq).toBe(2);
    expect(made[1]).toEqual(olderLines);
    expect(String(warn.mock.calls[0]?.[0])).toContain('bad object');
  });

  it('falls back when finish reports SNAPSHOT_CORRUPT', () => {
    const { dir } = twoSnapshots();
    let calls = 0;
    const make = () => ({
      consume: () => undefined,
      finish: () => {
        calls += 1;
        if (calls === 1) throw new PrevalenceError('SNAPSHOT_CORRUPT', 'dangling reference');
        return 'ok';
      },
    });
    const warn = jest.fn();
    expect(loadNewestSnapshot(realFs, dir, make, warn)?.seq).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('lets other consumer errors propagate unchanged, without trying older snapshots', () => {
    const { dir } = twoSnapshots();
    const unknown = new PrevalenceError('UNKNOWN_CLASS', 'class Page is not registered');
    const warn = jest.fn();
    const { make, made } = collecting(() => {
      throw unknown;
    });
    const { fs, stats } = spyFs();
    expect(thrown(() => loadNewestSnapshot(fs, dir, make, warn))).toBe(unknown);
    expect(made).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
    expect(stats.openFds.size).toBe(0);
  });

  it('throws SNAPSHOT_CORRUPT listing every snapshot when none is valid', () => {
    const { dir, older, newer } = twoSnapshots();
    truncate(newer, 1);
    flipByte(older, 60);
    const warn = jest.fn();
    const err = thrown(() => loadNewestSnapshot(realFs, dir, collecting().make, warn));
    expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(newer);
    expect((err as Error).message).toContain(older);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1]?.[0])).toContain('no older snapshot is left');
  });

  it('passes progress through, restarting for each file tried', () => {
    const { dir, older, newer } = twoSnapshots();
    truncate(newer, 5);
    const totals = new Set<number>();
    let last: [number, number] = [0, 0];
    loadNewestSnapshot(
      realFs,
      dir,
      collecting().make,
      () => undefined,
      (done, total) => {
        totals.add(total);
        last = [done, total];
      },
      32,
    );
    const olderSize = nodeFs.statSync(older).size;
    expect(totals).toEqual(new Set([nodeFs.statSync(newer).size, olderSize]));
    expect(last).toEqual([olderSize, olderSize]);
  });
});
