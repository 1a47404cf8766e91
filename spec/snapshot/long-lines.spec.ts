import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { firstDifference } from '../../lib/codec/equal';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { setLinePiecesForTests } from '../../lib/codec/line-pieces';
import { isPrevalenceError } from '../../lib/errors';
import { realFs } from '../../lib/fs/seam';
import { loadNewestSnapshot, readSnapshot, type BodyConsumer } from '../../lib/snapshot/loader';
import { writeSnapshot } from '../../lib/snapshot/writer';
import type { SnapshotInfo } from '../../lib/snapshot/format';
import { valueFactory } from '../codec/arbitraries';
import { makeRegistry, Page } from '../codec/fixtures';
import { removeTempDirs, tempDir, thrown } from './helpers';

const registry = makeRegistry();

afterEach(() => setLinePiecesForTests());
afterAll(() => removeTempDirs());

let seq = 0;

/** Writes the snapshot of `value` into a fresh directory (with the line piece sizes in force). */
function writeState(value: unknown): string {
  return writeSnapshot(
    realFs,
    tempDir(),
    { seq: ++seq, ts: 1_700_000_000_000, rootClass: 'Root' },
    (emit) => void encodeGraph(value, registry, emit),
  ).path;
}

/** Writes a snapshot whose body is `lines`, each emitted in one piece, whatever it holds. */
function writeRaw(lines: readonly string[]): string {
  return writeSnapshot(
    realFs,
    tempDir(),
    { seq: ++seq, ts: 1_700_000_000_000, rootClass: 'Root' },
    (emit) => lines.forEach((line) => emit(line)),
  ).path;
}

/** What a restore builds from the snapshot at `file`: the state, the info and the progress calls. */
function readState(
  file: string,
  chunkSize?: number,
): { value: unknown; info: SnapshotInfo; progress: number[]; longParts: number } {
  const decoder = new GraphDecoder(registry);
  const progress: number[] = [];
  let longParts = 0;
  const consumer: BodyConsumer = {
    line: (text) => decoder.push(text),
    part: (bytes) => {
      longParts++;
      decoder.pushBytes(bytes);
    },
    end: () => decoder.endBytes(),
  };
  const info = readSnapshot(realFs, file, consumer, (done) => progress.push(done), chunkSize);
  return { value: decoder.finish(), info, progress, longParts };
}

/**
 * The body of `file` and its trailer without the CRC-32 (which covers the
 * header, which holds the time of writing).
 */
function bodyOf(file: string): { body: Buffer; trailer: unknown } {
  const bytes = nodeFs.readFileSync(file);
  const end = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  const trailer = JSON.parse(bytes.toString('utf8', end)) as Record<string, unknown>;
  delete trailer.crc;
  return { body: bytes.subarray(bytes.indexOf(0x0a) + 1, end), trailer };
}

const tricky = fc.constantFrom(
  'a',
  'é',
  '€',
  '\ud83d\ude00',
  '\ud83d',
  '\ude00',
  '"',
  '\\',
  '\n',
  '\u0001',
  '\u2028',
  ' ',
);
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: tricky, maxLength: 300 }),
);

/** States with long strings (values, keys, Map entries) and binary leaves, around random values. */
const states = fc
  .record({
    strings: fc.array(text, { maxLength: 6 }),
    entries: fc.array(fc.tuple(text, text), { maxLength: 4 }),
    bytes: fc.uint8Array({ maxLength: 700 }),
    title: text,
    nested: valueFactory,
  })
  .map((r) => {
    const make = (): unknown => {
      const page = new Page(r.title);
      const bytes = Buffer.from(r.bytes);
      return {
        strings: [...r.strings],
        map: new Map(r.entries),
        object: Object.fromEntries(r.entries) as unknown,
        bytes,
        shared: [bytes, new Uint16Array(bytes.buffer.slice(0, bytes.length & ~1)), page],
        page,
        nested: r.nested(),
      };
    };
    return Object.assign(make, { toString: () => JSON.stringify(r) });
  });

describe('snapshot files with long lines', () => {
  it('are byte for byte the files written with whole lines, and restore to an equal state', () => {
    fc.assert(
      fc.property(
        states,
        fc.integer({ min: 16, max: 400 }),
        fc.integer({ min: 16, max: 400 }),
        fc.integer({ min: 1, max: 5000 }),
        (make, write, read, chunk) => {
          const value = make();
          const whole = writeState(value);
          setLinePiecesForTests({ write });
          const inPieces = writeState(value);
          setLinePiecesForTests({ read });
          const [a, b] = [bodyOf(inPieces), bodyOf(whole)];
          expect(a.body.equals(b.body)).toBe(true);
          expect(a.trailer).toEqual(b.trailer);
          const back = readState(inPieces, chunk);
          expect(firstDifference(value, back.value)).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('read a long line at the very end, right before the trailer, at any chunk size', () => {
    const value = { a: [1, 2], z: ['x'.repeat(6000) + '😀'.repeat(3000), 'tail'] };
    setLinePiecesForTests({ write: 64 });
    const file = writeState(value);
    for (const read of [16, 64, 100_000]) {
      setLinePiecesForTests({ read });
      for (const chunk of [1, 7, 64, 4095, 4096, 4097, 9000, 1 << 20]) {
        const back = readState(file, chunk);
        expect(back.value).toEqual(value);
        expect(back.info.lines).toBe(3);
        if (read < 100_000) expect(back.longParts).toBeGreaterThan(0);
        if (chunk < 9000) expect(back.progress.length).toBeGreaterThan(1);
        expect(back.progress.at(-1)).toBe(nodeFs.statSync(file).size);
      }
    }
  });

  it('check the trailer (lines, bytes, CRC-32, digest) over the long lines', () => {
    setLinePiecesForTests({ write: 32 });
    const value = ['y'.repeat(10_000), new Map([['k', 'v'.repeat(9000)]])];
    const file = writeState(value);
    const whole = nodeFs.readFileSync(file);
    setLinePiecesForTests({ read: 16 });
    // Each body byte flipped in turn, in steps: a damaged long line is always found.
    const header = whole.indexOf(0x0a) + 1;
    const trailer = whole.lastIndexOf(0x0a, whole.length - 2) + 1;
    for (let at = header; at < trailer; at += 997) {
      const damaged = Buffer.from(whole);
      damaged[at] = damaged[at] === 0x79 ? 0x7a : 0x79;
      nodeFs.writeFileSync(file, damaged);
      const err = thrown(() => readState(file, 1000));
      expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
    }
    nodeFs.writeFileSync(file, whole);
    expect(readState(file, 1000).info.lines).toBe(2);
  });

  it('that are cut short give SNAPSHOT_CORRUPT', () => {
    setLinePiecesForTests({ write: 32, read: 16 });
    const file = writeState(['a'.repeat(20_000), 'b']);
    const whole = nodeFs.readFileSync(file);
    const lastLf = whole.lastIndexOf(0x0a, whole.length - 2);
    for (const end of [
      whole.indexOf(0x0a) + 1,
      whole.indexOf(0x0a) + 2,
      5000,
      15_000,
      lastLf,
      lastLf + 1,
      lastLf + 10,
    ]) {
      nodeFs.writeFileSync(file, whole.subarray(0, end));
      for (const chunk of [100, 4096, 1 << 20]) {
        const err = thrown(() => readState(file, chunk));
        expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
      }
    }
  });

  it('that are malformed under intact checksums give SNAPSHOT_CORRUPT', () => {
    setLinePiecesForTests({ read: 16 });
    const long = 'x'.repeat(5000);
    const lines = [
      `["a","${long}"`,
      `["a","${long}",]`,
      `["a","${long}"]]`,
      `["a",["${long}"}]`,
      `["a",[0,"b","${long}",]]`,
      `["a",[0,"zz","${long}"]]`,
      `["a","${long}" "${long}"]`,
      `{"a":"${long}"}`,
      `["o","${long}"]`,
      `["a","${long}\\q"]`,
    ];
    for (const line of lines) {
      const file = writeRaw([line]);
      for (const chunk of [64, 4096, 1 << 20]) {
        const err = thrown(() => readState(file, chunk));
        expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
        expect((err as Error).message).toMatch(/object line 1 of the snapshot is malformed/);
      }
    }
  });

  it('that are malformed make a restore fall back to the snapshot before', () => {
    setLinePiecesForTests({ write: 32, read: 16 });
    const dir = tempDir();
    const header = (n: number) => ({ seq: n, ts: 1_700_000_000_000 + n, rootClass: 'Root' });
    const good = ['g'.repeat(9000), 1];
    writeSnapshot(realFs, dir, header(1), (emit) => void encodeGraph(good, registry, emit));
    writeSnapshot(realFs, dir, header(2), (emit) => emit(`["a","${'b'.repeat(9000)}",]`));
    const warnings: string[] = [];
    const loaded = loadNewestSnapshot(
      realFs,
      dir,
      () => new GraphDecoder(registry).asConsumer(),
      (message) => warnings.push(message),
      undefined,
      100,
    );
    expect(loaded?.seq).toBe(1);
    expect(loaded?.value).toEqual(good);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /snapshot-0000000000000002\.snap cannot be used \(object line 1 of the snapshot is malformed/,
    );
  });

  it('read by a function consumer come to it joined', () => {
    setLinePiecesForTests({ write: 32, read: 16 });
    const value = ['z'.repeat(9000), { k: 'é'.repeat(3000) }];
    const file = writeState(value);
    const lines: string[] = [];
    readSnapshot(realFs, file, (line) => lines.push(line), undefined, 100);
    const expected: string[] = [];
    setLinePiecesForTests();
    encodeGraph(value, registry, (t) => expected.push(t));
    expect(lines).toEqual(expected);
  });
});

describe('a state with long lines, through initSystem', () => {
  it('snapshots, restores from the snapshot alone and verifies', async () => {
    const { initSystem, verifyReplay } = await import('../../lib');
    setLinePiecesForTests({ write: 64, read: 64 });

    class Blobs {
      list: string[] = [];
      map = new Map<string, string>();
      bytes: Buffer = Buffer.alloc(0);

      add(n: number): void {
        for (let i = 0; i < n; i++) {
          const s = `#${i}:` + 'abcdé😀"\\\n'.repeat(50 + i);
          this.list.push(s);
          this.map.set(`key ${i} ${'k'.repeat(i * 10)}`, s);
        }
        this.bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
      }
    }
    const dir = path.join(tempDir(), 'blobs');
    const sys = initSystem(Blobs, { basedir: dir, durability: 'none' });
    sys.add(20);
    const expected = { list: [...sys.list], map: new Map(sys.map), bytes: Buffer.from(sys.bytes) };
    sys.takeSnapshot();
    await sys.close();
    for (const name of nodeFs.readdirSync(dir)) {
      if (name.startsWith('journal-')) nodeFs.rmSync(path.join(dir, name));
    }
    const progress: number[] = [];
    const back = initSystem(Blobs, {
      basedir: dir,
      durability: 'none',
      onProgress: (p) => progress.push(p.done),
    });
    try {
      expect(back.list).toEqual(expected.list);
      expect(new Map(back.map)).toEqual(expected.map);
      expect(Buffer.from(back.bytes).equals(expected.bytes)).toBe(true);
      expect(progress.length).toBeGreaterThan(0);
    } finally {
      await back.close();
    }
    expect(verifyReplay(dir, Blobs)).toMatchObject({ ok: true });
  });
});
