import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, readonly } from '../../lib';
import type { Prevalent, RestoreProgress } from '../../lib';
import { makeTempDir, recordFigures, removeTempDir, secondsSince, snapshotFiles } from './figures';

const d = process.env.PREVALENT_SCALE ? describe : describe.skip;

const MiB = 1024 * 1024;
/** 1100 strings of 1 MiB: the snapshot encoding is past 1 GiB, twice V8's largest string. */
const BLOBS = 1100;
const BLOB_CHARS = MiB;
const PER_ACTION = 100;

/** One large string in its own object (each object is one snapshot line). */
export class Blob {
  constructor(
    public n: number,
    public data: string,
  ) {}
}

export class BigState {
  blobs: Blob[] = [];

  /** Adds blobs [from, from + count), each `chars` long and starting with its number. */
  addBlobs(from: number, count: number, chars: number): void {
    const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(chars / 36));
    for (let n = from; n < from + count; n++) {
      const head = `#${String(n).padStart(9, '0')}:`;
      this.blobs.push(new Blob(n, head + filler.slice(0, chars - head.length)));
    }
  }

  @readonly
  count(): number {
    return this.blobs.length;
  }

  @readonly
  totalChars(): number {
    let total = 0;
    for (const blob of this.blobs) total += blob.data.length;
    return total;
  }

  /** The first characters of blob n, its length and its last character. */
  @readonly
  probe(n: number): string {
    const blob = this.blobs[n];
    if (blob === undefined) return 'missing';
    return `${blob.n}|${blob.data.slice(0, 11)}|${blob.data.length}|${blob.data[blob.data.length - 1]}`;
  }
}

const expectedProbe = (n: number): string => {
  const head = `#${String(n).padStart(9, '0')}:`;
  const fillerLength = BLOB_CHARS - head.length;
  const last = 'abcdefghijklmnopqrstuvwxyz0123456789'[(fillerLength - 1) % 36];
  return `${n}|${head.slice(0, 11)}|${BLOB_CHARS}|${last}`;
};

d('a state whose snapshot encoding exceeds 1 GiB', () => {
  let dir: string | undefined;

  afterAll(() => removeTempDir(dir));

  it(
    'snapshots and restores through initSystem and takeSnapshot',
    async () => {
      dir = makeTempDir('1gib');
      const basedir = path.join(dir, 'big');
      const open = (onProgress?: (p: RestoreProgress) => void): Prevalent<BigState> =>
        initSystem(BigState, { basedir, durability: 'none', classes: [Blob], onProgress });

      let sys: Prevalent<BigState> | undefined = open();
      for (let from = 0; from < BLOBS; from += PER_ACTION) {
        sys.addBlobs(from, Math.min(PER_ACTION, BLOBS - from), BLOB_CHARS);
      }
      expect(sys.count()).toBe(BLOBS);

      let start = process.hrtime.bigint();
      const file = sys.takeSnapshot();
      const snapshotSeconds = secondsSince(start);
      const bytes = fs.statSync(file).size;
      expect(bytes).toBeGreaterThan(2 ** 30);
      await sys.close();
      sys = undefined;

      // Only the snapshot is needed to restore: the journal before it is set aside.
      for (const name of fs.readdirSync(basedir)) {
        if (name.startsWith('journal-'))
          fs.renameSync(path.join(basedir, name), path.join(dir, name));
      }
      expect(snapshotFiles(basedir).at(-1)).toBe(path.basename(file));

      const progress: RestoreProgress[] = [];
      start = process.hrtime.bigint();
      const back = open((p) => progress.push({ ...p }));
      const restoreSeconds = secondsSince(start);
      try {
        expect(back.count()).toBe(BLOBS);
        expect(back.totalChars()).toBe(BLOBS * BLOB_CHARS);
        for (const n of [0, 1, 547, BLOBS - 1]) expect(back.probe(n)).toBe(expectedProbe(n));
        const snap = progress.filter((p) => p.phase === 'snapshot');
        expect(snap.length).toBeGreaterThan(1);
        expect(snap.at(-1)?.done).toBe(snap.at(-1)?.total);
      } finally {
        await back.close();
      }

      recordFigures('snapshot past 1 GiB', {
        objects: BLOBS,
        charsPerString: BLOB_CHARS,
        snapshotBytes: bytes,
        snapshotWriteSeconds: snapshotSeconds,
        snapshotWriteMBPerSecond: bytes / 1e6 / snapshotSeconds,
        restoreSeconds,
        restoreMBPerSecond: bytes / 1e6 / restoreSeconds,
        progressEvents: progress.length,
      });
    },
    30 * 60 * 1000,
  );
});
