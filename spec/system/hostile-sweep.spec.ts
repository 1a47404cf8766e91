import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, mockClock, readonly, realFs, verifyReplay, type FileSystem } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { freshBasedir, tmpDir } from '../support/tmp';
import { prevalenceErrorOf } from '../support/errors';

/** Regressions from the hostile-input sweep: raw errors, hangs and crashes where a PrevalenceError was due. */

class Box {
  value: unknown = null;
  set(value: unknown): void {
    this.value = value;
  }
  grow(): void {
    const arr: unknown[] = [];
    arr[2 ** 32 - 2] = 1;
    this.value = arr;
  }
}

/** The real file system, but opening a file `denied` says fails as for a process without permission. */
function denying(denied: (file: string, flags: string) => boolean): FileSystem {
  return {
    ...realFs,
    openSync: (file, flags) => {
      if (denied(file, flags)) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), {
          code: 'EACCES',
        });
      }
      return realFs.openSync(file, flags);
    },
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the hostile-input sweep', () => {
  it('refuses an array longer than 2 ** 27 at once, as an argument and as a stored value (regression: a sparse array of length 2 ** 32 - 1 ran for minutes)', async () => {
    const dir = freshBasedir();
    const box = initSystem(new Box(), dir);
    const sparse: unknown[] = [];
    sparse[2 ** 32 - 2] = 1;
    expect(prevalenceErrorOf(() => box.set(sparse))).toMatchObject({
      code: 'NOT_SERIALIZABLE',
      message: expect.stringContaining('an array of length 4294967295 (longer than 134217728)'),
    });
    expect(prevalenceErrorOf(() => box.grow()).code).toBe('NOT_SERIALIZABLE');
    const fine: unknown[] = [];
    fine[100_000] = 1;
    box.set(fine);
    await box.close();
    const again = initSystem(Box, dir);
    expect((again.value as unknown[]).length).toBe(100_001);
    await again.close();
  });

  it.each(['by an index', 'by its length', 'by defining its length'])(
    'refuses an action lengthening an array of the state past 2 ** 27 %s, whole, even if caught (regression (codec fuzz): accepted, and every later snapshot blocked the process for minutes)',
    async (how) => {
      class Lists {
        items: unknown[] = ['a'];
        grow(way: string, swallow: boolean): void {
          this.items.push('b');
          try {
            if (way === 'by an index') this.items[2 ** 32 - 2] = 'x';
            if (way === 'by its length') this.items.length = 2 ** 32 - 1;
            if (way === 'by defining its length') {
              Object.defineProperty(this.items, 'length', { value: 2 ** 28 });
            }
          } catch (err) {
            if (!swallow) throw err;
          }
        }
      }
      const dir = freshBasedir();
      const lists = initSystem(new Lists(), { basedir: dir, durability: 'none' });
      for (const swallow of [false, true]) {
        expect(prevalenceErrorOf(() => lists.grow(how, swallow))).toMatchObject({
          code: 'NOT_SERIALIZABLE',
          message: expect.stringContaining('the action made an array of length'),
        });
        expect(lists.items).toEqual(['a']);
      }
      lists.takeSnapshot();
      await lists.close();
      const again = initSystem(Lists, dir);
      expect(again.items).toEqual(['a']);
      await again.close();
    },
  );

  it('reports a rejected promise an async onProgress returns instead of ending the process with an unhandled rejection', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Box(), dir);
    first.set(1);
    await first.close();
    const emitted: string[] = [];
    const again = initSystem(Box, {
      basedir: dir,
      onProgress: () => Promise.reject(new Error('progress store down')),
      onWarning: (m) => emitted.push(m),
    });
    await again.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      emitted.some((m) =>
        m.includes('onProgress returned a promise that rejected (progress store down)'),
      ),
    ).toBe(true);
  });

  it('refuses a sparse or overlong classes array with INVALID_OPTION (regression: TypeError ".for is not iterable")', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [, Box];
    expect(
      prevalenceErrorOf(() =>
        initSystem(new Wiki(), { basedir: freshBasedir(), classes: sparse as never }),
      ).message,
    ).toContain('options.classes[0] is undefined');
    const long = [] as unknown[];
    long.length = 2 ** 32 - 1;
    expect(
      prevalenceErrorOf(() =>
        initSystem(new Wiki(), { basedir: freshBasedir(), classes: long as never }),
      ).message,
    ).toContain('options.classes is an array of length 4294967295');
  });

  it('refuses a verifyReplay basedir that is no path, a file or missing with INVALID_OPTION (regression: ERR_INVALID_ARG_TYPE, raw ENOTDIR)', () => {
    const file = path.join(tmpDir(), 'plain.txt');
    fs.writeFileSync(file, 'x');
    for (const [basedir, says] of [
      [undefined, 'non-empty path string'],
      ['a\0b', 'non-empty path string'],
      [file, 'is not a directory'],
      [path.join(tmpDir(), 'missing'), 'does not exist'],
    ] as const) {
      expect(prevalenceErrorOf(() => verifyReplay(basedir as never, Wiki))).toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringContaining(says),
      });
    }
  });

  it('says when a journal file cannot be opened to append for want of permission (regression: raw EACCES from the journal writer)', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Box(), dir);
    first.set(1);
    await first.close();
    const fileSystem: FileSystem = {
      ...realFs,
      openSync: (file, flags) => {
        if (flags.startsWith('a') && path.basename(file).startsWith('journal-')) {
          throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), {
            code: 'EACCES',
          });
        }
        return realFs.openSync(file, flags);
      },
    };
    expect(prevalenceErrorOf(() => initSystem(Box, { basedir: dir, fileSystem }))).toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      message: expect.stringContaining(
        "give this process write permission on the data directory's files",
      ),
    });
    const again = initSystem(Box, dir);
    expect(again.value).toBe(1);
    await again.close();
  });

  it('says which snapshot or journal file the process may not read, and to fix its ownership or permissions (regression (operator review): a bare "EACCES: permission denied, open \'…snapshot-….snap\'")', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Box(), dir);
    first.set(1);
    first.takeSnapshot();
    first.set(2);
    await first.close();
    for (const name of ['snapshot-0000000000000001.snap', 'journal-0000000000000002.jsonl']) {
      const fileSystem = denying((file, flags) => path.basename(file) === name && flags === 'r');
      expect(prevalenceErrorOf(() => initSystem(Box, { basedir: dir, fileSystem }))).toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringMatching(
          new RegExp(
            `may not open (snapshot|journal) file ${escapeRegExp(path.join(dir, name))} to read it \\(EACCES.*\\): fix the file's ownership or permissions`,
          ),
        ),
      });
    }
    const again = initSystem(Box, dir);
    expect(again.value).toBe(2);
    await again.close();
  });

  it('says which journal file the process may not write when its torn last record must be cut off (regression (operator review): a bare EACCES)', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Box(), dir);
    first.set(1);
    await first.close();
    const journal = path.join(dir, 'journal-0000000000000001.jsonl');
    fs.appendFileSync(journal, '{"crc":"00');
    const fileSystem = denying((file, flags) => file === journal && flags !== 'r');
    const err = prevalenceErrorOf(() => initSystem(Box, { basedir: dir, fileSystem }));
    expect(err.code).toBe('JOURNAL_WRITE_FAILED');
    expect(err.message).toContain(
      `may not open journal file ${journal} to cut it at byte ${fs.statSync(journal).size - 10} (EACCES`,
    );
    expect(err.message).toMatch(/fix the file's ownership or permissions/);
    const again = initSystem(Box, { basedir: dir, onWarning: () => {} });
    expect(again.value).toBe(1);
    await again.close();
  });

  it('refuses to mark a frozen function, and a mockClock instant no Date can hold (regression: TypeError "Cannot define property", now() gave an invalid DateTime)', () => {
    const frozen = Object.freeze(function list(): void {});
    expect(prevalenceErrorOf(() => readonly(frozen)).message).toContain('the function is frozen');
    for (const instant of [1e20, -8.64e15 - 1]) {
      expect(prevalenceErrorOf(() => mockClock(new Box(), instant)).code).toBe('INVALID_OPTION');
    }
    const box = new Box();
    mockClock(box, 8.64e15);
    expect(
      (box as unknown as { _clock: { now(): { isValid: boolean } } })._clock.now().isValid,
    ).toBe(true);
  });
});

// Regression (resource review): an I/O error from the fstat right after the open took the
// journal file to append to made the open fail, and the descriptor it had just opened was
// never closed: one descriptor lost per refused open.
describe('an open refused by an fstat error on the journal', () => {
  it.each(['continuing the newest journal file', 'starting a new journal file'])(
    'closes every descriptor it opened (%s)',
    async (how) => {
      const dir = freshBasedir();
      class Tally {
        n = 0;
        inc(): void {
          this.n++;
        }
      }
      const first = initSystem(Tally, dir);
      first.inc();
      if (how === 'starting a new journal file') first.takeSnapshot();
      await first.close();
      if (how === 'starting a new journal file') {
        for (const f of fs.readdirSync(dir))
          if (f.startsWith('journal-')) fs.unlinkSync(path.join(dir, f));
      }
      const open = new Set<number>();
      let journalFd: number | undefined;
      const fileSystem: FileSystem = {
        ...realFs,
        openSync(file: string, flags: string) {
          const fd = realFs.openSync(file, flags);
          open.add(fd);
          if (path.basename(file).startsWith('journal-') && flags !== 'r') journalFd = fd;
          return fd;
        },
        closeSync(fd: number) {
          open.delete(fd);
          realFs.closeSync(fd);
        },
        fstatSize(fd: number) {
          // The writer's own fstat, after the open checked the file (that one closes on failure).
          if (fd === journalFd && new Error().stack!.includes('new JournalWriter')) {
            throw Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO' });
          }
          return realFs.fstatSize(fd);
        },
      };
      expect(() => initSystem(Tally, { basedir: dir, fileSystem })).toThrow(/EIO/);
      expect(journalFd).toBeDefined();
      expect([...open]).toEqual([]);
    },
  );
});
