import * as path from 'node:path';
import { initSystem, unlocked } from '../../lib';
import type { Durability } from '../../lib';
import { realFs } from '../../lib/fs/seam';
import type { FileSystem } from '../../lib/fs/seam';
import { freshBasedir, journalRecords } from '../support/tmp';

/** The real file system, counting data syncs. */
function countingFs(): FileSystem & { syncs: number; asyncSyncs: number } {
  const counted = {
    ...realFs,
    syncs: 0,
    asyncSyncs: 0,
    fdatasyncSync(fd: number) {
      counted.syncs++;
      realFs.fdatasyncSync(fd);
    },
    fdatasync(fd: number) {
      counted.asyncSyncs++;
      return realFs.fdatasync(fd);
    },
  };
  return counted;
}

/** The real file system whose synchronous fdatasync fails with EIO. */
function syncFailsWithEio(): FileSystem {
  return {
    ...realFs,
    fdatasyncSync(): void {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    },
  };
}

class Ledger {
  entries: string[] = [];
  add(entry: string): void {
    this.entries.push(entry);
  }
  @unlocked
  addLater(entry: string): void {
    this.entries.push(entry);
  }
}

async function run(durability: Durability, batchIntervalMs = 60_000) {
  const fs = countingFs();
  const ledger = initSystem(new Ledger(), {
    basedir: freshBasedir(),
    durability,
    fileSystem: fs,
    batchIntervalMs,
  });
  const before = fs.syncs;
  for (let i = 0; i < 20; i++) ledger.add(`e${i}`);
  return { ledger, fs, inlineSyncs: fs.syncs - before };
}

describe('durability modes at the system level', () => {
  it("'always' fsyncs each action before the call returns", async () => {
    const { ledger, inlineSyncs } = await run('always');
    expect(inlineSyncs).toBe(20);
    await ledger.close();
  });

  it("'batch' returns without fsync and many sync() callers share a few fsyncs (group commit)", async () => {
    const { ledger, fs, inlineSyncs } = await run('batch');
    expect(inlineSyncs).toBe(0);
    await Promise.all(Array.from({ length: 50 }, () => ledger.sync()));
    expect(fs.asyncSyncs).toBeGreaterThanOrEqual(1);
    expect(fs.asyncSyncs).toBeLessThanOrEqual(3);
    await ledger.close();
  });

  it("'none' leaves it to the OS, and sync() still makes everything durable", async () => {
    const { ledger, fs, inlineSyncs } = await run('none');
    expect(inlineSyncs).toBe(0);
    await ledger.sync();
    expect(fs.asyncSyncs + fs.syncs).toBeGreaterThanOrEqual(1);
    expect(journalRecords(ledger.basedirAbspath())).toHaveLength(20);
    await ledger.close();
  });

  it("'batch' makes a long synchronous burst durable every batchIntervalMs, though its timer cannot fire during it (regression (async review): the first records of a 1.5 s burst waited 1.5 s for their fdatasync)", async () => {
    const { ledger, fs } = await run('batch', 20);
    const syncs = fs.syncs;
    // Synchronous work between two actions, longer than the interval: the timer cannot run.
    const start = performance.now();
    while (performance.now() - start < 30) {
      // busy
    }
    ledger.add('after the wait');
    // One fdatasync before the call returned, covering the records written before the wait.
    expect(fs.syncs - syncs).toBe(1);
    ledger.add('not overdue');
    expect(fs.syncs - syncs).toBe(1);
    await ledger.sync();
    expect(journalRecords(ledger.basedirAbspath())).toHaveLength(22);
    await ledger.close();
  });

  it.each([
    ["'batch' records, when a burst's overdue fdatasync fails,", 'batch' as const],
    ["@unlocked records, when an 'always' fdatasync fails,", 'always' as const],
  ])(
    'names the acknowledged %s as of unknown durability (review: it said only that the action was not recorded)',
    async (_what, durability) => {
      const ledger = initSystem(new Ledger(), {
        basedir: freshBasedir(),
        durability,
        fileSystem: syncFailsWithEio(),
        batchIntervalMs: 20,
      });
      if (durability === 'batch') {
        ledger.add('first');
        const start = performance.now();
        while (performance.now() - start < 30) {
          // busy: the background flush cannot run, so the next record is overdue
        }
      } else {
        ledger.addLater('first');
      }
      let message = '';
      try {
        ledger.add('second');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^JOURNAL_WRITE_FAILED: the fdatasync of action seq 2 .*failed/);
      expect(message).toContain('the action was not recorded');
      expect(message).toContain('actions after seq 0, acknowledged as written, may not be on disk');
      expect(ledger.entries).toEqual(['first']);
      await expect(ledger.close()).rejects.toThrow(/JOURNAL_WRITE_FAILED/);
    },
  );

  it('keeps every record of a burst that rotates journal files while background fdatasyncs are in flight (their files are closed only once those are done)', async () => {
    const fs = countingFs();
    const syncing = new Map<number, number>();
    const closedUnderSync: number[] = [];
    const dir = freshBasedir();
    const ledger = initSystem(new Ledger(), {
      basedir: dir,
      durability: 'batch',
      batchIntervalMs: 1,
      journalMaxBytes: 300,
      fileSystem: {
        ...fs,
        async fdatasync(fd: number) {
          syncing.set(fd, (syncing.get(fd) ?? 0) + 1);
          try {
            await fs.fdatasync(fd);
          } finally {
            syncing.set(fd, syncing.get(fd)! - 1);
          }
        },
        closeSync(fd: number) {
          if ((syncing.get(fd) ?? 0) > 0) closedUnderSync.push(fd);
          fs.closeSync(fd);
        },
      },
    });
    for (let i = 0; i < 60; i++) {
      const start = performance.now();
      while (performance.now() - start < 2) {
        // busy: only overdue fdatasyncs run
      }
      ledger.add(`e${i}`);
    }
    expect(fs.syncs).toBeGreaterThan(10);
    await ledger.close();
    expect(closedUnderSync).toEqual([]);
    const again = initSystem(new Ledger(), { basedir: dir });
    expect(again.entries).toHaveLength(60);
    await again.close();
  });

  describe('a background fdatasync that fails after a later fdatasync of the same file returned', () => {
    /** The real file system whose first asynchronous fdatasync fails with EIO, 30 ms after it starts. */
    function firstAsyncSyncFailsLate(): FileSystem {
      let calls = 0;
      return {
        ...realFs,
        fdatasync(fd: number) {
          calls++;
          if (calls > 1) return realFs.fdatasync(fd);
          return new Promise<void>((_resolve, reject) =>
            setTimeout(
              () => reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
              30,
            ),
          );
        },
      };
    }
    /** Lets the flusher's timer fire: its fdatasync is then in flight. */
    const timerFired = () => new Promise((resolve) => setTimeout(resolve, 15));

    it("makes close() reject though a later 'always' fdatasync of the same file returned success (regression (flush review): close() resolved, the @unlocked records the failed fdatasync covered counted as durable)", async () => {
      const ledger = initSystem(new Ledger(), {
        basedir: freshBasedir(),
        durability: 'always',
        fileSystem: firstAsyncSyncFailsLate(),
        batchIntervalMs: 5,
        onWarning: () => {},
      });
      ledger.addLater('first');
      await timerFired(); // its fdatasync is under way, and will fail
      ledger.add('third'); // its own fdatasync returns success: after a failed one, that proves nothing (fsyncgate)
      await expect(ledger.close()).rejects.toThrow(
        /closed without making actions after seq 0 durable: .*EIO/,
      );
    });

    it('counts nothing after it durable when a rotation fdatasyncs the file before the failure is heard (regression (flush review): close() said only the actions after the rotation were unknown)', async () => {
      const warnings: string[] = [];
      const ledger = initSystem(new Ledger(), {
        basedir: freshBasedir(),
        durability: 'batch',
        fileSystem: firstAsyncSyncFailsLate(),
        batchIntervalMs: 5,
        journalMaxBytes: 1000,
        onWarning: (message) => warnings.push(message),
      });
      ledger.add('a');
      await timerFired(); // its fdatasync is under way, and will fail
      for (let i = 0; i < 20; i++) ledger.add(`c${i}`); // a rotation fdatasyncs the first file
      await expect(ledger.sync()).rejects.toThrow(/EIO/);
      await expect(ledger.close()).rejects.toThrow(
        /closed without making actions after seq 0 durable/,
      );
      expect(warnings.join('\n')).toContain('actions after seq 0 may not be on disk');
    });

    it('still lets a snapshot taken before the failure is heard make close() resolve', async () => {
      const ledger = initSystem(new Ledger(), {
        basedir: freshBasedir(),
        durability: 'batch',
        fileSystem: firstAsyncSyncFailsLate(),
        batchIntervalMs: 5,
        onWarning: () => {},
      });
      ledger.add('a');
      await timerFired(); // its fdatasync is under way, and will fail
      ledger.add('b');
      ledger.takeSnapshot(); // holds both, durable
      await expect(ledger.close()).resolves.toBeUndefined();
    });
  });

  it("@unlocked returns in 'always' mode without waiting for the fsync; sync() waits for it", async () => {
    const { ledger, fs } = await run('always');
    const before = fs.syncs;
    ledger.addLater('x');
    expect(fs.syncs).toBe(before);
    await ledger.sync();
    expect(fs.asyncSyncs).toBeGreaterThanOrEqual(1);
    await ledger.close();
  });
});

describe('a data directory created by the open', () => {
  /** The real file system, recording mkdir, directory fsyncs and the first write. */
  function recordingFs(): FileSystem & { calls: string[] } {
    const calls: string[] = [];
    return {
      ...realFs,
      calls,
      mkdirSync(dir: string) {
        calls.push(`mkdir ${dir}`);
        realFs.mkdirSync(dir);
      },
      fsyncDirSync(dir: string) {
        calls.push(`fsync ${dir}`);
        realFs.fsyncDirSync(dir);
      },
    };
  }

  it("survives a power cut with its parents: each new directory's parent is fsynced (regression (durability review): only the data directory itself was, so the whole directory could vanish)", async () => {
    const top = freshBasedir();
    const dir = path.join(top, 'a', 'b');
    const fs = recordingFs();
    const ledger = initSystem(new Ledger(), { basedir: dir, fileSystem: fs });
    ledger.add('x');
    // One level at a time, top down (regression (hostile-input sweep): Node 20's recursive mkdir hung on /proc).
    expect(fs.calls.slice(0, 6)).toEqual([
      `mkdir ${top}`,
      `mkdir ${path.join(top, 'a')}`,
      `mkdir ${dir}`,
      `fsync ${path.dirname(top)}`,
      `fsync ${top}`,
      `fsync ${path.join(top, 'a')}`,
    ]);
    const backup = path.join(top, 'backups', 'one');
    fs.calls.length = 0;
    ledger.takeSnapshot({ into: backup });
    expect(fs.calls.slice(0, 4)).toEqual([
      `mkdir ${path.join(top, 'backups')}`,
      `mkdir ${backup}`,
      `fsync ${top}`,
      `fsync ${path.join(top, 'backups')}`,
    ]);
    await ledger.close();
    // An existing directory: no mkdir fsyncs.
    const again = recordingFs();
    const reopened = initSystem(new Ledger(), { basedir: dir, fileSystem: again });
    expect(again.calls.filter((c) => c.startsWith('fsync') && !c.endsWith(dir))).toEqual([]);
    await reopened.close();
  });

  it('opens under a parent it cannot open to fsync (mode 0733), the parent fsync being best effort (regression (review): EACCES refused the open and left the directory behind)', async () => {
    const top = freshBasedir();
    const dir = path.join(top, 'sub');
    const fs = {
      ...realFs,
      fsyncDirSync(d: string) {
        if (d !== dir)
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        realFs.fsyncDirSync(d);
      },
    };
    const ledger = initSystem(new Ledger(), { basedir: dir, fileSystem: fs });
    ledger.add('x');
    await ledger.close();
    const again = initSystem(new Ledger(), { basedir: dir });
    expect(again.entries).toEqual(['x']);
    await again.close();
  });
});
