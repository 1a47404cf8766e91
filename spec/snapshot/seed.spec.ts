import * as nodeFs from 'node:fs';
import { type PrevalenceError, isPrevalenceError } from '../../lib/errors';
import { realFs } from '../../lib/fs/seam';
import { SnapshotSums, makeHeaderLine, makeTrailerLine } from '../../lib/snapshot/format';
import { snapshotInfo } from '../../lib/snapshot/info';
import { loadNewestSnapshot, readSnapshot } from '../../lib/snapshot/loader';
import { writeSnapshot } from '../../lib/snapshot/writer';
import { removeTempDirs, sampleLines, tempDir, thrown, writeLines } from './helpers';

afterEach(removeTempDirs);

const SEED = '0123456789abcdeffedcba9876543210';

function headerOf(file: string): string {
  const raw = nodeFs.readFileSync(file, 'utf8');
  return raw.slice(0, raw.indexOf('\n'));
}

/** Writes a snapshot with the given seed (or none) and body lines. */
function writeSeeded(dir: string, seq: number, seed: string | undefined, lines: string[]): string {
  return writeSnapshot(
    realFs,
    dir,
    { seq, ts: 1_700_000_000_000 + seq, rootClass: 'Wiki', seed },
    (emit) => lines.forEach((line) => emit(line)),
  ).path;
}

/** A snapshot file whose header line is exactly `header`, with valid checksums. */
function withHeader(dir: string, seq: number, header: string): string {
  const file = `${dir}/snapshot-${String(seq).padStart(16, '0')}.snap`;
  const sums = new SnapshotSums();
  const head = Buffer.from(`${header}\n`);
  const body = Buffer.from('{"a":1}\n');
  sums.addHeader(head);
  sums.addBody(body);
  sums.addLine();
  const trailer = makeTrailerLine({
    bytes: sums.bytes,
    lines: sums.lines,
    crc: sums.crcHex(),
    digest: sums.digestHex(),
  });
  nodeFs.writeFileSync(file, Buffer.concat([head, body, Buffer.from(`${trailer}\n`)]));
  return file;
}

function headerWithSeed(seq: number, seed: unknown): string {
  const base = JSON.parse(makeHeaderLine({ seq, ts: 1, rootClass: 'Wiki' }, new Date(0))) as object;
  return JSON.stringify({ ...base, seed });
}

describe('snapshot header: directory seed', () => {
  it('writes the seed in its sorted place and reads it back', () => {
    const dir = tempDir();
    const file = writeSeeded(dir, 4, SEED, sampleLines(3));
    expect(headerOf(file)).toMatch(
      new RegExp(
        `^\\{"created":"[^"]+","format":"prevalent-snapshot","rootClass":"Wiki","seed":"${SEED}","seq":4,"ts":1700000000004,"version":1\\}$`,
      ),
    );
    expect(readSnapshot(realFs, file, () => undefined).seed).toBe(SEED);
    expect(snapshotInfo(realFs, file).seed).toBe(SEED);
    const loaded = loadNewestSnapshot(
      realFs,
      dir,
      () => ({ consume: () => undefined, finish: () => null }),
      jest.fn(),
    );
    expect(loaded?.seed).toBe(SEED);
  });

  it('writes no seed field when none is given, as before seeds existed', () => {
    const file = writeLines(tempDir(), 2, []).path;
    expect(JSON.parse(headerOf(file))).not.toHaveProperty('seed');
    expect(readSnapshot(realFs, file, () => undefined).seed).toBeUndefined();
    expect(snapshotInfo(realFs, file)).not.toHaveProperty('seed');
  });

  it.each([['ABCDEF0123456789ABCDEF0123456789'], ['0123'], ['']])(
    'refuses to write the malformed seed %j',
    (seed) => {
      const err = thrown(() =>
        makeHeaderLine({ seq: 1, ts: 1, rootClass: 'Wiki', seed }, new Date()),
      );
      expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
    },
  );

  it.each([
    ['uppercase hex', 'ABCDEF0123456789ABCDEF0123456789'],
    ['too short', '0123456789abcdef'],
    ['too long', `${SEED}00`],
    ['not hex', 'z123456789abcdeffedcba9876543210'],
    ['a number', 12345],
    ['null', null],
    ['an object', { seed: SEED }],
  ])('rejects a header whose seed is %s as SNAPSHOT_CORRUPT', (_what, seed) => {
    const file = withHeader(tempDir(), 3, headerWithSeed(3, seed));
    for (const read of [
      () => readSnapshot(realFs, file, () => undefined),
      () => snapshotInfo(realFs, file),
    ]) {
      const err = thrown(read);
      expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
      expect((err as PrevalenceError).message).toContain(file);
      expect((err as PrevalenceError).message).toContain('malformed seed');
    }
  });

  it('accepts a well-formed seed in a hand-made header', () => {
    const file = withHeader(tempDir(), 3, headerWithSeed(3, SEED));
    expect(readSnapshot(realFs, file, () => undefined).seed).toBe(SEED);
  });

  it('falls back to the previous snapshot, with a warning, when the newest has a malformed seed', () => {
    const dir = tempDir();
    writeSeeded(dir, 2, SEED, ['{"older":true}']);
    const newer = withHeader(dir, 9, headerWithSeed(9, 'not-a-seed'));
    const warn = jest.fn();
    const loaded = loadNewestSnapshot(
      realFs,
      dir,
      () => {
        const lines: string[] = [];
        return { consume: (line: string) => lines.push(line), finish: () => lines };
      },
      warn,
    );
    expect(loaded).toMatchObject({ seq: 2, seed: SEED, value: ['{"older":true}'] });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain(newer);
    expect(String(warn.mock.calls[0]?.[0])).toContain('malformed seed');
  });
});
