// A backup (takeSnapshot({ into })) whose process was killed while it wrote
// leaves its directory holding only the unfinished snapshot-<seq>.snap.tmp.
// Opened later (the operator restoring "the latest backup"), that directory
// must not pass for a new one: it opened as an empty state, without a word,
// and the open deleted the unfinished file, the only sign of what it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';

/** A backup directory as a kill in the middle of takeSnapshot({ into }) leaves it. */
async function interruptedBackup(): Promise<{ target: string; leftover: string }> {
  const wiki = initSystem(new Wiki(), { basedir: freshBasedir() });
  for (let i = 0; i < 20; i++) wiki.createPage(`p${i}`, 'x'.repeat(200));
  const done = path.join(tmpDir(), 'done');
  const file = wiki.takeSnapshot({ into: done });
  await wiki.close();
  const bytes = fs.readFileSync(file);
  const target = path.join(tmpDir(), 'backup');
  fs.mkdirSync(target);
  // The writer streams to <name>.tmp and renames it only once complete.
  const leftover = `${path.basename(file)}.tmp`;
  fs.writeFileSync(path.join(target, leftover), bytes.subarray(0, bytes.length >> 1));
  return { target, leftover };
}

describe('a backup interrupted by a crash', () => {
  it('is refused at open, not opened as a new empty directory, and left as it is', async () => {
    const { target, leftover } = await interruptedBackup();
    const warnings: string[] = [];
    let error: unknown;
    try {
      const opened = initSystem(new Wiki(), {
        basedir: target,
        onWarning: (w) => warnings.push(w),
      });
      await opened.close();
    } catch (err) {
      error = err;
    }
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(leftover);
    expect(message).toMatch(/takeSnapshot\(\{ into \}\)/);
    expect(message).toMatch(/delete/);
    // Nothing written, the unfinished file kept, no lock left.
    expect(filesIn(target)).toEqual([leftover]);
  });

  it('still opens a new directory whose first open was killed while writing snapshot 0', async () => {
    const dir = freshBasedir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'snapshot-0000000000000000.snap.tmp'), 'PREV');
    const wiki = initSystem(new Wiki(), { basedir: dir });
    wiki.createPage('home', 'x');
    await wiki.close();
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
