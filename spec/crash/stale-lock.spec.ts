// The directory lock and kill -9: a live holder in another process gives
// LOCKED; the lock of a holder that was SIGKILLed (and so never released it)
// is detected as stale and taken over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { holder } from './support/children';
import { Ledger, dumpLedger, modelAfter } from './support/ledger';

function openError(dir: string): unknown {
  try {
    initSystem(Ledger, dir);
  } catch (err) {
    return err;
  }
  throw new Error(`initSystem opened ${dir} although another process holds it`);
}

/** Names of the lock files in `dir` (LOCK, arbitration and temporary files), sorted. */
const lockFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('LOCK'))
    .sort();

/** The pid in `LOCK`, the one lock file of an open directory. */
function lockPid(dir: string): number {
  expect(lockFiles(dir)).toEqual(['LOCK']);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')) as { pid: number }).pid;
}

describe('crash: the directory lock', () => {
  it('gives LOCKED while a live process holds the directory, and is taken over once it was SIGKILLed', async () => {
    const dir = freshBasedir('lock');
    for (const [round, steps] of [3, 4].entries()) {
      const child = await holder(dir, steps);
      try {
        expect(lockPid(dir)).toBe(child.pid);
        const err = openError(dir);
        expect(isPrevalenceError(err, 'LOCKED')).toBe(true);
        // It names the holder.
        expect((err as Error).message).toMatch(new RegExp(`\\b${child.pid}\\b`));
        // A refused open changes nothing: the holder still owns the lock.
        expect(lockPid(dir)).toBe(child.pid);
      } finally {
        await child.kill();
      }
      // The dead holder's LOCK is still there: it never got to release it.
      expect(lockPid(dir)).toBe(child.pid);
      const sys = initSystem(Ledger, { basedir: dir, isolation: 'none' });
      expect(lockPid(dir)).toBe(process.pid);
      // What the killed holder acknowledged is there (round 0: 3 actions, round 1: 4 more).
      expect(dumpLedger(sys)).toEqual(modelAfter(round === 0 ? 3 : 7));
      await sys.close();
      // Closed: no lock file is left.
      expect(lockFiles(dir)).toEqual([]);
    }
  }, 60_000);
});
