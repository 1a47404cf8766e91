import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { crc32 } from 'node:zlib';
import { PrevalenceError, isPrevalenceError } from '../../lib/errors';
import { FaultyFs } from '../../lib/fs/faulty';
import { realFs } from '../../lib/fs/seam';
import { writeSnapshot } from '../../lib/snapshot/writer';
import {
  namesIn,
  readLines,
  removeTempDirs,
  sampleLines,
  spyFs,
  tempDir,
  thrown,
  writeLines,
} from './helpers';

afterEach(removeTempDirs);

/** Splits a snapshot file into its header line, body bytes and trailer line. */
function parts(file: string): { header: string; body: Buffer; trailer: string; raw: Buffer } {
  const raw = nodeFs.readFileSync(file);
  const headerEnd = raw.indexOf(0x0a) + 1;
  const trailerStart = raw.lastIndexOf(0x0a, raw.length - 2) + 1;
  return {
    raw,
    header: raw.subarray(0, headerEnd - 1).toString('utf8'),
    body: raw.subarray(headerEnd, trailerStart),
    trailer: raw.subarray(trailerStart, raw.length - 1).toString('utf8'),
  };
}

describe('writeSnapshot: file layout', () => {
  it('names the file after the seq and writes the header with sorted keys', () => {
    const dir = tempDir();
    const written = writeLines(dir, 7, ['{"a":1}', '{"b":"€"}']);
    expect(written.path).toBe(`${dir}/snapshot-0000000000000007.snap`);
    const { header } = parts(written.path);
    expect(header).toMatch(
      /^\{"created":"[^"]+","format":"prevalent-snapshot","rootClass":"Wiki","seq":7,"ts":1700000000007,"version":1\}$/,
    );
    const created = (JSON.parse(header) as { created: string }).created;
    expect(new Date(created).toISOString()).toBe(created);
  });

  it('writes a trailer whose counts, CRC-32 and SHA-256 match the bytes on disk', () => {
    const dir = tempDir();
    const lines = sampleLines(20);
    const written = writeLines(dir, 3, lines);
    const { header, body, trailer } = parts(written.path);
    const crc = crc32(body, crc32(Buffer.from(`${header}\n`)))
      .toString(16)
      .padStart(8, '0');
    const digest = createHash('sha256').update(body).digest('hex');
    expect(body.toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(trailer).toBe(
      `{"bytes":${body.length},"crc":"${crc}","digest":"${digest}","lines":20,"trailer":true}`,
    );
    expect(written).toEqual({ path: written.path, bytes: body.length, lines: 20, digest });
  });

  it('adds meta to the header only when given', () => {
    const dir = tempDir();
    const withMeta = writeSnapshot(
      realFs,
      dir,
      { seq: 1, ts: 5, rootClass: 'Wiki', meta: { app: 'x', n: 2 } },
      () => undefined,
    );
    expect(JSON.parse(parts(withMeta.path).header)).toMatchObject({ meta: { app: 'x', n: 2 } });
    const without = writeLines(dir, 2, []);
    expect(JSON.parse(parts(without.path).header)).not.toHaveProperty('meta');
  });

  it('writes an empty body as header plus trailer', () => {
    const written = writeLines(tempDir(), 0, []);
    expect(written.lines).toBe(0);
    expect(written.bytes).toBe(0);
    expect(readLines(written.path)).toEqual([]);
  });
});

describe('writeSnapshot: streaming', () => {
  it('round-trips multi-byte lines whatever the buffer and chunk sizes', () => {
    const dir = tempDir();
    const lines = sampleLines(60);
    const digests = new Set<string>();
    for (const bufferSize of [4, 5, 7, 16, 61, 1024]) {
      const written = writeLines(dir, bufferSize, lines, realFs, bufferSize);
      digests.add(written.digest);
      for (const chunkSize of [1, 2, 3, 5, 7, 64, 4096]) {
        expect(readLines(written.path, chunkSize)).toEqual(lines);
      }
    }
    expect(digests.size).toBe(1);
  });

  it('streams a line far larger than the buffer without writing it in one piece', () => {
    const dir = tempDir();
    const huge = JSON.stringify('a€😀ß'.repeat(60_000));
    const lines = ['{"first":true}', huge, '{"last":"中"}'];
    const { fs, stats } = spyFs();
    const written = writeLines(dir, 1, lines, fs, 1024);
    expect(Math.max(...stats.writeLengths)).toBeLessThanOrEqual(1024);
    expect(stats.writeLengths.length).toBeGreaterThan(huge.length / 1024);
    expect(readLines(written.path, 4096, fs)).toEqual(lines);
    expect(Math.max(...stats.readLengths)).toBeLessThanOrEqual(4096);
    expect(stats.openFds.size).toBe(0);
  });

  it('writes a line given in pieces as the line given whole', () => {
    const dir = tempDir();
    const pieces = ['["a",', '"€😀"', ',', JSON.stringify('x'.repeat(5000)), ']'];
    const whole = writeLines(dir, 1, ['{"first":true}', pieces.join(''), '{"last":1}'], realFs, 64);
    const inPieces = writeSnapshot(
      realFs,
      tempDir(),
      { seq: 1, ts: 1_700_000_000_001, rootClass: 'Wiki' },
      (emit) => {
        emit('{"first":true}');
        pieces.forEach((piece, i) => emit(piece, i < pieces.length - 1));
        emit('{"last":1}');
      },
      64,
    );
    expect({ ...inPieces, path: '' }).toEqual({ ...whole, path: '' });
    expect(readLines(inPieces.path)).toEqual(readLines(whole.path));
  });

  it('survives short writes', () => {
    const dir = tempDir();
    const lines = sampleLines(15);
    const written = writeLines(dir, 2, lines, new FaultyFs({ maxBytesPerWrite: 3 }), 64);
    expect(readLines(written.path)).toEqual(lines);
  });

  it('atomically replaces an existing snapshot of the same seq', () => {
    const dir = tempDir();
    writeLines(dir, 4, ['{"old":1}']);
    const written = writeLines(dir, 4, ['{"new":1}', '{"new":2}']);
    expect(readLines(written.path)).toEqual(['{"new":1}', '{"new":2}']);
    expect(namesIn(dir)).toEqual(['snapshot-0000000000000004.snap']);
  });

  it('rejects an unusable seq before touching the disk', () => {
    const dir = tempDir();
    for (const seq of [-1, 1.5, Number.NaN]) {
      expect(
        isPrevalenceError(
          thrown(() => writeLines(dir, seq, [])),
          'INVALID_OPTION',
        ),
      ).toBe(true);
    }
    expect(namesIn(dir)).toEqual([]);
  });
});

describe('writeSnapshot: failures', () => {
  /** A directory holding a good snapshot at seq 1, plus its lines and bytes. */
  function withPrevious(): { dir: string; lines: string[]; raw: Buffer; file: string } {
    const dir = tempDir();
    const lines = sampleLines(30);
    const { path } = writeLines(dir, 1, lines);
    return { dir, lines, raw: nodeFs.readFileSync(path), file: path };
  }

  function expectWriteFailed(err: unknown, causeCode: string): void {
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect((err as PrevalenceError).message).toContain('snapshot-0000000000000002.snap');
    expect(((err as PrevalenceError).cause as NodeJS.ErrnoException).code).toBe(causeCode);
  }

  it('a write failing anywhere (header, body, trailer) leaves the previous snapshot intact and no .tmp', () => {
    const body = sampleLines(80);
    const size = nodeFs.statSync(writeLines(tempDir(), 2, body).path).size;
    for (const limit of [0, 10, 130, Math.floor(size / 2), size - 10, size - 1]) {
      const { dir, lines, raw, file } = withPrevious();
      const { fs, stats } = spyFs(new FaultyFs({ failWritesAfterBytes: limit }));
      expectWriteFailed(
        thrown(() => writeLines(dir, 2, body, fs, 256)),
        'ENOSPC',
      );
      expect(namesIn(dir)).toEqual(['snapshot-0000000000000001.snap']);
      expect(nodeFs.readFileSync(file).equals(raw)).toBe(true);
      expect(readLines(file)).toEqual(lines);
      expect(stats.openFds.size).toBe(0);
    }
  });

  it('a failing write over the same seq leaves the existing file byte-identical', () => {
    const { dir, raw, file } = withPrevious();
    const fs = new FaultyFs({ failWritesAfterBytes: 300 });
    const err = thrown(() => writeLines(dir, 1, sampleLines(80), fs, 128));
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect(nodeFs.readFileSync(file).equals(raw)).toBe(true);
    expect(namesIn(dir)).toEqual(['snapshot-0000000000000001.snap']);
  });

  it.each([
    ['rename', { failRename: true }],
    ['fsync', { failSync: true }],
  ])('a failing %s leaves the previous snapshot intact and no .tmp', (_name, plan) => {
    const { dir, lines, file } = withPrevious();
    const { fs, stats } = spyFs(new FaultyFs(plan));
    expectWriteFailed(
      thrown(() => writeLines(dir, 2, ['{"x":1}'], fs)),
      'EIO',
    );
    expect(namesIn(dir)).toEqual(['snapshot-0000000000000001.snap']);
    expect(readLines(file)).toEqual(lines);
    expect(stats.openFds.size).toBe(0);
  });

  it('reports a failed directory fsync after the rename, keeping the complete file', () => {
    const dir = tempDir();
    const eio = Object.assign(new Error('EIO: dir fsync'), { code: 'EIO' });
    const { fs } = spyFs(realFs, {
      fsyncDirSync: () => {
        throw eio;
      },
    });
    const err = thrown(() => writeLines(dir, 2, ['{"x":1}'], fs));
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect((err as Error).message).toContain('power cut');
    expect((err as Error).cause).toBe(eio);
    expect(readLines(`${dir}/snapshot-0000000000000002.snap`)).toEqual(['{"x":1}']);
  });

  it('rethrows a PrevalenceError from the producer unchanged and cleans up', () => {
    const { dir, file, raw } = withPrevious();
    const notSerializable = new PrevalenceError('NOT_SERIALIZABLE', 'a function at root.f');
    const { fs, stats } = spyFs();
    const err = thrown(() =>
      writeSnapshot(fs, dir, { seq: 2, ts: 0, rootClass: 'Wiki' }, (emit) => {
        emit('{"ok":1}');
        throw notSerializable;
      }),
    );
    expect(err).toBe(notSerializable);
    expect(namesIn(dir)).toEqual(['snapshot-0000000000000001.snap']);
    expect(nodeFs.readFileSync(file).equals(raw)).toBe(true);
    expect(stats.openFds.size).toBe(0);
  });

  it('wraps any other producer error in SNAPSHOT_WRITE_FAILED', () => {
    const dir = tempDir();
    const boom = new TypeError('boom');
    const err = thrown(() =>
      writeSnapshot(realFs, dir, { seq: 2, ts: 0, rootClass: 'Wiki' }, () => {
        throw boom;
      }),
    );
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect((err as Error).cause).toBe(boom);
    expect(namesIn(dir)).toEqual([]);
  });

  it('refuses a body line containing a raw line feed', () => {
    const dir = tempDir();
    const err = thrown(() => writeLines(dir, 2, ['{"a":1}', '{"b":\n2}']));
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect((err as Error).message).toContain('line feed');
    expect(namesIn(dir)).toEqual([]);
  });

  it('refuses a producer that leaves a line unfinished', () => {
    const dir = tempDir();
    const err = thrown(() =>
      writeSnapshot(realFs, dir, { seq: 3, ts: 0, rootClass: 'Wiki' }, (emit) => {
        emit('{"a":1}');
        emit('["b",', true);
      }),
    );
    expect(isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')).toBe(true);
    expect((err as Error).message).toContain('unfinished');
    expect(namesIn(dir)).toEqual([]);
  });

  it('refuses emit calls after the producer returned', () => {
    let late: ((line: string) => void) | undefined;
    writeSnapshot(realFs, tempDir(), { seq: 0, ts: 0, rootClass: 'Wiki' }, (emit) => {
      late = emit;
    });
    expect(() => late?.('{"late":1}')).toThrow('after the snapshot producer returned');
  });
});
