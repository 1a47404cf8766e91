// Disk full and I/O errors at the system level, injected through the
// file-system seam: the failing action throws JOURNAL_WRITE_FAILED and leaves
// no trace in memory, reads keep working, every later action is refused the
// same way until the system is reopened, and a reopen on a healthy disk gives
// exactly what was acknowledged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError, readonly } from '../../lib';
import type { Durability, Prevalent } from '../../lib';
import { FaultyFs } from '../../lib/fs/faulty';
import type { FaultPlan } from '../../lib/fs/faulty';
import { thrown } from '../codec/fixtures';
import { freshBasedir } from '../support/tmp';
import { PowerCutFs } from './support/power-cut-fs';

jest.setTimeout(30_000);

interface Item {
  name: string;
  tags: string[];
  meta: { n: number; note: string };
}

class Store {
  counter = 0;
  items: Record<string, Item> = {};
  index = new Map<string, number>();
  log: string[] = [];

  /** A new key, or nested changes to an existing one: field updates, an array push, a Map set. */
  upsert(key: string, note: string): number {
    this.counter += 1;
    let item = this.items[key];
    if (item === undefined) {
      item = { name: key, tags: [], meta: { n: 0, note: '' } };
      this.items[key] = item;
    }
    item.meta.n += 1;
    item.meta.note = note;
    item.tags.push(note.slice(0, 8));
    this.index.set(key, this.counter);
    this.log.push(`${key}:${note.length}`);
    return this.counter;
  }

  /** Deletions: an object key and a Map entry. */
  remove(key: string): void {
    this.counter += 1;
    delete this.items[key];
    this.index.delete(key);
    this.log.push(`-${key}`);
  }

  @readonly
  noteOf(key: string): string | undefined {
    return this.items[key]?.meta.note;
  }
}

/** What {@link dump} reads: a Store, or the read-only view of one that the system gives. */
interface StoreView {
  readonly counter: number;
  readonly items: {
    readonly [key: string]: {
      readonly name: string;
      readonly tags: readonly string[];
      readonly meta: { readonly n: number; readonly note: string };
    };
  };
  readonly index: ReadonlyMap<string, number>;
  readonly log: readonly string[];
}

/** The whole state as plain data. */
function dump(s: StoreView) {
  return {
    counter: s.counter,
    items: Object.entries(s.items).map(([k, v]) => ({
      k,
      name: v.name,
      tags: [...v.tags],
      meta: { n: v.meta.n, note: v.meta.note },
    })),
    index: [...s.index.entries()],
    log: [...s.log],
  };
}

/** Long enough that every cut offset used below falls inside the record. */
const note = (label: string): string => `${label}:${'é-note-'.repeat(16)}`;

/** Every journal file's bytes, in order, end to end. */
function journalBytes(dir: string): Buffer {
  const names = fs
    .readdirSync(dir)
    .filter((f) => /^journal-\d+\.jsonl$/.test(f))
    .sort();
  // The records only: zero bytes the writer reserved after the last record are no content.
  return Buffer.concat(
    names.map((f) => {
      const data = fs.readFileSync(path.join(dir, f));
      let end = data.length;
      while (end > 0 && data[end - 1] === 0) end--;
      return data.subarray(0, end);
    }),
  );
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isPrevalenceError(err)) return err.code;
    throw err;
  }
  return undefined;
}

interface Fault {
  name: string;
  durability: Durability;
  journalMaxBytes?: number;
  /** How many bytes of the failing record reach the file before the fault (a torn write). */
  partialBytes?: number;
  /** Arms the fault just before the failing action. */
  arm: (ffs: FaultyFs) => void;
}

const writeFailsAfter =
  (bytes: number, code?: string) =>
  (ffs: FaultyFs): void => {
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + bytes;
    if (code !== undefined) ffs.plan.writeErrorCode = code;
  };

const faults: Fault[] = [
  ...[0, 1, 40, 90].map((bytes): Fault => ({
    name: `disk full after ${bytes} bytes of the record ('always')`,
    durability: 'always',
    partialBytes: bytes,
    arm: writeFailsAfter(bytes),
  })),
  {
    name: "EIO on write after 25 bytes ('batch')",
    durability: 'batch',
    partialBytes: 25,
    arm: writeFailsAfter(25, 'EIO'),
  },
  {
    name: "fdatasync fails with EIO ('always')",
    durability: 'always',
    arm: (ffs) => (ffs.plan.failSync = true),
  },
  {
    name: "fdatasync fails with EIO while rotating to a new journal file ('always')",
    durability: 'always',
    journalMaxBytes: 1,
    arm: (ffs) => (ffs.plan.failSync = true),
  },
];

const failingActions: Array<[string, (s: Prevalent<Store>) => unknown]> = [
  ['a new key', (s) => s.upsert('fresh', note('fresh'))],
  ['nested changes to an existing key', (s) => s.upsert('b', note('again'))],
  ['deletions', (s) => s.remove('a')],
];

describe('crash: disk full and I/O errors at the system level', () => {
  describe.each(faults)('$name', (fault) => {
    it.each(failingActions)(
      'an action making %s fails with JOURNAL_WRITE_FAILED and leaves no trace',
      async (_kind, failing) => {
        const dir = freshBasedir('diskfull');
        const ffs = new FaultyFs();
        const sys = initSystem(Store, {
          basedir: dir,
          durability: fault.durability,
          batchIntervalMs: 60_000,
          journalMaxBytes: fault.journalMaxBytes,
          fileSystem: ffs,
        });
        sys.upsert('a', note('a1'));
        sys.upsert('b', note('b1'));
        sys.upsert('a', note('a2'));
        sys.upsert('c', note('c1'));
        const acknowledged = dump(sys);

        const journalBefore = journalBytes(dir);
        const writtenBefore = ffs.bytesWritten;
        fault.arm(ffs);
        expect(codeOf(() => failing(sys))).toBe('JOURNAL_WRITE_FAILED');
        if (fault.partialBytes !== undefined) {
          // The fault really hit in the middle of the record.
          expect(ffs.bytesWritten - writtenBefore).toBe(fault.partialBytes);
        }
        expect(dump(sys)).toEqual(acknowledged);
        // No partial record is left in the journal (docs/DURABILITY.md, disk full, step 1).
        expect(journalBytes(dir).equals(journalBefore)).toBe(true);

        // Reads keep working: properties, queries, views of nested objects.
        expect(sys.noteOf('a')).toBe(note('a2'));
        expect(sys.items['b']?.tags).toEqual(['b1:é-not']);
        expect(sys.index.get('c')).toBe(4);

        // Every later action is refused, even once the disk is healthy again, until a reopen.
        ffs.plan = {} satisfies FaultPlan;
        expect(codeOf(() => sys.upsert('d', note('d1')))).toBe('JOURNAL_WRITE_FAILED');
        expect(codeOf(() => sys.remove('b'))).toBe('JOURNAL_WRITE_FAILED');
        expect(codeOf(() => failing(sys))).toBe('JOURNAL_WRITE_FAILED');
        // Every acknowledged action is durable, so sync() resolves (regression: it rejected).
        await expect(sys.sync()).resolves.toBeUndefined();
        expect(dump(sys)).toEqual(acknowledged);
        await sys.close();

        const warnings: string[] = [];
        const again = initSystem(Store, { basedir: dir, onWarning: (w) => warnings.push(w) });
        expect(dump(again)).toEqual(acknowledged);
        expect(warnings).toEqual([]);
        // And it goes on from there.
        failing(again);
        const after = dump(again);
        expect(after.counter).toBe(5);
        await again.close();
        const third = initSystem(Store, dir);
        expect(dump(third)).toEqual(after);
        await third.close();
      },
    );
  });

  it("in 'batch' mode a failed background fdatasync rejects sync() and close(), then refuses actions; nothing acknowledged is lost", async () => {
    const dir = freshBasedir('batchsync');
    const ffs = new FaultyFs();
    const sys = initSystem(Store, {
      basedir: dir,
      durability: 'batch',
      batchIntervalMs: 60_000,
      fileSystem: ffs,
    });
    sys.upsert('a', note('a1'));
    await sys.sync();
    ffs.plan.failSync = true;
    // Written at once, fsynced later: the call itself succeeds.
    sys.upsert('b', note('b1'));
    const acknowledged = dump(sys);
    await expect(sys.sync()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    ffs.plan = {};
    expect(codeOf(() => sys.upsert('c', note('c1')))).toBe('JOURNAL_WRITE_FAILED');
    expect(dump(sys)).toEqual(acknowledged);
    expect(sys.noteOf('b')).toBe(note('b1'));
    // Regression: close() resolved as if action 2 were durable; it is never retried (fsyncgate).
    await expect(sys.close()).rejects.toThrow(
      /^JOURNAL_WRITE_FAILED: closed without making actions after seq 1 durable: /,
    );

    const again = initSystem(Store, dir);
    expect(dump(again)).toEqual(acknowledged);
    await again.close();
  });

  it("in 'batch' mode a failed write makes the actions acknowledged before it durable at once (regression: they were never fdatasynced, not even by close())", async () => {
    const dir = freshBasedir('batchwrite');
    const ffs = new FaultyFs();
    const seam = new PowerCutFs(dir, undefined, ffs);
    const sys = initSystem(Store, {
      basedir: dir,
      durability: 'batch',
      batchIntervalMs: 60_000,
      fileSystem: seam,
    });
    sys.upsert('a', note('a1'));
    sys.upsert('b', note('b1'));
    const acknowledged = dump(sys);
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + 10;
    expect(codeOf(() => sys.upsert('c', note('c1')))).toBe('JOURNAL_WRITE_FAILED');
    // A power cut right now keeps both acknowledged actions.
    const cut = path.join(freshBasedir('batchwrite-cut'), 'image');
    PowerCutFs.materialize(seam.image(), cut);
    const restored = initSystem(Store, cut);
    expect(dump(restored)).toEqual(acknowledged);
    await restored.close();
    await expect(sys.sync()).resolves.toBeUndefined();
    await sys.close();
  });

  it("in 'batch' mode a background fdatasync failing while nobody waits goes to onWarning (regression: nothing reported it)", async () => {
    const ffs = new FaultyFs();
    const warnings: string[] = [];
    const sys = initSystem(Store, {
      basedir: freshBasedir('batchwarn'),
      durability: 'batch',
      batchIntervalMs: 1,
      fileSystem: ffs,
      onWarning: (w) => warnings.push(w),
    });
    ffs.plan.failSync = true;
    sys.upsert('a', note('a1'));
    for (let waited = 0; warnings.length === 0 && waited < 10_000; waited += 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(warnings).toEqual([
      expect.stringMatching(
        /^JOURNAL_WRITE_FAILED: the background fdatasync of journal file .* failed \(.*EIO.*\); actions after seq 0 may not be on disk, and the system refuses further actions\./,
      ),
    ]);
    expect(codeOf(() => sys.upsert('b', note('b1')))).toBe('JOURNAL_WRITE_FAILED');
    await expect(sys.close()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
  });

  it('keeps an action in memory when its fdatasync and then cutting its record off both fail (regression: memory dropped it, and a reopen replayed it)', async () => {
    const dir = freshBasedir('doublefault');
    const ffs = new FaultyFs();
    const sys = initSystem(Store, { basedir: dir, durability: 'always', fileSystem: ffs });
    sys.upsert('a', note('a1'));
    ffs.plan.failSync = true;
    ffs.ftruncateSync = () => {
      throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
    };
    const message = thrown(() => sys.upsert('b', note('b1'))).message;
    expect(message).toMatch(
      /^JOURNAL_WRITE_FAILED: the fdatasync of action seq 2 .* failed \(.*EIO.*\); cutting its record off failed too \(EIO: i\/o error, ftruncate\): the record stays in the journal, so the action stays applied in memory too/,
    );
    const live = dump(sys);
    expect(live.counter).toBe(2);
    // A later action is refused with its own message (regression: it got the kept action's).
    expect(thrown(() => sys.upsert('c', note('c1'))).message).toMatch(
      /^JOURNAL_WRITE_FAILED: an earlier journal write failed \(.*EIO.*\), so the journal refuses further actions; the action was not recorded/,
    );
    ffs.plan = {};
    // close() says so too (regression: it quoted "the action was not recorded").
    await expect(sys.close()).rejects.toThrow(/the action stays applied in memory too/);
    const again = initSystem(Store, dir);
    expect(dump(again)).toEqual(live);
    await again.close();
  });

  it('passes a warning on to process.emitWarning when onWarning throws (regression: a throwing onWarning in the background fdatasync was an unhandled rejection)', async () => {
    const ffs = new FaultyFs();
    const emitted: string[] = [];
    const spy = jest
      .spyOn(process, 'emitWarning')
      .mockImplementation((w: string | Error) => void emitted.push(String(w)));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sys = initSystem(Store, {
        basedir: freshBasedir('warnthrows'),
        durability: 'batch',
        batchIntervalMs: 1,
        fileSystem: ffs,
        onWarning: () => {
          throw new Error('handler bug');
        },
      });
      ffs.plan.failSync = true;
      sys.upsert('a', note('a1'));
      for (let waited = 0; emitted.length === 0 && waited < 10_000; waited += 5) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setImmediate(r));
      expect(emitted).toEqual([
        expect.stringMatching(/background fdatasync .* \(onWarning threw: handler bug\)$/),
      ]);
      expect(unhandled).toEqual([]);
      await expect(sys.close()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
      spy.mockRestore();
    }
  });

  it('a snapshot that hits a full disk fails with SNAPSHOT_WRITE_FAILED and changes nothing', async () => {
    const dir = freshBasedir('snapfull');
    const ffs = new FaultyFs();
    const sys = initSystem(Store, { basedir: dir, fileSystem: ffs });
    sys.upsert('a', note('a1'));
    sys.upsert('b', note('b1'));
    const files = fs.readdirSync(dir).sort();
    ffs.plan.failWritesAfterBytes = ffs.bytesWritten + 100;
    expect(codeOf(() => sys.takeSnapshot())).toBe('SNAPSHOT_WRITE_FAILED');
    // No temporary file left behind, no new snapshot, the state untouched.
    expect(fs.readdirSync(dir).sort()).toEqual(files);
    ffs.plan = {};
    // The journal was not harmed: actions and snapshots work once there is room again.
    sys.upsert('c', note('c1'));
    sys.takeSnapshot();
    sys.remove('a');
    const state = dump(sys);
    await sys.close();

    const again = initSystem(Store, dir);
    expect(dump(again)).toEqual(state);
    await again.close();
  });
});
