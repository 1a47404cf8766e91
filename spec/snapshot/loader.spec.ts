import * as nodeFs from 'node:fs';
import { type PrevalenceError, isPrevalenceError } from '../../lib/errors';
import { realFs } from '../../lib/fs/seam';
import {
  MAX_HEADER_BYTES,
  SnapshotSums,
  makeHeaderLine,
  makeTrailerLine,
} from '../../lib/snapshot/format';
import { snapshotInfo } from '../../lib/snapshot/info';
import { listSnapshots, readSnapshot } from '../../lib/snapshot/loader';
import {
  readLines,
  removeTempDirs,
  sampleLines,
  spyFs,
  tempDir,
  thrown,
  writeLines,
} from './helpers';

afterEach(removeTempDirs);

function expectCorrupt(err: unknown, file: string, detail?: string): void {
  expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
  expect((err as PrevalenceError).message).toContain(file);
  if (detail !== undefined) expect((err as PrevalenceError).message).toContain(detail);
}

/** A valid snapshot file for `seq` whose body is exactly `body` (whole lines), checksums included. */
function rawSnapshot(seq: number, body: Buffer): string {
  const sums = new SnapshotSums();
  const header = Buffer.from(
    `${makeHeaderLine({ seq, ts: 1, rootClass: 'Wiki' }, new Date(0))}\n`,
    'utf8',
  );
  sums.addHeader(header);
  sums.addBody(body);
  for (const byte of body) if (byte === 0x0a) sums.addLine();
  const trailer = makeTrailerLine({
    bytes: sums.bytes,
    lines: sums.lines,
    crc: sums.crcHex(),
    digest: sums.digestHex(),
  });
  return damaged(seq, Buffer.concat([header, body, Buffer.from(`${trailer}\n`)]));
}

/** Writes `raw` as the snapshot file for `seq` in a fresh directory. */
function damaged(seq: number, raw: Uint8Array): string {
  const file = `${tempDir()}/snapshot-${String(seq).padStart(16, '0')}.snap`;
  nodeFs.writeFileSync(file, raw);
  return file;
}

describe('listSnapshots', () => {
  it('lists snapshot files newest first and ignores .tmp and other names', () => {
    const dir = tempDir();
    for (const seq of [3, 120, 0]) writeLines(dir, seq, []);
    for (const name of [
      'snapshot-0000000000000500.snap.tmp',
      'snapshot-500.snap',
      'journal-0000000000000001.log',
      'snapshot-0000000000000600.snapx',
    ]) {
      nodeFs.writeFileSync(`${dir}/${name}`, 'x');
    }
    expect(listSnapshots(realFs, dir)).toEqual([
      { seq: 120, path: `${dir}/snapshot-0000000000000120.snap` },
      { seq: 3, path: `${dir}/snapshot-0000000000000003.snap` },
      { seq: 0, path: `${dir}/snapshot-0000000000000000.snap` },
    ]);
  });

  it('finds nothing in a missing directory', () => {
    expect(listSnapshots(realFs, `${tempDir()}/absent`)).toEqual([]);
  });
});

describe('readSnapshot', () => {
  it('returns what the header and trailer say', () => {
    const written = writeLines(tempDir(), 9, sampleLines(12));
    const info = readSnapshot(realFs, written.path, () => undefined);
    expect(info).toEqual({
      seq: 9,
      ts: 1_700_000_000_009,
      rootClass: 'Wiki',
      digest: written.digest,
      bytes: written.bytes,
      lines: 12,
    });
  });

  it('hands over a line larger than the read chunk, decoding UTF-8 split across chunks', () => {
    const huge = JSON.stringify('€😀é'.repeat(5000));
    const lines = ['{"a":"😀"}', huge, '{"z":"中"}'];
    const written = writeLines(tempDir(), 1, lines);
    const { fs, stats } = spyFs();
    for (const chunkSize of [1, 3, 1000, 4093]) {
      expect(readLines(written.path, chunkSize, fs)).toEqual(lines);
    }
    expect(Math.max(...stats.readLengths)).toBeLessThanOrEqual(4093);
    expect(stats.openFds.size).toBe(0);
  });

  it('hands over every line exactly, whatever the chunk size and however lines and chunks align', () => {
    // Short lines and lines around and far beyond the splitter's decoding run
    // (32 KiB) and the chunk sizes below; `long(n)` is n + 3 bytes with its LF.
    const long = (n: number, c = 'x') => JSON.stringify(c.repeat(n));
    const lines = [
      long(150_000),
      ...Array.from({ length: 300 }, (_, i) => long(i * 7, 'é')),
      long(32_765),
      long(32_766),
      '0',
      long(32_764),
      long(65_533),
      long(65_534),
      long(70_000, '€'),
      ...sampleLines(200),
      long(200_000),
    ];
    const written = writeLines(tempDir(), 3, lines);
    for (const chunkSize of [7, 4096, 65_536, 65_537, 100_003, 1 << 20, undefined]) {
      expect(readLines(written.path, chunkSize)).toEqual(lines);
    }
    const info = readSnapshot(realFs, written.path, () => undefined, undefined, 65_536);
    expect(info).toMatchObject({
      lines: lines.length,
      bytes: written.bytes,
      digest: written.digest,
    });
  });

  it('decodes malformed UTF-8 exactly as decoding each line on its own would', () => {
    // Cut and stray multi-byte sequences, right before a line feed and inside lines.
    const bad = [
      Buffer.from([0x22, 0xe2, 0x82, 0x22]),
      Buffer.from([0x22, 0xf0, 0x9f, 0x98]),
      Buffer.from([0x22, 0x80, 0xbf, 0xc3, 0x22]),
      Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x61, 0x22]),
      Buffer.from('"ok"'),
    ];
    const body = Buffer.concat(bad.flatMap((line) => [line, Buffer.from([0x0a])]));
    const file = rawSnapshot(4, body);
    const expected = bad.map((line) => line.toString('utf8'));
    for (const chunkSize of [1, 2, 3, 5, 4096]) {
      expect(readLines(file, chunkSize)).toEqual(expected);
    }
  });

  it('stops at the first line the consumer rejects', () => {
    const written = writeLines(tempDir(), 2, sampleLines(50));
    const seen: string[] = [];
    const err = thrown(() =>
      readSnapshot(realFs, written.path, (line) => {
        seen.push(line);
        if (seen.length === 10) throw new Error('stop');
      }),
    );
    expect((err as Error).message).toBe('stop');
    expect(seen).toEqual(sampleLines(10));
  });

  it('reports increasing progress that ends at the file size', () => {
    const written = writeLines(tempDir(), 1, sampleLines(40));
    const size = nodeFs.statSync(written.path).size;
    const seen: Array<[number, number]> = [];
    readSnapshot(
      realFs,
      written.path,
      () => undefined,
      (done, total) => seen.push([done, total]),
      64,
    );
    expect(seen.length).toBe(Math.ceil(size / 64));
    seen.forEach(([done, total], i) => {
      expect(total).toBe(size);
      if (i > 0) expect(done).toBeGreaterThan(seen[i - 1]![0]);
    });
    expect(seen[seen.length - 1]).toEqual([size, size]);
  });

  it('rejects a snapshot truncated at any offset', () => {
    const raw = nodeFs.readFileSync(writeLines(tempDir(), 5, sampleLines(10)).path);
    for (let length = 0; length < raw.length; length++) {
      const file = damaged(5, raw.subarray(0, length));
      for (const chunkSize of [7, 4096]) {
        expectCorrupt(
          thrown(() => readLines(file, chunkSize)),
          file,
        );
      }
      expectCorrupt(
        thrown(() => snapshotInfo(realFs, file)),
        file,
      );
      removeTempDirs();
    }
  });

  it('rejects a snapshot with any single byte flipped', () => {
    const raw = nodeFs.readFileSync(writeLines(tempDir(), 5, sampleLines(8)).path);
    for (let at = 0; at < raw.length; at++) {
      const copy = Buffer.from(raw);
      copy[at] = copy[at]! ^ 0x01;
      const file = damaged(5, copy);
      expectCorrupt(
        thrown(() => readLines(file, 13)),
        file,
      );
      removeTempDirs();
    }
  });

  it('names what failed: checksum, counts, header fields', () => {
    const raw = nodeFs.readFileSync(writeLines(tempDir(), 5, ['{"a":1}', '{"b":2}']).path);
    const text = raw.toString('utf8');
    const cases: Array<[string, string]> = [
      [text.replace('{"a":1}', '{"a":2}'), 'CRC-32 mismatch'],
      [text.replace('"lines":2', '"lines":3'), 'announces 3 body lines'],
      [text.replace('"version":1', '"version":2'), 'version 2 is not supported'],
      [text.replace('prevalent-snapshot', 'other-format'), 'not a snapshot header'],
      [text.replace('"trailer":true', '"trailer":false'), 'not a snapshot trailer'],
      ['', 'empty'],
    ];
    for (const [content, detail] of cases) {
      const file = damaged(5, Buffer.from(content));
      expectCorrupt(
        thrown(() => readLines(file)),
        file,
        detail,
      );
    }
  });

  it('rejects a header whose seq differs from the file name', () => {
    const written = writeLines(tempDir(), 5, []);
    const file = damaged(6, nodeFs.readFileSync(written.path));
    expectCorrupt(
      thrown(() => readLines(file)),
      file,
      'file name says 6',
    );
    expectCorrupt(
      thrown(() => snapshotInfo(realFs, file)),
      file,
      'file name says 6',
    );
  });

  it('checks the header before handing over any body line', () => {
    const written = writeLines(tempDir(), 5, ['{"a":1}', '{"b":2}', '{"c":3}']);
    const file = damaged(6, nodeFs.readFileSync(written.path));
    const consumed: string[] = [];
    thrown(() => readSnapshot(realFs, file, (line) => consumed.push(line), undefined, 5));
    expect(consumed).toEqual([]);
  });

  it('gives up on a first line too long to be a header without reading the whole file', () => {
    const file = damaged(1, Buffer.alloc(MAX_HEADER_BYTES + 8 * 1024 * 1024, 0x41));
    const { fs, stats } = spyFs();
    expectCorrupt(
      thrown(() => readLines(file, 1024 * 1024, fs)),
      file,
      'too long',
    );
    expect(stats.readLengths.length).toBeLessThan(MAX_HEADER_BYTES / (1024 * 1024) + 2);
  });
});

describe('snapshotInfo', () => {
  it('reads seq, ts, root class, digest and counts from header and trailer', () => {
    const dir = tempDir();
    const written = writeLines(dir, 4, sampleLines(25));
    expect(snapshotInfo(realFs, written.path)).toEqual({
      seq: 4,
      ts: 1_700_000_000_004,
      rootClass: 'Wiki',
      digest: written.digest,
      bytes: written.bytes,
      lines: 25,
    });
  });

  it('gives equal digests for equal bodies and different ones otherwise', () => {
    const dir = tempDir();
    const a = snapshotInfo(realFs, writeLines(dir, 1, ['{"x":1}']).path);
    const b = snapshotInfo(realFs, writeLines(dir, 2, ['{"x":1}']).path);
    const c = snapshotInfo(realFs, writeLines(dir, 3, ['{"x":2}']).path);
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  it('does not read the body', () => {
    const written = writeLines(tempDir(), 1, [JSON.stringify('x'.repeat(2_000_000))]);
    const { fs, stats } = spyFs();
    snapshotInfo(fs, written.path);
    expect(stats.readLengths.reduce((sum, n) => sum + n, 0)).toBeLessThan(200_000);
  });

  it('rejects a file whose size disagrees with the trailer', () => {
    const raw = nodeFs.readFileSync(writeLines(tempDir(), 5, ['{"a":1}', '{"b":2}']).path);
    const file = damaged(5, Buffer.from(raw.toString('utf8').replace('{"a":1}\n', '')));
    expectCorrupt(
      thrown(() => snapshotInfo(realFs, file)),
      file,
      'body bytes the trailer announces',
    );
  });
});
