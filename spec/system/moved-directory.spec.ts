// A data directory renamed, or replaced by a restored backup, while a system
// has it open (found by the operator review): the system must write and
// delete nothing at its path any more, stop taking actions, and say where
// its records are.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, type FileSystem } from '../../lib';
import { realFs } from '../../lib/fs/seam';
import { prevalenceErrorOf } from '../support/errors';
import { tmpDir } from '../support/tmp';

class Tally {
  items: string[] = [];
  add(item: string): number {
    this.items.push(item);
    return this.items.length;
  }
}

/** Every file of `dir` with its bytes. */
function contents(dir: string): Record<string, string> {
  const all: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    all[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
  }
  return all;
}

/** A directory `live` in a fresh temp dir, and the name `live.old` beside it. */
function places(): { live: string; old: string; base: string } {
  const base = tmpDir();
  return { base, live: path.join(base, 'live'), old: path.join(base, 'live.old') };
}

const MOVED = /the data directory at .*live is no longer the one this system opened/;

describe('a data directory renamed while its system runs', () => {
  it("makes the system write nothing at its path, so a second system opened there keeps its actions (regression: rotations and snapshots went to the new directory at the path, and the second system's 50 acknowledged actions were lost)", async () => {
    const { live, old } = places();
    const warnings: string[] = [];
    const a = initSystem(Tally, {
      basedir: live,
      journalMaxBytes: 2000,
      onWarning: (m) => warnings.push(m),
    });
    for (let i = 0; i < 10; i++) a.add(`A${i}`);
    fs.renameSync(live, old);
    const b = initSystem(Tally, live);
    for (let i = 0; i < 50; i++) b.add(`B${i}`);
    b.takeSnapshot();
    const bFiles = contents(live);

    // A goes on until its journal rotates: refused there, and from then on.
    let acknowledged = 10;
    let rotation: unknown;
    for (let i = 10; i < 200 && rotation === undefined; i++) {
      try {
        a.add(`A${i}`);
        acknowledged++;
      } catch (err) {
        rotation = err;
      }
    }
    expect(rotation).toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      message: expect.stringMatching(MOVED),
    });
    expect((rotation as Error).message).toContain(`now at ${fs.realpathSync(old)}`);
    expect((rotation as Error).message).toContain('the action was not recorded');
    expect(prevalenceErrorOf(() => a.add('late'))).toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      message: expect.stringMatching(MOVED),
    });
    expect(prevalenceErrorOf(() => a.takeSnapshot())).toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
      message: expect.stringMatching(MOVED),
    });
    // Reads still work, and sync() resolves: its records are durable where they are.
    expect(a.items).toHaveLength(acknowledged);
    await a.sync();
    expect(contents(live)).toEqual(bFiles);

    await a.close();
    expect(warnings.some((w) => MOVED.test(w) && w.startsWith('closed'))).toBe(true);
    expect(contents(live)).toEqual(bFiles);
    // Released where the directory is now, where /proc tells it.
    if (process.platform === 'linux') expect(fs.readdirSync(old)).not.toContain('LOCK');
    await b.close();

    const reopenedB = initSystem(Tally, live);
    expect(reopenedB.items).toEqual(Array.from({ length: 50 }, (_, i) => `B${i}`));
    await reopenedB.close();
    const reopenedA = initSystem(Tally, old);
    expect(reopenedA.items).toEqual(Array.from({ length: acknowledged }, (_, i) => `A${i}`));
    await reopenedA.close();
  });

  it('never prunes the files of a restored backup put at its path (regression: pruning deleted them by path)', async () => {
    const { base, live, old } = places();
    const a = initSystem(Tally, { basedir: live, pruneJournals: true, pruneSnapshots: true });
    for (let i = 0; i < 30; i++) {
      a.add(`A${i}`);
      if (i % 10 === 9) a.takeSnapshot();
    }
    const backup = path.join(base, 'backup');
    fs.cpSync(live, backup, { recursive: true });
    for (let i = 30; i < 35; i++) a.add(`A${i}`);
    fs.renameSync(live, old);
    fs.cpSync(backup, live, { recursive: true });
    const restored = contents(live);

    expect(prevalenceErrorOf(() => a.takeSnapshot())).toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
      message: expect.stringMatching(/^SNAPSHOT_WRITE_FAILED: no snapshot was written: /),
    });
    expect(prevalenceErrorOf(() => a.add('late'))).toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      message: expect.stringMatching(MOVED),
    });
    await a.close();
    expect(contents(live)).toEqual(restored);
    const reopened = initSystem(Tally, old);
    expect(reopened.items).toHaveLength(35);
    await reopened.close();
  });

  it("stops pruning when the directory is moved between the snapshot and the pruning, deleting none of the restored backup's files (regression: pruning deleted them by path)", async () => {
    const { base, live, old } = places();
    const backup = path.join(base, 'backup');
    let moveAtNextJournal = false;
    // The move comes as the rotation after the snapshot creates its new journal file.
    const fileSystem: FileSystem = {
      ...realFs,
      openSync: (file, flags) => {
        const fd = realFs.openSync(file, flags);
        if (moveAtNextJournal && flags.startsWith('ax')) {
          moveAtNextJournal = false;
          fs.renameSync(live, old);
          fs.cpSync(backup, live, { recursive: true });
        }
        return fd;
      },
    };
    const a = initSystem(Tally, {
      basedir: live,
      pruneJournals: true,
      pruneSnapshots: true,
      fileSystem,
    });
    for (const item of ['A0', 'A1', 'A2']) {
      a.add(item);
      if (item !== 'A2') a.takeSnapshot();
    }
    fs.cpSync(live, backup, { recursive: true });
    moveAtNextJournal = true;
    const err = prevalenceErrorOf(() => a.takeSnapshot());
    expect(moveAtNextJournal).toBe(false);
    expect(err).toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
      message: expect.stringContaining(
        'snapshot-0000000000000003.snap was written in the directory this system opened, but pruning stopped: ',
      ),
    });
    expect(err.message).toMatch(MOVED);
    expect(contents(live)).toEqual(contents(backup));
    expect(prevalenceErrorOf(() => a.add('late')).code).toBe('JOURNAL_WRITE_FAILED');
    await a.close();
    expect(contents(live)).toEqual(contents(backup));
    const reopened = initSystem(Tally, old);
    expect(reopened.items).toEqual(['A0', 'A1', 'A2']);
    await reopened.close();
  });

  it('writes no snapshot at its path when the directory is moved while the snapshot is written (regression: it was renamed by path)', async () => {
    const { live, old } = places();
    let moveAtFsync = false;
    const fileSystem: FileSystem = {
      ...realFs,
      fsyncSync: (fd) => {
        realFs.fsyncSync(fd);
        if (moveAtFsync) {
          moveAtFsync = false;
          fs.renameSync(live, old);
          fs.mkdirSync(live);
        }
      },
    };
    const a = initSystem(Tally, { basedir: live, fileSystem });
    a.add('A0');
    moveAtFsync = true;
    expect(prevalenceErrorOf(() => a.takeSnapshot())).toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
      message: expect.stringMatching(MOVED),
    });
    expect(fs.readdirSync(live)).toEqual([]);
    expect(prevalenceErrorOf(() => a.add('late')).code).toBe('JOURNAL_WRITE_FAILED');
    await a.close();
    expect(fs.readdirSync(live)).toEqual([]);
    const reopened = initSystem(Tally, old);
    expect(reopened.items).toEqual(['A0']);
    await reopened.close();
  });

  it('writes nothing at its path when the directory is moved while it is being opened (regression: the open created its journal file there)', async () => {
    const { live, old } = places();
    const first = initSystem(Tally, { basedir: live, journalMaxBytes: 200 });
    for (let i = 0; i < 5; i++) first.add(`A${i}`);
    await first.close();
    let moved = false;
    const err = prevalenceErrorOf(() =>
      initSystem(Tally, {
        basedir: live,
        onProgress: () => {
          if (moved) return;
          moved = true;
          fs.renameSync(live, old);
          fs.mkdirSync(live);
        },
      }),
    );
    expect(moved).toBe(true);
    expect(err).toMatchObject({
      code: 'JOURNAL_WRITE_FAILED',
      message: expect.stringMatching(/was moved or replaced while it was being opened/),
    });
    expect(fs.readdirSync(live)).toEqual([]);
    const reopened = initSystem(Tally, old);
    expect(reopened.items).toHaveLength(5);
    await reopened.close();
  });
});
