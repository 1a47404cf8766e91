// takeSnapshot() makes the journal durable before it writes the snapshot.
// When that fdatasync fails, the system refuses actions from then on, and a
// warning says so (DURABILITY.md) -- also when the snapshot then fails too
// (a disk going bad), where takeSnapshot() throws SNAPSHOT_WRITE_FAILED:
// no warning used to say that the journal had failed, so the caller was
// told only of a failed snapshot, after which "the system keeps working"
// (found by the fault sweep, spec/crash/fault-sweep.spec.ts, 'dead' disk).
import { initSystem } from '../../lib';
import type { Durability } from '../../lib';
import { FaultyFs } from '../../lib/fs/faulty';
import { Wiki } from '../fixtures/wiki';
import { prevalenceErrorOf } from '../support/errors';
import { freshBasedir } from '../support/tmp';

describe.each<Durability>(['batch', 'none'])(
  "takeSnapshot() whose journal fdatasync fails ('%s')",
  (durability) => {
    it('writes the snapshot, warns that the journal could not be made durable, and refuses actions from then on', async () => {
      const dir = freshBasedir();
      const ffs = new FaultyFs();
      const warnings: string[] = [];
      const wiki = initSystem(new Wiki(), {
        basedir: dir,
        durability,
        batchIntervalMs: 60_000,
        fileSystem: ffs,
        onWarning: (w) => warnings.push(w),
      });
      wiki.createPage('home', 'x');
      // Only the journal's fdatasync fails: the snapshot fsyncs its file with fsync.
      ffs.fdatasyncSync = () => {
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      };
      const file = wiki.takeSnapshot();
      expect(warnings).toEqual([
        expect.stringMatching(
          /^takeSnapshot\(\) wrote .*, which holds every action so far, but the journal could not be made durable before it \(JOURNAL_WRITE_FAILED: .*EIO: i\/o error, fdatasync/,
        ),
      ]);
      expect(warnings[0]).toContain(file);
      expect(prevalenceErrorOf(() => wiki.createPage('b', 'y')).code).toBe('JOURNAL_WRITE_FAILED');
      await wiki.close();
      const again = initSystem(new Wiki(), dir);
      expect(Object.keys(again.pages)).toEqual(['home']);
      await again.close();
    });

    it('warns so also when the snapshot fails too (regression: only SNAPSHOT_WRITE_FAILED was said, and actions were refused)', async () => {
      const dir = freshBasedir();
      const ffs = new FaultyFs();
      const warnings: string[] = [];
      const wiki = initSystem(new Wiki(), {
        basedir: dir,
        durability,
        batchIntervalMs: 60_000,
        fileSystem: ffs,
        onWarning: (w) => warnings.push(w),
      });
      wiki.createPage('home', 'x');
      ffs.plan.failSync = true;
      expect(prevalenceErrorOf(() => wiki.takeSnapshot()).code).toBe('SNAPSHOT_WRITE_FAILED');
      expect(warnings).toEqual([
        expect.stringMatching(
          /^takeSnapshot\(\) could not make the journal durable before the snapshot \(JOURNAL_WRITE_FAILED: .*EIO.*\), so the system refuses further actions; then the snapshot failed too: SNAPSHOT_WRITE_FAILED: /,
        ),
      ]);
      ffs.plan = {};
      expect(prevalenceErrorOf(() => wiki.createPage('b', 'y')).code).toBe('JOURNAL_WRITE_FAILED');
      await expect(wiki.close()).rejects.toMatchObject({ code: 'JOURNAL_WRITE_FAILED' });
      const again = initSystem(new Wiki(), dir);
      expect(Object.keys(again.pages)).toEqual(['home']);
      await again.close();
    });
  },
);
