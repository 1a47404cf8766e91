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

async function run(durability: Durability) {
  const fs = countingFs();
  const ledger = initSystem(new Ledger(), {
    basedir: freshBasedir(),
    durability,
    fileSystem: fs,
    batchIntervalMs: 5,
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
